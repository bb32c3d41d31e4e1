//! Benchmark (not a test): from upload to labels at the speed of one JPEG decode.
//!
//!     ingest_bench PHOTO_DIR SERVER_BINARY [SERVER_BINARY…]
//!
//! On the same 12 MP JPEGs, in one run:
//! 1. the bare DCT decode by libjpeg-turbo on both cores (one thread per core) at 1/1, 1/2
//!    (the scale the upload path decodes 4000×3000 photos at) and 1/8;
//! 2. CPU ms per photo of each step on one core: receive and hash, decode, renditions
//!    (viewer's, thumbnail and the classifier's), and the classify step from the
//!    classifier's rendition (now) and from the original (before), with the bytes each
//!    reads (what the Lambda fetches from S3) and how often their top-1 agree;
//! 3. for each server binary given (this build and earlier ones): photos per second from
//!    the first upload to the last label, 4 uploads at a time, local classifier with one
//!    worker per core, fresh SQLite and files, with a page of the listing fetched every
//!    50 ms meanwhile (its p50/p99) and the server's peak memory.

#[allow(dead_code)] // `bench_config` is for in-process servers; this one runs builds.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use classifier::{Classifier, Model, preprocess, runtime};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};

const CONCURRENCY: usize = 4;

fn photos(dir: &Path) -> anyhow::Result<Vec<(String, Bytes)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            Ok((name, Bytes::from(std::fs::read(&p)?)))
        })
        .collect()
}

/// Decodes every photo at 1/`n` on `threads` threads: photos per second.
fn bare_decode(photos: &[(String, Bytes)], n: u32, threads: usize) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for (_, bytes) in photos.iter().skip(t).step_by(threads) {
                    preprocess::decode_reduced(bytes, |_, _| n).expect("decodes");
                }
            });
        }
    });
    photos.len() as f64 / started.elapsed().as_secs_f64()
}

fn ms(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / n as f64
}

/// CPU time per photo of each step, one core.
fn steps(photos: &[(String, Bytes)]) -> anyhow::Result<()> {
    let policy = gallery::images::decode::Policy {
        max_bytes: 50 << 20,
        max_pixels: 100_000_000,
        tmp_dir: None,
        sizing: preprocess::Sizing::DEFAULT,
    };
    let model = Arc::new(Model::load(runtime::model_dir(None)?)?);
    let mut classifier = Classifier::new(model, 1)?;
    let n = photos.len();
    let (mut hash, mut decode, mut prepare) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut from_rendition, mut from_original) = (Duration::ZERO, Duration::ZERO);
    let (mut rendition_bytes, mut original_bytes, mut agree) = (0usize, 0usize, 0usize);
    for (name, bytes) in photos {
        let t = Instant::now();
        let digest = hex::encode(Sha256::digest(bytes));
        hash += t.elapsed();
        let t = Instant::now();
        preprocess::decode_reduced(bytes, |_, _| 2)?;
        decode += t.elapsed();
        let t = Instant::now();
        let prepared = gallery::images::decode::prepare(
            name.clone(),
            gallery::spool::Received {
                original: gallery::spool::Original::Memory(bytes.clone()),
                sha256: digest,
            },
            &policy,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        prepare += t.elapsed();
        let input = prepared
            .input
            .ok_or_else(|| anyhow::anyhow!("{name}: no classifier rendition"))?;
        let t = Instant::now();
        let quick = classifier.classify(&input, 3)?;
        from_rendition += t.elapsed();
        let t = Instant::now();
        let slow = classifier.classify(bytes, 3)?;
        from_original += t.elapsed();
        agree += usize::from(quick[0].class_index == slow[0].class_index);
        rendition_bytes += input.len();
        original_bytes += bytes.len();
    }
    let renditions = prepare.saturating_sub(decode);
    println!("CPU ms per photo, one core ({n} photos):");
    println!(
        "  receive and hash (SHA-256, while it streams in)   {:6.1}",
        ms(hash, n)
    );
    println!(
        "  decode (libjpeg-turbo, DCT 1/2, upright)          {:6.1}",
        ms(decode, n)
    );
    println!(
        "  renditions (2 048 px, thumbnail, classifier's 1/8 and PNG; EXIF) {:6.1}",
        ms(renditions, n)
    );
    println!(
        "  classify from the classifier's rendition (now)    {:6.1}",
        ms(from_rendition, n)
    );
    println!(
        "  classify from the original (before; its decode at 1/8 included) {:6.1}",
        ms(from_original, n)
    );
    println!(
        "the classify step reads {} KB per photo (before: the original, {} KB); top-1 the same on {agree} of {n}",
        rendition_bytes / n / 1024,
        original_bytes / n / 1024
    );
    Ok(())
}

struct Server {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(binary: &Path) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(binary)
        .arg("serve")
        .env("GALLERY_BIND", "127.0.0.1:0")
        .env(
            "GALLERY_DATABASE_URL",
            format!("sqlite://{}/g.db", dir.path().display()),
        )
        .env(
            "GALLERY_STORAGE",
            format!("fs:{}/objects", dir.path().display()),
        )
        .env("GALLERY_LOG", "warn")
        .env("GALLERY_LOGIN_PER_IP", "1000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line)?;
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| anyhow::anyhow!("the server did not start: {line}"))?
        .to_owned();
    Ok(Server {
        child,
        url,
        _dir: dir,
    })
}

