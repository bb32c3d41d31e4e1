//! Benchmark (not a test): the export's throughput against `cat` of the same originals.
//!
//!     export_bench [PHOTOS] [MEGAPIXELS]      (default 40 photos of 12 MP)
//!
//! A real server on port 0 (fresh SQLite and files, no classifier) takes PHOTOS JPEGs of
//! camera size (a gradient with grain, so they compress as photos do); then, in the same
//! run and twice over (the page cache warm for both), `cat` of their originals in the
//! objects folder to /dev/null and `curl -o /dev/null` of `GET /api/v1/export` (a ZIP with
//! the originals stored, their sidecars and gallery.json). Prints MB/s of each (MB of the
//! originals for `cat`, of the whole download for curl) and the best of the rounds. Run it
//! with `scripts/bench-export.sh`.

#[allow(dead_code)] // `percentile` is for the latency benchmarks.
mod common;

use std::io::Cursor;
use std::process::Command;
use std::time::Instant;

use gallery::{AppState, app};
use reqwest::multipart::{Form, Part};

/// A photo-like JPEG: smooth colours with grain.
fn photo(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let grain = (state % 24) as u32;
        image::Rgb([
            ((x * 200 / w) + grain) as u8,
            ((y * 200 / h) + grain) as u8,
            ((seed as u32 * 37 % 200) + grain) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92);
    img.write_with_encoder(encoder).expect("encode");
    out.into_inner()
}

fn mb_per_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let photos: u64 = args.next().map_or(Ok(40), |a| a.parse())?;
    let megapixels: u32 = args.next().map_or(Ok(12), |a| a.parse())?;
    let (w, h) = (
        (f64::from(megapixels) * 1e6 * 4.0 / 3.0).sqrt() as u32,
        (f64::from(megapixels) * 1e6 * 3.0 / 4.0).sqrt() as u32,
    );
    let dir = tempfile::tempdir()?;
    let mut config = common::bench_config(dir.path());
    config.bind = "127.0.0.1:0".parse()?;
    let state = AppState::new(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(app::serve(listener, state.clone()));
    let client = reqwest::Client::new();
    let api = format!("{base}/api/v1");
    let (_, token) = common::account(&client, &api, "bench@example.com").await?;

    eprintln!("making and uploading {photos} JPEGs of {w}×{h}…");
    for n in 0..photos {
        let data = tokio::task::spawn_blocking(move || photo(w, h, n)).await?;
        let form = Form::new().part(
            "file",
            Part::bytes(data).file_name(format!("IMG_{n:04}.jpg")),
        );
        client
            .post(format!("{api}/images"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await?
            .error_for_status()?;
    }
    let keys: Vec<(String, i64)> = sqlx::query_as("SELECT object_key, bytes FROM images")
        .fetch_all(&state.db)
        .await?;
    let originals: Vec<_> = keys
        .iter()
        .map(|(key, _)| dir.path().join("objects").join(key))
        .collect();
    let total: u64 = keys.iter().map(|(_, b)| *b as u64).sum();
    println!(
        "{photos} originals, {:.1} MB ({:.1} MB each)",
        total as f64 / 1e6,
        total as f64 / 1e6 / photos as f64
    );

    let (mut best_cat, mut best_export) = (0f64, 0f64);
    for round in 1..=3 {
        let started = Instant::now();
        let status = Command::new("sh")
            .arg("-c")
            .arg("cat \"$@\" > /dev/null")
            .arg("cat")
            .args(&originals)
            .status()?;
        anyhow::ensure!(status.success(), "cat failed");
        let cat = mb_per_s(total, started.elapsed().as_secs_f64());

        let out = Command::new("curl")
            .args([
                "-sS",
                "--fail",
                "-o",
                "/dev/null",
                "-w",
                "%{size_download} %{time_total}",
            ])
            .arg("-H")
            .arg(format!("Authorization: Bearer {token}"))
            .arg(format!("{api}/export"))
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let answer = String::from_utf8(out.stdout)?;
        let (size, secs) = answer.split_once(' ').unwrap_or_default();
        let (size, secs): (u64, f64) = (size.parse()?, secs.parse()?);
        let export = mb_per_s(size, secs);
        println!(
            "round {round}: cat {cat:.0} MB/s · export {export:.0} MB/s ({:.1} MB in {secs:.2} s)",
            size as f64 / 1e6
        );
        best_cat = best_cat.max(cat);
        best_export = best_export.max(export);
    }
    println!(
        "best: cat {best_cat:.0} MB/s, export {best_export:.0} MB/s ({:.0} % of cat)",
        best_export / best_cat * 100.0
    );
    Ok(())
}
