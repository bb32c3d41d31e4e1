//! The binary's settings: what it refuses to start with, and what it never prints.
mod common;

use std::process::Command;

fn gallery(env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_gallery"));
    command
        .env("GALLERY_BIND", "127.0.0.1:0")
        .env(
            "GALLERY_STORAGE",
            format!("fs:{}/objects", dir.path().display()),
        )
        .env("GALLERY_CLASSIFIER", "off");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

#[test]
fn a_database_that_cannot_be_reached_is_named_without_its_password() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = gallery(&[(
        "GALLERY_DATABASE_URL",
        &format!("postgres://gallery:hunter2-very-secret@127.0.0.1:{port}/gallery"),
    )]);
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("cannot open the database"), "{said}");
    assert!(
        said.contains(&format!("gallery:***@127.0.0.1:{port}")),
        "{said}"
    );
    assert!(
        !said.contains("hunter2"),
        "the password was printed: {said}"
    );
}

#[test]
fn settings_that_make_no_sense_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/g.db", dir.path().display());
    for (name, value, says) in [
        (
            "GALLERY_TRUSTED_PROXIES",
            "10.0.0.0/8, not-an-address",
            "not-an-address",
        ),
        ("GALLERY_SIGNUP", "sometimes", "sometimes"),
    ] {
        let out = gallery(&[("GALLERY_DATABASE_URL", &db), (name, value)]);
        assert!(!out.status.success(), "{name}={value}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(says), "{name}: {said}");
    }
}