/// Photos per second from the first upload to the last label.
async fn end_to_end(binary: &Path, photos: &[(String, Bytes)]) -> anyhow::Result<f64> {
    let server = start(binary)?;
    let api = format!("{}/api/v1", server.url);
    let client = reqwest::Client::new();
    let (_, token) = common::account(&client, &api, "bench@example.org").await?;
    // Wait for the classifier to be ready: one photo through, not counted.
    let upload = |name: String, bytes: Bytes| {
        let (client, api, token) = (client.clone(), api.clone(), token.clone());
        async move {
            let form = Form::new().part("file", Part::stream(bytes).file_name(name));
            let res: Value = client
                .post(format!("{api}/images"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            Ok::<_, anyhow::Error>(res[0]["id"].as_str().unwrap_or_default().to_owned())
        }
    };
    let warm = upload("warm.jpg".into(), photos[0].1.clone()).await?;
    wait_done(&client, &api, &token, std::slice::from_ref(&warm)).await?;

    // Meanwhile someone browses: a page of the listing every 50 ms.
    let browsing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let pages = tokio::spawn({
        let (client, api, token, browsing) =
            (client.clone(), api.clone(), token.clone(), browsing.clone());
        async move {
            let mut times = Vec::new();
            while browsing.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                let ok = client
                    .get(format!("{api}/images?limit=50"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    times.push(t.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            times
        }
    });
    let cpu_before = cpu_ms(server.child.id());
    let own_before = cpu_ms(std::process::id());
    let started = Instant::now();
    let mut ids = Vec::new();
    for chunk in photos.chunks(CONCURRENCY) {
        let sent = chunk.iter().map(|(n, b)| upload(n.clone(), b.clone()));
        for id in futures_util::future::join_all(sent).await {
            ids.push(id?);
        }
    }
    wait_done(&client, &api, &token, &ids).await?;
    let rate = photos.len() as f64 / started.elapsed().as_secs_f64();
    let n = photos.len() as f64;
    println!(
        "  CPU per photo: the server {:.1} ms, this client {:.1} ms; wall time per photo on 2 cores {:.1} ms",
        (cpu_ms(server.child.id()) - cpu_before) / n,
        (cpu_ms(std::process::id()) - own_before) / n,
        2000.0 / rate
    );
    browsing.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut times = pages.await?;
    times.sort();
    let peak = status_kb(server.child.id(), "VmHWM:");
    // What the burst leaves resident once the server is idle again.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let after = status_kb(server.child.id(), "VmRSS:");
    println!("  resident 6 s after the burst: {} MB", after / 1024);
    if !times.is_empty() {
        let pct = |p: f64| common::percentile(&times, p);
        println!(
            "  while it ran: a page of 50 photos p50 {:.1} ms, p99 {:.1} ms ({} requests); server peak RSS {} MB",
            pct(0.5),
            pct(0.99),
            times.len(),
            peak / 1024
        );
    }
    Ok(rate)
}

/// A memory figure of a process from `/proc/PID/status` (`VmHWM:`, `VmRSS:`), in KB.
fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0)
}

/// CPU time a process has used (user and system), in ms.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    ticks * 10.0
}

async fn wait_done(
    client: &reqwest::Client,
    api: &str,
    token: &str,
    ids: &[String],
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    for id in ids {
        loop {
            let image: Value = client
                .get(format!("{api}/images/{id}"))
                .bearer_auth(token)
                .send()
                .await?
                .json()
                .await?;
            match image["status"].as_str() {
                Some("done") => break,
                Some("error") => anyhow::bail!("{id} failed: {image}"),
                _ if Instant::now() > deadline => anyhow::bail!("{id} still {}", image["status"]),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    Ok(())
}

/// From upload to labels at the speed of one JPEG decode: the bare decode, each step's CPU
/// time, and photos per second through each server binary given.
#[derive(Parser)]
#[command(name = "ingest_bench")]
struct Args {
    /// A folder of JPEGs (`.jpg`), 12 MP ones for the figures in the README.
    photo_dir: PathBuf,
    /// Server binaries to time, this build and earlier ones.
    #[arg(required = true)]
    server_binary: Vec<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let photos = photos(&args.photo_dir)?;
    anyhow::ensure!(
        !photos.is_empty(),
        "no .jpg in {}",
        args.photo_dir.display()
    );
    let mb = photos.iter().map(|p| p.1.len()).sum::<usize>() as f64 / photos.len() as f64 / 1e6;
    println!("{} JPEGs, {mb:.1} MB each on average", photos.len());
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let bare: Vec<(u32, f64)> = [1, 2, 8]
        .into_iter()
        .map(|n| (n, bare_decode(&photos, n, cores)))
        .collect();
    for (n, rate) in &bare {
        println!("bare decode at 1/{n}, {cores} threads: {rate:6.1} photos/s");
    }
    steps(&photos)?;
    let bare_at = |scale: u32| bare.iter().find(|(n, _)| *n == scale).map_or(1.0, |b| b.1);
    for binary in &args.server_binary {
        let rate = end_to_end(binary, &photos).await?;
        println!(
            "upload to labels, {}: {rate:6.1} photos/s ({:.2} of the bare decode at 1/8, {:.2} of it at 1/2)",
            binary.display(),
            rate / bare_at(8),
            rate / bare_at(2)
        );
    }
    Ok(())
}
