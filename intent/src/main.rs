//! `intent predict`: reads JSON lines with a "text" field on standard input and writes one
//! JSON line each: {"text", "intent", "confidence", "slots"}.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use intent::{IntentModel, default_model_dir};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "intent",
    about = "The gallery's voice intent model on the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Model folder (with intent.onnx); the shipped one by default.
    #[arg(long, global = true, env = intent::MODEL_SETTING)]
    model: Option<PathBuf>,
    /// Path of the ONNX Runtime library, when it is not in the usual places.
    #[arg(long, global = true, env = onnx_runtime::LIBRARY_SETTING)]
    ort_library: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Reads {"text": …} lines on standard input; writes each one's intent and slots.
    Predict,
}

fn main() -> std::process::ExitCode {
    // SAFETY: no other thread runs yet.
    unsafe { onnx_runtime::disable_telemetry() };
    let cli = Cli::parse();
    let Command::Predict = cli.command;
    onnx_runtime::use_library(cli.ort_library);
    let dir = cli.model.map_or_else(default_model_dir, Ok);
    let model = match dir.and_then(IntentModel::load) {
        Ok(model) => model,
        Err(err) => {
            eprintln!("intent: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(v) => match v.get("text").and_then(Value::as_str) {
                Some(text) => match model.interpret(text) {
                    Ok(i) => {
                        json!({"text": text, "intent": i.intent, "confidence": i.confidence, "slots": i.slots})
                    }
                    Err(err) => json!({"text": text, "error": err.to_string()}),
                },
                None => json!({"error": "each line needs a \"text\" field"}),
            },
            Err(err) => json!({"error": format!("not a JSON line: {err}")}),
        };
        let _ = writeln!(out, "{answer}");
    }
    std::process::ExitCode::SUCCESS
}
