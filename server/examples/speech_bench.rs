//! Voice commands recognised on the server, timed and scored: every spoken test command
//! (`speech/tests/commands.tsv`) from its WAV bytes to the intent, with Whisper's encoder
//! cut to the speech and with the whole 30 s window, in the same run.
//!
//! `cargo run --release -p gallery --example speech_bench -- [--threads N] [--misses]
//! [--fresh] [--margin FRAMES] [--cut-only]`: `--fresh` scores the held-out set
//! (`commands-fresh.tsv`) instead of the one the settings were chosen on.
//! (`scripts/bench-speech.sh` runs it on one core and on two). It lives with the server's
//! benchmarks for their percentile (`gallery::stats`); it times the `speech` crate alone.

#[path = "../../speech/tests/common/spoken.rs"]
mod spoken;

use std::time::Instant;

use clap::Parser;
use gallery::stats::percentile;
use intent::IntentModel;
use speech::{Options, Recogniser};

/// Times and scores the spoken test commands, from their WAV bytes to the intent.
#[derive(Parser)]
struct Args {
    /// ONNX Runtime threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// List every command heard wrong.
    #[arg(long)]
    misses: bool,
    /// Score the held-out set (`commands-fresh.tsv`) instead of the tuned one.
    #[arg(long)]
    fresh: bool,
    /// Mel frames of silence kept after the speech when cut (default: the server's).
    #[arg(long, value_name = "FRAMES")]
    margin: Option<usize>,
    /// Only the variants that cut the encoder's input to the speech.
    #[arg(long)]
    cut_only: bool,
}

fn main() {
    // SAFETY: no other thread runs yet.
    unsafe { onnx_runtime::disable_telemetry() };
    let args = Args::parse();
    let threads = args.threads;
    let dir = speech::default_model_dir().expect("speech model");
    let started = Instant::now();
    let recogniser = Recogniser::load(&dir, threads).expect("speech model loads");
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let intents = IntentModel::load(intent::default_model_dir().expect("intent model"))
        .expect("intent model loads");
    let set = if args.fresh {
        spoken::Set::Fresh
    } else {
        spoken::Set::Tuned
    };
    let folder = spoken::speech_dir(set);
    let rows = spoken::rows(set);
    let recordings: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| std::fs::read(folder.join(format!("{}.wav", r.id))).expect("a test WAV"))
        .collect();
    let seconds: Vec<f64> = recordings
        .iter()
        .map(|b| (b.len() as f64 - 44.0) / 32_000.0)
        .collect();
    println!(
        "{} spoken commands ({}), {:.1}–{:.1} s each (mean {:.2} s); {threads} ONNX Runtime thread(s); models loaded in {load_ms:.0} ms",
        rows.len(),
        if set == spoken::Set::Fresh {
            "held out, commands-fresh.tsv"
        } else {
            "tuned on, commands.tsv"
        },
        seconds.iter().copied().fold(f64::INFINITY, f64::min),
        seconds.iter().copied().fold(0.0, f64::max),
        seconds.iter().sum::<f64>() / seconds.len() as f64,
    );
    let margin = args.margin.unwrap_or(Options::default().margin_frames);
    let cut = Options {
        margin_frames: margin,
        ..Options::default()
    };
    let no_prompt = Options {
        prompt: false,
        ..cut
    };
    let variants = [
        ("cut, commands as prompt", cut),
        ("whole window, prompt", Options { cut: false, ..cut }),
        ("cut, no prompt", no_prompt),
        (
            "whole window, no prompt",
            Options {
                cut: false,
                ..no_prompt
            },
        ),
    ];
    // One command first, so that neither variant pays for the first run.
    let warm = spoken::samples(&folder.join(format!("{}.wav", rows[0].id)));
    for (_, options) in &variants {
        recogniser
            .recognise_with(&warm, *options)
            .expect("recognises");
    }
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>9} {:>9} {:>8} {:>10}",
        "", "p50 ms", "p95 ms", "max ms", "encoder", "decoder", "tokens", "right"
    );
    for (name, options) in variants {
        if args.cut_only && !options.cut {
            continue;
        }
        let mut total = Vec::new();
        let (mut encoder, mut decoder, mut tokens, mut right) = (0.0, 0.0, 0usize, 0usize);
        let mut missed = Vec::new();
        for (row, bytes) in rows.iter().zip(&recordings) {
            let started = Instant::now();
            let samples =
                speech::audio::decode(bytes, speech::audio::Kind::Wav, speech::MAX_SECONDS)
                    .expect("a readable WAV");
            let heard = recogniser
                .recognise_with(&samples, options)
                .expect("recognises");
            let got = intents.interpret(heard.text());
            total.push(started.elapsed().as_secs_f64() * 1000.0);
            if let Some(t) = &heard.transcript {
                encoder += t.encoder_ms;
                decoder += t.decoder_ms;
                tokens += t.tokens;
            }
            match got {
                Ok(got) if spoken::right(row, &got) => right += 1,
                Ok(got) => missed.push(format!(
                    "  {} [{} {}] said {:?}, heard {:?} → {} {}",
                    row.id,
                    row.voice,
                    row.noise,
                    row.text,
                    heard.text(),
                    serde_json::to_string(&got.intent).unwrap_or_default(),
                    serde_json::to_string(&got.slots).unwrap_or_default()
                )),
                Err(e) => missed.push(format!("  {} heard {:?}: {e}", row.id, heard.text())),
            }
        }
        let n = rows.len() as f64;
        total.sort_by(f64::total_cmp);
        println!(
            "{:<28} {:>8.0} {:>8.0} {:>8.0} {:>9.0} {:>9.0} {:>8.1} {:>5}/{} {:.1} %",
            name,
            percentile(&total, 0.5),
            percentile(&total, 0.95),
            total[total.len() - 1],
            encoder / n,
            decoder / n,
            tokens as f64 / n,
            right,
            rows.len(),
            100.0 * right as f64 / n
        );
        if args.misses {
            for line in missed {
                println!("{line}");
            }
        }
    }
    println!(
        "(ms from the recording's bytes to the intent: WAV decoding, voice activity, Whisper, the intent model; encoder and decoder are means per command)"
    );
}
