//! Benchmark (not a test): latency of one interpretation on one core (the session uses one
//! ONNX Runtime thread), over the test split's sentences, after a warm-up.
//!
//!     cargo run --release --example latency

use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: no other thread runs yet.
    unsafe { onnx_runtime::disable_telemetry() };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("model");
    let model = intent::IntentModel::load(&dir)?;
    let texts: Vec<String> = std::fs::read_to_string(dir.join("test.jsonl"))?
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .map(|v| v["text"].as_str().unwrap_or_default().to_owned())
        })
        .collect::<Result<_, _>>()?;
    for t in &texts {
        model.interpret(t)?;
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        for t in &texts {
            let started = Instant::now();
            model.interpret(t)?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "interpret, {} utterances, one thread: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        at(0.5),
        at(0.99),
        times[times.len() - 1]
    );
    Ok(())
}
