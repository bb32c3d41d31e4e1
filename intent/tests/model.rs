//! The committed model against the committed test split (phrasings written apart from the
//! training templates), with the thresholds the product needs.

use std::path::Path;

use intent::IntentModel;
use serde_json::{Map, Value};

fn model_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("model")
}

/// The committed model's figures on one test split of `model/`.
struct Figures {
    intent_accuracy: f64,
    frame_accuracy: f64,
    oos_recall: f64,
    in_scope_rejected: f64,
    /// Lines that are not a confirmation but were read as `confirm`.
    read_as_yes: Vec<String>,
}

fn score(split: &str) -> Figures {
    let model = IntentModel::load(model_dir()).expect("the committed model loads");
    let rows: Vec<Value> = std::fs::read_to_string(model_dir().join(split))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() >= 150, "a test split of real size");
    let (mut intents_ok, mut frames_ok) = (0, 0);
    let (mut oos, mut oos_caught, mut ins, mut ins_rejected) = (0, 0, 0, 0);
    let (mut wrong, mut read_as_yes) = (Vec::new(), Vec::new());
    for row in &rows {
        let text = row["text"].as_str().unwrap();
        let expected = row["intent"].as_str().unwrap();
        let got = model.interpret(text).unwrap();
        let slots: Map<String, Value> = got.slots.clone().into_iter().collect();
        let intent_ok = got.intent.as_str() == expected;
        let frame_ok = intent_ok && Value::Object(slots) == row["slots"];
        intents_ok += usize::from(intent_ok);
        frames_ok += usize::from(frame_ok);
        if expected == "none" {
            oos += 1;
            oos_caught += usize::from(got.intent == intent::Intent::None);
        } else {
            ins += 1;
            ins_rejected += usize::from(got.intent == intent::Intent::None);
        }
        if expected != "confirm" && got.intent == intent::Intent::Confirm {
            read_as_yes.push(format!("{text:?} ({})", got.confidence));
        }
        if !frame_ok {
            wrong.push(format!(
                "{text:?}: expected {expected} {}, got {} {:?}",
                row["slots"], got.intent, got.slots
            ));
        }
    }
    let n = rows.len() as f64;
    let figures = Figures {
        intent_accuracy: intents_ok as f64 / n,
        frame_accuracy: frames_ok as f64 / n,
        oos_recall: oos_caught as f64 / oos as f64,
        in_scope_rejected: ins_rejected as f64 / ins.max(1) as f64,
        read_as_yes,
    };
    println!(
        "{split}: intent accuracy {:.3}, frame accuracy {:.3}, out-of-scope recall {:.3}, \
         in-scope rejected {:.3}\n{}",
        figures.intent_accuracy,
        figures.frame_accuracy,
        figures.oos_recall,
        figures.in_scope_rejected,
        wrong.join("\n")
    );
    figures
}

// The figures below are measured on two kinds of CPU, whose ONNX Runtime kernels differ
// (int8 products with AVX-512 VNNI on Intel Xeons; with AVX2 on AMD EPYC and on an emulated
// Haswell, scripts/emulated-cpu.sh), and each floor sits a few lines below the lower of the
// two, so that a line whose decision is a near tie may go either way on another CPU without
// failing the test; a real regression costs more lines than that. The exact figures are
// printed here and by `intent/train`'s evaluation.

#[test]
fn the_test_split_meets_the_accuracy_targets() {
    let f = score("test.jsonl");
    // 252 lines. The model of issue 31 (AVX2): intent 0.972, frame 0.940, out-of-scope
    // 1.0, in-scope rejected 0.018 (4 of 222). The model that learnt fillers, half
    // sentences and more of other domains as `none` (issues 18 and 31) reads a few short
    // commands ("let's watch a slideshow", "flowers this month") as `none`. Floors: three
    // lines or more under.
    assert!(
        f.intent_accuracy >= 0.955,
        "intent {:.3}",
        f.intent_accuracy
    );
    assert!(f.frame_accuracy >= 0.925, "frame {:.3}", f.frame_accuracy);
    assert!(
        f.oos_recall >= 0.90,
        "out-of-scope recall {:.3}",
        f.oos_recall
    );
    assert!(
        f.in_scope_rejected <= 0.035,
        "in-scope rejected {:.3}",
        f.in_scope_rejected
    );
}

/// Issue 18's split (intent/train/test-18.txt, written before the model was trained for it
/// and never tuned on): fillers, noise, half sentences and other domains are `none`, and
/// nothing but an explicit answer is ever read as `confirm` (on every CPU: a safety rule,
/// not a figure).
#[test]
fn no_filler_noise_or_half_sentence_is_read_as_a_yes() {
    let f = score("test18.jsonl");
    assert_eq!(f.read_as_yes, Vec::<String>::new(), "read as confirm");
    // 212 lines. The model of issue 31 (AVX2): intent 0.991, frame 0.991, out-of-scope
    // 0.984; issue 29's (VNNI): 0.986, 0.986, 0.976. Floors: two lines (three of the 123
    // out-of-scope lines) under the lower figure.
    assert!(f.intent_accuracy >= 0.97, "intent {:.3}", f.intent_accuracy);
    assert!(f.frame_accuracy >= 0.97, "frame {:.3}", f.frame_accuracy);
    assert!(
        f.oos_recall >= 0.94,
        "out-of-scope recall {:.3}",
        f.oos_recall
    );
}

