//! The spoken test commands (`speech/tests/commands.tsv`, made into WAVs by
//! `scripts/make-test-speech.sh` with espeak-ng and sox) and how a heard command is scored:
//! the right intent and the right slots, compared as the gallery uses them (letters in any
//! case, without the punctuation a transcript adds).

use std::path::{Path, PathBuf};
use std::process::Command;

use intent::Interpretation;
use serde_json::{Map, Value};

pub struct Row {
    pub id: String,
    pub text: String,
    pub voice: String,
    pub noise: String,
    pub intent: String,
    pub slots: Map<String, Value>,
}

pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Which set: `commands.tsv`, tuned on (the test's), or `commands-fresh.tsv`, written after
/// every choice was made and measured once, for the figure reported.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Set {
    Tuned,
    Fresh,
}

impl Set {
    fn table(self) -> &'static str {
        match self {
            Set::Tuned => "speech/tests/commands.tsv",
            Set::Fresh => "speech/tests/commands-fresh.tsv",
        }
    }
}

pub fn rows(set: Set) -> Vec<Row> {
    let table = std::fs::read_to_string(root().join(set.table()))
        .unwrap_or_else(|e| panic!("{}: {e}", set.table()));
    table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 7, "a row of commands.tsv: {line}");
            Row {
                id: f[0].into(),
                text: f[1].into(),
                voice: f[2].into(),
                noise: f[4].into(),
                intent: f[5].into(),
                slots: serde_json::from_str(f[6]).expect("slots as JSON"),
            }
        })
        .collect()
}

/// The folder of the spoken commands, made (or brought up to date) first; by one test at a
/// time, so that none reads a recording another is still writing.
pub fn speech_dir(set: Set) -> PathBuf {
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = root().join(match set {
        Set::Tuned => ".cache/test-speech",
        Set::Fresh => ".cache/test-speech-fresh",
    });
    let status = Command::new("bash")
        .arg(root().join("scripts/make-test-speech.sh"))
        .arg("--table")
        .arg(root().join(set.table()))
        .arg(&dir)
        .status()
        .expect("scripts/make-test-speech.sh runs");
    assert!(
        status.success(),
        "scripts/make-test-speech.sh failed (espeak-ng and sox installed?)"
    );
    dir
}

pub fn samples(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    speech::audio::decode(&bytes, speech::audio::Kind::Wav, speech::MAX_SECONDS)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn plain(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase(),
        ),
        other => other.clone(),
    }
}

/// Whether the interpretation is the row's: its intent and exactly its slots.
pub fn right(row: &Row, got: &Interpretation) -> bool {
    let intent = serde_json::to_value(got.intent).ok();
    if intent.as_ref().and_then(Value::as_str) != Some(row.intent.as_str()) {
        return false;
    }
    row.slots.len() == got.slots.len()
        && row
            .slots
            .iter()
            .all(|(k, v)| got.slots.get(k).map(plain) == Some(plain(v)))
}
