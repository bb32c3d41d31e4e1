//! Benchmark (not a test): page times while a burst of voice commands is transcribed. Four
//! clients load a gallery page (`/gallery/FOLDER`, 60 photos) back to back for 4 s alone,
//! then again while 20 spoken commands (a 2.9 s WAV each, from five accounts) arrive at
//! once at `POST /api/v1/voice/transcribe`. Prints page p50/p99 in both phases, and what
//! the burst got: answered (with p50/p95 time) or told to come back (503, Retry-After).
//! Real server on port 0, default speech settings. Run it with `scripts/bench-speech.sh`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gallery::app;
use gallery::state::AppState;

const PAGE_CLIENTS: usize = 4;
const BURST: usize = 20;

async fn load_pages(client: reqwest::Client, url: String, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut times = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let res = client.get(&url).send().await.expect("page");
        assert!(res.status().is_success(), "{}", res.status());
        res.bytes().await.expect("page body");
        times.push(t.elapsed());
    }
    times
}

async fn pages_while<F: std::future::Future>(
    clients: &[reqwest::Client],
    url: &str,
    during: F,
) -> (Vec<Duration>, F::Output) {
    let stop = Arc::new(AtomicBool::new(false));
    let loaders: Vec<_> = clients
        .iter()
        .map(|c| tokio::spawn(load_pages(c.clone(), url.to_owned(), stop.clone())))
        .collect();
    let out = during.await;
    stop.store(true, Ordering::Relaxed);
    let mut times = Vec::new();
    for l in loaders {
        times.extend(l.await.expect("loader"));
    }
    times.sort();
    (times, out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = common::bench_config(dir.path());
    let workers = config.speech_workers;
    let queue = config.speech_queue;
    let threads = config.speech_threads;
    let state = AppState::new(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(app::serve(listener, state.clone()));
    let api = format!("{base}/api/v1");
    let http = reqwest::Client::new();

    // The page: a folder of 60 photos, as its owner sees it.
    let (_, owner) = common::account(&http, &api, "pages@example.org").await?;
    let folder: serde_json::Value = http
        .post(format!("{api}/folders"))
        .bearer_auth(&owner)
        .json(&serde_json::json!({"name": "Trips"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let folder = folder["id"].as_str().unwrap_or_default().to_owned();
    let jpeg = {
        let img =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg)?;
        out.into_inner()
    };
    for n in 0..60 {
        let form = reqwest::multipart::Form::new()
            .text("folder_id", folder.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(jpeg.clone())
                    .file_name(format!("photo-{n}.jpg"))
                    .mime_str("image/jpeg")?,
            );
        http.post(format!("{api}/images"))
            .bearer_auth(&owner)
            .multipart(form)
            .send()
            .await?
            .error_for_status()?;
    }
    let mut clients = Vec::new();
    for _ in 0..PAGE_CLIENTS {
        let c = reqwest::Client::builder().cookie_store(true).build()?;
        let login = c.get(format!("{base}/login")).send().await?.text().await?;
        let at = login.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        let csrf = login[at..at + 64].to_owned();
        c.post(format!("{base}/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "pages@example.org"),
                ("password", "correct horse battery"),
            ])
            .send()
            .await?;
        let status = c.get(format!("{base}/gallery")).send().await?.status();
        anyhow::ensure!(
            status.is_success(),
            "signed in, the gallery answers {status}"
        );
        clients.push(c);
    }
    let page = format!("{base}/gallery/{folder}");

    let mut speakers = Vec::new();
    for n in 0..5 {
        speakers.push(
            common::account(&http, &api, &format!("speaker{n}@example.org"))
                .await?
                .1,
        );
    }
    let wav = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../speech/tests/data/show-me-pictures-of-my-dog.wav"
    ))?;
    // The model loads on first use: once before measuring.
    http.post(format!("{api}/voice/transcribe"))
        .bearer_auth(&speakers[0])
        .header("content-type", "audio/wav")
        .body(wav.clone())
        .send()
        .await?
        .error_for_status()?;

    let (alone, _) = pages_while(&clients, &page, tokio::time::sleep(Duration::from_secs(4))).await;
    let burst = async {
        let sends = (0..BURST).map(|i| {
            let (http, api, token, wav) = (
                http.clone(),
                api.clone(),
                speakers[i % 5].clone(),
                wav.clone(),
            );
            async move {
                let t = Instant::now();
                let res = http
                    .post(format!("{api}/voice/transcribe"))
                    .bearer_auth(token)
                    .header("content-type", "audio/wav")
                    .body(wav)
                    .send()
                    .await
                    .expect("voice");
                let status = res.status().as_u16();
                let retry = res.headers().contains_key("retry-after");
                res.bytes().await.ok();
                (status, retry, t.elapsed())
            }
        });
        futures_util::future::join_all(sends).await
    };
    let (during, answers) = pages_while(&clients, &page, burst).await;

    println!(
        "speech: {workers} transcription(s) at once with {threads} thread(s), {queue} waiting at most; {PAGE_CLIENTS} clients loading a page of 60 photos"
    );
    println!(
        "{:<34} {:>7} {:>8} {:>8}",
        "pages", "loads", "p50 ms", "p99 ms"
    );
    for (name, times) in [
        ("alone (4 s)", &alone),
        ("during the burst of 20 commands", &during),
    ] {
        println!(
            "{:<34} {:>7} {:>8.1} {:>8.1}",
            name,
            times.len(),
            common::percentile(times, 0.5),
            common::percentile(times, 0.99)
        );
    }
    let mut done: Vec<Duration> = answers.iter().filter(|a| a.0 == 200).map(|a| a.2).collect();
    done.sort();
    let busy = answers.iter().filter(|a| a.0 == 503).count();
    let busy_with_retry = answers.iter().filter(|a| a.0 == 503 && a.1).count();
    let other: Vec<u16> = answers
        .iter()
        .map(|a| a.0)
        .filter(|s| *s != 200 && *s != 503)
        .collect();
    println!(
        "burst: {} answered (p50 {:.0} ms, p95 {:.0} ms, last {:.0} ms), {busy} told to retry (503, {busy_with_retry} with Retry-After), other: {other:?}",
        done.len(),
        common::percentile(&done, 0.5),
        common::percentile(&done, 0.95),
        done.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
    Ok(())
}
