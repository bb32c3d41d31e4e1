//! Benchmark (not a test): milliseconds per photo of the network alone, for each model
//! folder given, batch 1 and batched, with one and with two ONNX Runtime threads.
//!
//!     cargo run --release --example model_speed -- MODEL_DIR...

use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use classifier::{Classifier, Model};

const PHOTO: &[u8] = include_bytes!("../testdata/rocket.jpg");

/// Milliseconds per photo of the network alone, for each model folder given.
#[derive(Parser)]
#[command(name = "model_speed")]
struct Args {
    /// Model folders (each with its `model.json`).
    #[arg(value_name = "MODEL_DIR")]
    dirs: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: no other thread runs yet.
    unsafe { onnx_runtime::disable_telemetry() };
    let Args { dirs } = Args::parse();
    println!(
        "{:<22} {:>7} {:>6} {:>14}",
        "model", "threads", "batch", "ms per photo"
    );
    for dir in dirs {
        let model = Arc::new(Model::load(&dir)?);
        let input = Classifier::prepare(&model, PHOTO)?;
        for threads in [1, 2] {
            let mut c = Classifier::new(model.clone(), threads)?;
            for batch in [1usize, 8] {
                let inputs = vec![input.clone(); batch];
                c.predict(&inputs)?; // warm-up
                let rounds = (40 / batch).max(4);
                let started = Instant::now();
                for _ in 0..rounds {
                    c.predict(&inputs)?;
                }
                let ms = started.elapsed().as_secs_f64() * 1000.0 / (rounds * batch) as f64;
                println!(
                    "{:<22} {:>7} {:>6} {:>14.2}",
                    model.description.name, threads, batch, ms
                );
            }
        }
    }
    Ok(())
}
