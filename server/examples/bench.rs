//! Benchmark (not a test): uploads per second for 1-megapixel JPEGs, and the gallery
//! page's p50/p99 latency with 500 photos in a folder. Real server on port 0, real
//! SQLite, real HTTP. Run it with `scripts/bench.sh` (release build).

mod common;

use std::io::Cursor;
use std::time::Instant;

use gallery::{AppState, app};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const UPLOADS: usize = 120;
const CONCURRENCY: usize = 4;
const FOLDER_PHOTOS: usize = 500;
const PAGE_REQUESTS: usize = 300;

/// A 1155×866 (1.0 MP) photo-like JPEG: gradients with noise, so it compresses like a photo.
fn photo(seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let img = image::RgbImage::from_fn(1155, 866, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state % 48) as u8;
        image::Rgb([
            (x / 5) as u8 ^ n,
            (y / 4) as u8 + n,
            ((x + y) / 8) as u8 ^ (seed as u8),
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // The web path alone (no classifier: it would share the cores with it).
    let mut config = common::bench_config(dir.path());
    if let Ok(storage) = std::env::var("BENCH_STORAGE") {
        config.storage = storage;
    }
    config.s3_endpoint = std::env::var("BENCH_S3_ENDPOINT").ok();
    let scaled = std::env::var("BENCH_DATABASE_URL").is_ok();
    println!(
        "configuration: {}",
        if scaled {
            "PostgreSQL + S3 (SeaweedFS)"
        } else {
            "SQLite + files (embedded default)"
        }
    );
    if let Some(bucket) = config
        .storage
        .strip_prefix("s3://")
        .and_then(|r| r.split('/').next())
    {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(endpoint) = &config.s3_endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let conf = loader.load().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        let _ = s3.create_bucket().bucket(bucket).send().await;
    }
    let state = AppState::new(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(app::serve(listener, state));

    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let api = format!("{base}/api/v1");
    let (_, token) = common::account(&client, &api, "bench@example.org").await?;

    // 1. Uploads of 1 MP JPEGs, CONCURRENCY at a time.
    let photos: Vec<Vec<u8>> = (0..16).map(photo).collect();
    let mean_kb = photos.iter().map(Vec::len).sum::<usize>() / photos.len() / 1024;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..CONCURRENCY {
        let (client, api, token, photos) =
            (client.clone(), api.clone(), token.clone(), photos.clone());
        tasks.spawn(async move {
            for i in (worker..UPLOADS).step_by(CONCURRENCY) {
                let form = Form::new().part(
                    "file",
                    Part::bytes(photos[i % photos.len()].clone()).file_name(format!("p{i}.jpg")),
                );
                let res = client
                    .post(format!("{api}/images"))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201, "upload failed");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let secs = started.elapsed().as_secs_f64();
    println!(
        "uploads: {UPLOADS} JPEGs of 1155x866 (~{mean_kb} KB), {CONCURRENCY} at a time: {:.1} uploads/s ({:.1} ms each)",
        UPLOADS as f64 / secs,
        secs * 1000.0 / UPLOADS as f64
    );

    // 2. The gallery page of a folder with 500 photos.
    let folder: Value = client
        .post(format!("{api}/folders"))
        .bearer_auth(&token)
        .json(&json!({"name": "Five hundred"}))
        .send()
        .await?
        .json()
        .await?;
    let folder = folder["id"].as_str().unwrap().to_owned();
    let small = {
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            64,
            48,
            image::Rgb([90, 120, 200]),
        ))
        .write_to(&mut out, image::ImageFormat::Jpeg)?;
        out.into_inner()
    };
    for batch in 0..FOLDER_PHOTOS / 25 {
        let mut form = Form::new().text("folder_id", folder.clone());
        for i in 0..25 {
            form = form.part(
                "file",
                Part::bytes(small.clone()).file_name(format!("f{batch}-{i}.jpg")),
            );
        }
        client
            .post(format!("{api}/images"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await?
            .error_for_status()?;
    }
    let login_page = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let at = login_page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &login_page[at..at + 64];
    client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf),
            ("email", "bench@example.org"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await?
        .error_for_status()?;
    let url = format!("{base}/gallery/{folder}");
    let first = client.get(&url).send().await?.text().await?;
    // The page shows one page of the folder's photos, with a link to the rest.
    let shown = FOLDER_PHOTOS.min(gallery::paging::DEFAULT_LIMIT);
    assert_eq!(first.matches("class=\"card\"").count(), shown);
    let mut times = Vec::with_capacity(PAGE_REQUESTS);
    for _ in 0..PAGE_REQUESTS {
        let t = Instant::now();
        let res = client.get(&url).send().await?;
        let _ = res.bytes().await?;
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "gallery page, {shown} of {FOLDER_PHOTOS} photos, {} KB of HTML, {PAGE_REQUESTS} sequential requests: p50 {:.2} ms, p99 {:.2} ms",
        first.len() / 1024,
        common::percentile(&times, 0.5),
        common::percentile(&times, 0.99)
    );
    Ok(())
}
