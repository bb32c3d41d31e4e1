//! `classify [--model DIR] [--top K] FILE...`: one JSON line per file, in order,
//! `{"file", "labels": [{"label", "class_index", "score"}], "ms"}`, or `{"file", "error"}`.
//! Files are worked on by one thread per core, each with its own single-threaded session,
//! so decoding one photo overlaps with running the network on another.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use clap::Parser;
use classifier::{Classifier, Model, runtime};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "classify",
    about = "Top ImageNet classes of photos, one JSON line per file"
)]
struct Args {
    /// Model folder (with model.json); the shipped EfficientNet-Lite0 by default.
    #[arg(long, env = runtime::MODEL_SETTING)]
    model: Option<PathBuf>,
    /// Path of the ONNX Runtime library, when it is not in the usual places.
    #[arg(long, env = onnx_runtime::LIBRARY_SETTING)]
    ort_library: Option<PathBuf>,
    /// How many classes to print per photo.
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Photos worked on at once (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn classify_one(classifier: &mut Classifier, file: &PathBuf, top: usize) -> Value {
    let started = Instant::now();
    let result = std::fs::read(file)
        .map_err(|e| classifier::Error::Decode(format!("cannot read the file: {e}")))
        .and_then(|bytes| classifier.classify(&bytes, top));
    match result {
        Ok(labels) => {
            let labels: Vec<_> = labels
                .iter()
                .map(|p| json!({"label": p.label, "class_index": p.class_index, "score": p.score}))
                .collect();
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            json!({"file": file, "labels": labels, "ms": (ms * 100.0).round() / 100.0})
        }
        Err(err) => json!({"file": file, "error": err.to_string()}),
    }
}

fn main() -> std::process::ExitCode {
    // SAFETY: no other thread runs yet.
    unsafe { onnx_runtime::disable_telemetry() };
    let args = Args::parse();
    onnx_runtime::use_library(args.ort_library.clone());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cores).clamp(1, args.files.len().max(1));
    let load = || -> Result<Vec<Classifier>, classifier::Error> {
        let model = Arc::new(Model::load(runtime::model_dir(args.model.clone())?)?);
        // Fewer photos than cores: give each session the spare cores.
        let threads = (cores / jobs).max(1);
        (0..jobs)
            .map(|_| Classifier::new(model.clone(), threads))
            .collect()
    };
    let classifiers = match load() {
        Ok(c) => c,
        Err(err) => {
            eprintln!("classify: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let files = Arc::new(args.files);
    let next = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<(usize, Value)>();
    for mut classifier in classifiers {
        let (files, next, tx, top) = (files.clone(), next.clone(), tx.clone(), args.top);
        std::thread::spawn(move || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                if tx
                    .send((i, classify_one(&mut classifier, file, top)))
                    .is_err()
                {
                    break;
                }
            }
        });
    }
    drop(tx);
    // Print in the order of the arguments, each line as soon as its turn comes.
    let mut out = std::io::stdout().lock();
    let (mut pending, mut printed, mut failures) = (BTreeMap::new(), 0, 0);
    for (i, line) in rx {
        pending.insert(i, line);
        while let Some(line) = pending.remove(&printed) {
            failures += usize::from(line.get("error").is_some());
            let _ = writeln!(out, "{line}");
            printed += 1;
        }
    }
    if failures == files.len() {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
