//! `intent predict`: reads JSON lines with a "text" field on standard input and writes one
//! JSON line each: {"text", "intent", "confidence", "slots"}.

use std::io::{BufRead, Write};

use intent::{IntentModel, default_model_dir};
use serde_json::{Value, json};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("predict") {
        eprintln!("usage: intent predict [--model DIR] < lines of {{\"text\": …}}");
        return std::process::ExitCode::from(2);
    }
    let dir = match args
        .iter()
        .position(|a| a == "--model")
        .and_then(|i| args.get(i + 1))
    {
        Some(dir) => Ok(dir.into()),
        None => default_model_dir(),
    };
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
