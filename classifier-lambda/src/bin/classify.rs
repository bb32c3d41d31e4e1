//! `classify [--model DIR] [--top K] FILE...`: one JSON line per file,
//! `{"file", "labels": [{"label", "class_index", "score"}], "ms"}`, or `{"file", "error"}`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use classifier::{Classifier, Model, runtime};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "classify",
    about = "Top ImageNet classes of photos, one JSON line per file"
)]
struct Args {
    /// Model folder (with model.json); the shipped EfficientNet-Lite0 by default.
    #[arg(long, env = "GALLERY_MODEL_DIR")]
    model: Option<PathBuf>,
    /// How many classes to print per photo.
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// ONNX Runtime threads per photo (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let setup = || -> Result<Classifier, classifier::Error> {
        let dir = match &args.model {
            Some(dir) => dir.clone(),
            None => runtime::default_model_dir()?,
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Classifier::new(Arc::new(Model::load(dir)?), args.threads.unwrap_or(cores))
    };
    let mut classifier = match setup() {
        Ok(c) => c,
        Err(err) => {
            eprintln!("classify: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let mut failures = 0;
    for file in &args.files {
        let started = Instant::now();
        let result = std::fs::read(file)
            .map_err(|e| classifier::Error::Decode(format!("cannot read the file: {e}")))
            .and_then(|bytes| classifier.classify(&bytes, args.top));
        let line = match result {
            Ok(labels) => {
                let labels: Vec<_> = labels
                    .iter()
                    .map(|p| json!({"label": p.label, "class_index": p.class_index, "score": p.score}))
                    .collect();
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                json!({"file": file, "labels": labels, "ms": (ms * 100.0).round() / 100.0})
            }
            Err(err) => {
                failures += 1;
                json!({"file": file, "error": err.to_string()})
            }
        };
        let _ = writeln!(out, "{line}");
    }
    if failures == args.files.len() {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
