//! The `classify` command as a person uses it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn prints_one_json_line_per_file_and_goes_on_after_a_bad_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_classify"))
        .args([
            "--top",
            "2",
            &testdata("coffee.png"),
            &testdata("README.md"),
            "/no/such/file.jpg",
            &testdata("rocket.jpg"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["file"], testdata("coffee.png"));
    let labels = lines[0]["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0]["label"], "espresso");
    assert_eq!(labels[0]["class_index"], 967);
    assert!(labels[0]["score"].as_f64().unwrap() > 0.9);
    assert!(lines[0]["ms"].as_f64().unwrap() > 0.0);
    assert!(lines[1]["error"].as_str().unwrap().contains("not a JPEG"));
    assert!(lines[2]["error"].as_str().unwrap().contains("cannot read"));
    assert!(lines[3]["labels"].is_array());
}

#[test]
fn a_missing_model_is_a_clear_message_and_exit_code() {
    let out = Command::new(env!("CARGO_BIN_EXE_classify"))
        .args(["--model", "/no/such/model", &testdata("coffee.png")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/model/model.json"), "{err}");
}