/// Issue 31's splits: undo in its many words ("put it back", "restore the photo I just
/// deleted"), the Trash ("open recently deleted"), and near them what is not: deleting to
/// the Trash, cancelling a question, another domain's undoing and the trash of one's
/// kitchen. intent/train/test-31b.txt was written before the model was trained on the
/// data it has now and never tuned on: its figures are the reported ones.
/// intent/train/test-31.txt was written before the first training for the issue and then
/// used to improve the data, so it is a regression check here. Nothing of either is read
/// as a yes.
#[test]
fn undo_and_the_trash_are_understood_in_words_never_trained_on() {
    let fresh = score("test31b.jsonl");
    assert_eq!(fresh.read_as_yes, Vec::<String>::new(), "read as confirm");
    // 150 lines (35 out of scope). AVX2: intent 0.960, frame 0.960, out-of-scope 0.857
    // (30 of 35: "roll back the update" is an undo to the model). Floors: three lines
    // (three of the 35) under.
    assert!(
        fresh.intent_accuracy >= 0.94,
        "intent {:.3}",
        fresh.intent_accuracy
    );
    assert!(
        fresh.frame_accuracy >= 0.94,
        "frame {:.3}",
        fresh.frame_accuracy
    );
    assert!(
        fresh.oos_recall >= 0.77,
        "out-of-scope recall {:.3}",
        fresh.oos_recall
    );
    let tuned = score("test31.jsonl");
    assert_eq!(tuned.read_as_yes, Vec::<String>::new(), "read as confirm");
    // 152 lines (22 out of scope). AVX2: intent 0.980, frame 0.980, out-of-scope 0.955.
    assert!(
        tuned.intent_accuracy >= 0.96,
        "intent {:.3}",
        tuned.intent_accuracy
    );
    assert!(
        tuned.oos_recall >= 0.86,
        "out-of-scope recall {:.3}",
        tuned.oos_recall
    );
}

/// A decision no CPU's rounding can turn: the intent's probability far from any other's.
const CLEAR: f32 = 0.8;

#[test]
fn the_contract_examples_come_out_as_written() {
    let model = IntentModel::load(model_dir()).unwrap();
    let i = model.interpret("open the third picture").unwrap();
    assert_eq!(i.intent, intent::Intent::OpenImage);
    assert!(i.confidence >= CLEAR, "{i:?}");
    assert_eq!(i.slots.get("ordinal"), Some(&Value::from(3)));
    let i = model.interpret("show me pictures of my dog").unwrap();
    assert_eq!(i.intent, intent::Intent::Search);
    assert_eq!(i.slots.get("query"), Some(&Value::from("dog")));
    let i = model.interpret("Newest first.").unwrap();
    assert_eq!(
        (i.slots.get("sort_key"), i.slots.get("order")),
        (Some(&Value::from("date")), Some(&Value::from("desc")))
    );
}

#[test]
fn a_search_says_when_apart_from_what() {
    let model = IntentModel::load(model_dir()).unwrap();
    // The words for the time as said, a month's or a year's preposition with them; the query
    // without its article, as ever ("the dogs" is "dogs": words are not made singular).
    for (text, query, when) in [
        (
            "show me the dogs from last summer",
            Some("dogs"),
            "last summer",
        ),
        ("beach photos from 2023", Some("beach"), "from 2023"),
        (
            "Find pictures of my cat taken yesterday.",
            Some("cat"),
            "yesterday",
        ),
        // No query: every photo of July.
        ("what did I take in july", None, "in july"),
    ] {
        let i = model.interpret(text).unwrap();
        assert_eq!(i.intent, intent::Intent::Search, "{text}: {i:?}");
        assert!(i.confidence >= CLEAR, "{text}: {i:?}");
        assert_eq!(
            i.slots.get("query").and_then(Value::as_str),
            query,
            "{text}: {i:?}"
        );
        assert_eq!(
            i.slots.get("when").and_then(Value::as_str),
            Some(when),
            "{text}: {i:?}"
        );
    }
    // Without a time there is no `when`, and everything is still everything.
    let i = model.interpret("show me pictures of dogs").unwrap();
    assert_eq!(i.slots.get("when"), None);
    for text in ["show me everything", "show all"] {
        let i = model.interpret(text).unwrap();
        assert_eq!(i.intent, intent::Intent::ShowAll, "{text}: {i:?}");
    }
}

#[test]
fn empty_and_overlong_transcripts_are_input_errors() {
    let model = IntentModel::load(model_dir()).unwrap();
    assert!(matches!(
        model.interpret("   "),
        Err(intent::Error::Input(_))
    ));
    assert!(matches!(
        model.interpret(&"word ".repeat(200)),
        Err(intent::Error::Input(_))
    ));
}

#[test]
fn the_predict_command_speaks_json_lines() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_intent"))
        .arg("predict")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(
            b"{\"text\":\"open the third picture\"}\n{\"text\":\"turn on the lights\"}\nnot json\n\
              {\"text\":\"show me the dogs from last summer\"}\n",
        )
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["text"], "open the third picture");
    assert_eq!(lines[0]["intent"], "open_image");
    assert_eq!(lines[0]["slots"]["ordinal"], 3);
    assert!(lines[0]["confidence"].as_f64().unwrap() > 0.5);
    assert_eq!(lines[1]["intent"], "none");
    assert_eq!(lines[1]["slots"], serde_json::json!({}));
    assert!(lines[2]["error"].is_string());
    assert_eq!(lines[3]["intent"], "search");
    assert_eq!(
        lines[3]["slots"],
        serde_json::json!({"query": "dogs", "when": "last summer"})
    );
}
