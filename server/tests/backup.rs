//! `gallery backup`, `gallery restore` and `gallery check`, run as an operator runs them:
//! the real binary beside a real server. The backup is taken while uploads keep arriving
//! and photos are deleted for good; what it restores is checked byte by byte. The check
//! runs on SQLite and files, and in the PostgreSQL pass of scripts/test.sh on PostgreSQL
//! and S3 (GALLERY_TEST_POSTGRES, GALLERY_TEST_S3).
/// A photo the server acknowledged: its id and its bytes.
type Uploaded = (String, Vec<u8>);

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{Binary, TestApp, jpeg, spawn_app_with};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The settings of an embedded gallery whose data folder is `dir`.
fn data_folder(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "GALLERY_DATABASE_URL",
            format!("sqlite://{}/gallery.db", dir.display()),
        ),
        ("GALLERY_STORAGE", format!("fs:{}/objects", dir.display())),
        ("GALLERY_CLASSIFIER", "off".into()),
    ]
}

/// Runs `gallery ARGS` with these settings, to its end.
async fn gallery(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_gallery"));
    command
        .args(args)
        .env("GALLERY_LOG", "warn")
        .env("RUST_BACKTRACE", "0");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().await.unwrap();
    eprintln!(
        "gallery {}:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A photo of its own for each `n`.
fn photo(n: usize) -> Vec<u8> {
    jpeg(24 + (n % 61) as u32, 16 + (n / 61 % 61) as u32)
}

async fn upload(client: &Client, base: &str, token: &str, data: Vec<u8>) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(data).file_name("p.jpg"),
    );
    let res = client
        .post(format!("{base}/api/v1/images"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Moves a photo to the Trash, and with `forever` deletes it from there.
async fn delete(client: &Client, base: &str, token: &str, id: &str, forever: bool) {
    let res = client
        .delete(format!("{base}/api/v1/images/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    if forever {
        let res = client
            .post(format!("{base}/api/v1/trash/purge"))
            .bearer_auth(token)
            .json(&json!({ "image_ids": [id] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

/// The keys of the files below a storage folder.
fn keys_in(root: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let key = path.strip_prefix(root).unwrap().to_str().unwrap();
                out.insert(key.replace(std::path::MAIN_SEPARATOR, "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, root, &mut out);
    out
}

/// The figures of a backup's "objects:" line: copied, already there, removed.
fn objects_line(out: &Output) -> (usize, usize, usize) {
    let text = stdout(out);
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("objects: "))
        .unwrap_or_else(|| panic!("no objects line in {text}"));
    // "N copied (SIZE), K already there, R no longer needed removed"
    let before = |words: &str| -> usize {
        let end = line
            .find(words)
            .unwrap_or_else(|| panic!("{words:?} in {line}"));
        line[..end].rsplit(' ').next().unwrap().parse().unwrap()
    };
    (
        before(" copied"),
        before(" already there"),
        before(" no longer needed"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_uploads_arrive_restores_every_acknowledged_photo_byte_exact() {
    let data = tempfile::tempdir().unwrap();
    let server = Binary::start(&data_folder(data.path()));
    let client = Client::new();
    let token = server.token(&client).await;

    let mut acknowledged = Vec::new();
    for n in 0..30 {
        let bytes = photo(n);
        acknowledged.push((
            upload(&client, &server.base, &token, bytes.clone()).await,
            bytes,
        ));
    }
    // A photo in the Trash keeps its row and objects: it is backed up and comes back there.
    let trashed = acknowledged.pop().unwrap().0;
    delete(&client, &server.base, &token, &trashed, false).await;
    let mut doomed = Vec::new();
    for n in 30..50 {
        doomed.push(upload(&client, &server.base, &token, photo(n)).await);
    }

    // Uploads keep arriving, and photos are deleted for good, while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let arrived: Arc<Mutex<Vec<Uploaded>>> = Arc::default();
    let uploader = {
        let (stop, arrived, client, token) =
            (stop.clone(), arrived.clone(), client.clone(), token.clone());
        let base = server.base.clone();
        tokio::spawn(async move {
            let mut n = 1000;
            while !stop.load(Ordering::Relaxed) {
                let bytes = photo(n);
                let id = upload(&client, &base, &token, bytes.clone()).await;
                arrived.lock().unwrap().push((id, bytes));
                n += 1;
            }
        })
    };
    while arrived.lock().unwrap().len() < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let purger = {
        let (client, token, base) = (client.clone(), token.clone(), server.base.clone());
        tokio::spawn(async move {
            for id in doomed {
                delete(&client, &base, &token, &id, true).await;
            }
        })
    };
    acknowledged.extend(arrived.lock().unwrap().iter().cloned());
    let backup = tempfile::tempdir().unwrap();
    let dir = backup.path().join("nightly");
    let out = gallery(
        &["backup", dir.to_str().unwrap()],
        &data_folder(data.path()),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    uploader.await.unwrap();
    purger.await.unwrap();
    assert!(out.status.success(), "the backup ends well");
    assert!(stdout(&out).contains("photos"), "it says what it wrote");
    assert!(dir.join("gallery.db").is_file());

    let fresh = tempfile::tempdir().unwrap();
    let restored = data_folder(fresh.path());
    let out = gallery(&["restore", dir.to_str().unwrap()], &restored).await;
    assert!(out.status.success(), "the restore ends well");
    let out = gallery(&["check", "--hashes"], &restored).await;
    assert!(out.status.success(), "the restored gallery is whole");
    assert!(stdout(&out).contains("all well"));

    let server = Binary::start(&restored);
    let token = server.token(&client).await;
    for (id, bytes) in &acknowledged {
        let res = client
            .get(server.url(&format!("/api/v1/images/{id}/original")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "photo {id} is restored");
        assert_eq!(&res.bytes().await.unwrap()[..], &bytes[..], "byte-exact");
    }
    let trash = client
        .get(server.url("/api/v1/trash"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(trash.contains(&trashed), "the Trash comes back too");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_backup_copies_only_what_is_new_and_drops_what_is_gone() {
    let data = tempfile::tempdir().unwrap();
    let env = data_folder(data.path());
    let server = Binary::start(&env);
    let client = Client::new();
    let token = server.token(&client).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(upload(&client, &server.base, &token, photo(n)).await);
    }
    let backup = tempfile::tempdir().unwrap();
    let dir = backup.path().to_str().unwrap();
    let first = keys_in(&data.path().join("objects"));
    let out = gallery(&["backup", dir], &env).await;
    assert!(out.status.success());
    assert_eq!(objects_line(&out), (first.len(), 0, 0));

    for n in 4..6 {
        upload(&client, &server.base, &token, photo(n)).await;
    }
    delete(&client, &server.base, &token, &ids[0], true).await;
    let second = keys_in(&data.path().join("objects"));
    let out = gallery(&["backup", dir], &env).await;
    assert!(out.status.success());
    assert_eq!(
        objects_line(&out),
        (
            second.difference(&first).count(),
            second.intersection(&first).count(),
            first.difference(&second).count()
        ),
        "only the new objects are copied, and those of the photo deleted for good go"
    );
    assert_eq!(keys_in(&backup.path().join("objects")), second);

    let out = gallery(&["backup", dir], &env).await;
    assert_eq!(objects_line(&out), (0, second.len(), 0), "nothing new");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_whose_object_is_gone_is_left_out_of_the_backup_and_named() {
    let data = tempfile::tempdir().unwrap();
    let env = data_folder(data.path());
    let server = Binary::start(&env);
    let client = Client::new();
    let token = server.token(&client).await;
    let kept = upload(&client, &server.base, &token, photo(1)).await;
    let damaged = upload(&client, &server.base, &token, photo(2)).await;
    let app_db = sqlite(data.path()).await;
    let (thumb,): (String,) = sqlx::query_as("SELECT thumb_key FROM images WHERE id = $1")
        .bind(&damaged)
        .fetch_one(&app_db)
        .await
        .unwrap();
    std::fs::remove_file(data.path().join("objects").join(&thumb)).unwrap();

    let backup = tempfile::tempdir().unwrap();
    let dir = backup.path().to_str().unwrap();
    let out = gallery(&["backup", dir], &env).await;
    assert!(!out.status.success(), "a damaged store is no quiet success");
    assert!(stdout(&out).contains(&format!(
        "left out: photo {damaged}, whose object {thumb} is missing"
    )));

    let fresh = tempfile::tempdir().unwrap();
    let restored = data_folder(fresh.path());
    assert!(gallery(&["restore", dir], &restored).await.status.success());
    assert!(
        gallery(&["check", "--hashes"], &restored)
            .await
            .status
            .success()
    );
    let db = sqlite(fresh.path()).await;
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM images")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(ids, vec![(kept,)]);
    let (count,): (i64,) = sqlx::query_as("SELECT image_count FROM users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(count, 1, "the owner's usage counts what is there");
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_never_writes_over_a_data_folder() {
    let data = tempfile::tempdir().unwrap();
    let env = data_folder(data.path());
    let server = Binary::start(&env);
    let client = Client::new();
    let token = server.token(&client).await;
    upload(&client, &server.base, &token, photo(1)).await;
    let backup = tempfile::tempdir().unwrap();
    let dir = backup.path().to_str().unwrap();
    assert!(gallery(&["backup", dir], &env).await.status.success());
    let before = keys_in(data.path());

    let out = gallery(&["restore", dir], &env).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty data folder"));
    // Only objects left there, no database: refused all the same.
    let objects_only = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(objects_only.path().join("objects/u/x")).unwrap();
    std::fs::write(objects_only.path().join("objects/u/x/y"), b"kept").unwrap();
    let out = gallery(&["restore", dir], &data_folder(objects_only.path())).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    assert!(!objects_only.path().join("gallery.db").exists());
    assert_eq!(keys_in(data.path()), before, "nothing was touched");

    let out = gallery(
        &["restore", "/nonexistent/backup"],
        &data_folder(objects_only.path()),
    )
    .await;
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_refuses_postgresql_and_names_its_tools() {
    let dir = tempfile::tempdir().unwrap();
    let env = [(
        "GALLERY_DATABASE_URL",
        "postgres://gallery@127.0.0.1:9/gallery".to_owned(),
    )];
    let out = gallery(&["backup", dir.path().to_str().unwrap()], &env).await;
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("pg_dump") && said.contains("versioning"),
        "{said}"
    );
    let out = gallery(&["restore", dir.path().to_str().unwrap()], &env).await;
    assert!(!out.status.success());
}

/// A gallery for the check: SQLite and files, or in the PostgreSQL pass PostgreSQL and S3.
async fn checked_app() -> TestApp {
    let s3 = std::env::var("GALLERY_TEST_S3").ok();
    let scaled = std::env::var("GALLERY_TEST_POSTGRES").is_ok() && s3.is_some();
    if let (true, Some(endpoint)) = (scaled, &s3) {
        common::s3_client(endpoint, "gallery-test").await;
    }
    spawn_app_with(move |c| {
        if let (true, Some(endpoint)) = (scaled, s3) {
            c.storage = format!("s3://gallery-test/check{}", uuid::Uuid::new_v4().simple());
            c.s3_endpoint = Some(endpoint);
        }
    })
    .await
}

fn settings_of(app: &TestApp) -> Vec<(&'static str, String)> {
    let config = &app.state.config;
    let mut env = vec![
        ("GALLERY_DATABASE_URL", config.database_url.clone()),
        ("GALLERY_STORAGE", config.storage.clone()),
    ];
    env.extend(
        config
            .s3_endpoint
            .clone()
            .map(|e| ("GALLERY_S3_ENDPOINT", e)),
    );
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn check_lists_an_orphan_a_missing_object_and_with_hashes_a_changed_original() {
    let app = checked_app().await;
    let t = app.user("ada@example.org").await;
    let ids: Vec<String> = [
        app.photo(&t, "a.jpg", None).await,
        app.photo_bytes(&t, "b.jpg", photo(2)).await,
        app.photo_bytes(&t, "c.jpg", photo(3)).await,
    ]
    .into();
    let model = register_model(&app).await;
    let env = settings_of(&app);
    let mut now = env.clone();
    now.push(("GALLERY_SWEEP_AFTER_MINUTES", "0".into()));
    let out = gallery(&["check", "--hashes"], &now).await;
    assert!(out.status.success());
    assert!(stdout(&out).contains("all well: 3 photos, 1 registered models"));

    let keys = |id: &str| {
        let db = app.state.db.clone();
        let id = id.to_owned();
        async move {
            let row: (String, String, String) =
                sqlx::query_as("SELECT owner_id, object_key, thumb_key FROM images WHERE id = $1")
                    .bind(id)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            row
        }
    };
    let (owner, _, thumb) = keys(&ids[1]).await;
    let (_, original, _) = keys(&ids[2]).await;
    let storage = &app.state.storage;
    let stray = format!("u/{owner}/{}", uuid::Uuid::new_v4().simple());
    storage
        .put(&stray, b"stray".to_vec().into(), "image/jpeg")
        .await
        .unwrap();
    storage.delete(&thumb).await.unwrap();
    storage.delete(&format!("{model}labels")).await.unwrap();
    let mut changed = storage.get(&original).await.unwrap().to_vec();
    *changed.last_mut().unwrap() ^= 0xff;
    storage
        .put(&original, changed.into(), "image/jpeg")
        .await
        .unwrap();

    let out = gallery(&["check"], &now).await;
    assert!(!out.status.success());
    let said = stdout(&out);
    assert!(said.contains(&format!("orphan: {stray}")), "{said}");
    assert!(said.contains(&format!(
        "missing: photo {} has no thumbnail ({thumb})",
        ids[1]
    )));
    assert!(said.contains(&format!("{model}labels")));
    assert!(
        !said.contains("hash mismatch"),
        "the same size: only the hashes tell"
    );
    assert!(said.contains("3 problems"), "{said}");

    let out = gallery(&["check", "--hashes"], &now).await;
    assert!(!out.status.success());
    let said = stdout(&out);
    assert!(
        said.contains(&format!("hash mismatch: photo {}: {original}", ids[2])),
        "{said}"
    );
    assert!(said.contains("4 problems"), "{said}");

    // An object without a row younger than an upload may take is not (yet) an orphan.
    let out = gallery(&["check"], &env).await;
    assert!(!stdout(&out).contains("orphan:"));
    assert!(stdout(&out).contains("younger than"));
}

/// A registered model as the registry leaves one (its row and three objects), without
/// the checks of registering: returns its folder in storage (`models/ID/`).
async fn register_model(app: &TestApp) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let folder = format!("models/{id}/");
    let onnx = b"not really a network".to_vec();
    let files: HashMap<&str, Vec<u8>> = [
        ("description", b"{}".to_vec()),
        ("labels", b"[]".to_vec()),
        ("onnx", onnx.clone()),
    ]
    .into();
    for (name, bytes) in files {
        app.state
            .storage
            .put(
                &format!("{folder}{name}"),
                bytes.into(),
                "application/octet-stream",
            )
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO models (id, name, description, input_size, classes, bytes, sha256, storage_key, check_ms, created_at)
         VALUES ($1, 'test', '{}', 224, 0, $2, $3, $4, 1.0, 0)",
    )
    .bind(&id)
    .bind(onnx.len() as i64)
    .bind(hex::encode(Sha256::digest(&onnx)))
    .bind(&folder)
    .execute(&app.state.db)
    .await
    .unwrap();
    folder
}

/// The database of a data folder, for looking inside.
async fn sqlite(dir: &Path) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let path: PathBuf = dir.join("gallery.db");
    sqlx::AnyPool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

/// `gallery ARGS` must succeed; what it printed.
async fn gallery_ok(args: &[&str], env: &[(&str, String)]) -> String {
    let out = gallery(args, env).await;
    assert!(out.status.success(), "gallery {} failed", args.join(" "));
    stdout(&out)
}

/// How many photo rows the data folder's database has.
async fn photo_rows(db: &sqlx::AnyPool) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM images")
        .fetch_one(db)
        .await
        .unwrap()
}

/// kill -9 while a Trash of 500 photos is being emptied, then start again: whichever step
/// the kill hit, no row points at a missing object (`gallery check` finds nothing missing),
/// what the crash left is only orphans, which the sweep takes, and emptying the Trash again
/// finishes the work, down to the last file and byte of quota.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_while_emptying_the_trash_leaves_nothing_dangling() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = data_folder(data.path());
    settings.push(("GALLERY_SWEEP_AFTER_MINUTES", "0".into()));
    let mut server = Binary::start(&settings);
    let client = Client::new();
    let token = server.token(&client).await;
    let folder: Value = client
        .post(server.url("/api/v1/folders"))
        .bearer_auth(&token)
        .json(&json!({ "name": "Holiday" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let folder = folder["id"].as_str().unwrap();
    for chunk in 0..20 {
        let mut form = reqwest::multipart::Form::new().text("folder_id", folder.to_owned());
        for n in 0..25 {
            let part = reqwest::multipart::Part::bytes(photo(chunk * 25 + n)).file_name("p.jpg");
            form = form.part("file", part);
        }
        let res = client
            .post(server.url("/api/v1/images"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let objects = data.path().join("objects");
    let stored = keys_in(&objects).len();
    let res = client
        .delete(server.url(&format!("/api/v1/folders/{folder}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let db = sqlite(data.path()).await;
    assert_eq!(photo_rows(&db).await, 500);

    // Empty the Trash, and kill the server as soon as the first batch is gone.
    let purge = client
        .post(server.url("/api/v1/trash/purge"))
        .bearer_auth(&token)
        .json(&json!({ "all": true }))
        .send();
    let purging = tokio::spawn(purge);
    let left = loop {
        let left = photo_rows(&db).await;
        if left < 500 {
            break left;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    };
    server.kill();
    assert!(purging.await.unwrap().is_err(), "the purge was cut off");
    let left_after = photo_rows(&db).await;
    assert!(
        left > 0 && left_after > 0,
        "the kill came before the purge was done"
    );

    // Nothing missing; what the crash left is orphans only, and the sweep takes them.
    let check = gallery(&["check"], &settings).await;
    let said = stdout(&check);
    assert!(!said.contains("missing:"), "{said}");
    assert_eq!(
        check.status.success(),
        !said.contains("orphan:"),
        "only orphans are wrong: {said}"
    );
    gallery_ok(&["admin", "sweep"], &settings).await;
    assert!(gallery_ok(&["check"], &settings).await.contains("all well"));
    assert!(keys_in(&objects).len() < stored);

    // Started again, the Trash still has the rest, and emptying it finishes.
    let server = Binary::start(&settings);
    let trash: Value = client
        .get(server.url("/api/v1/trash"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(trash["folders"][0]["name"], "Holiday", "{trash}");
    let res = client
        .post(server.url("/api/v1/trash/purge"))
        .bearer_auth(&token)
        .json(&json!({ "all": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["purged"],
        json!(left_after)
    );
    assert_eq!(photo_rows(&db).await, 0);
    let photo_files: Vec<String> = keys_in(&objects)
        .into_iter()
        .filter(|k| k.starts_with("u/"))
        .collect();
    assert!(photo_files.is_empty(), "{photo_files:?}");
    let used: i64 = sqlx::query_scalar("SELECT bytes_used FROM users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(used, 0, "the space is free again");
    assert!(gallery_ok(&["check"], &settings).await.contains("all well"));
}
