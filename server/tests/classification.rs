//! Photos classified by the in-process worker pool: labels, live status, failures,
//! retries and recovery from a dead worker.
mod common;

use std::time::{Duration, Instant};

use common::{TestApp, fetch, settled, spawn_app_with, testdata};
use reqwest::StatusCode;
use serde_json::Value;

async fn classifying_app() -> TestApp {
    spawn_app_with(|c| {
        c.classifier = "local".into();
        c.classifier_workers = Some(2);
    })
    .await
}

/// Where one of a photo's files is on disk: `object_key` (the original) or `input_key`
/// (the classifier's rendition).
async fn stored(app: &TestApp, id: &str, column: &str) -> std::path::PathBuf {
    let sql = format!("SELECT {column} FROM images WHERE id = $1");
    let (key,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    app.objects_dir().join(key)
}

async fn object_key(app: &TestApp, id: &str) -> std::path::PathBuf {
    stored(app, id, "object_key").await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_upload_gets_its_top_three_labels() {
    let app = classifying_app().await;
    let t = app.user("ada@example.org").await;
    let coffee = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    let cat = app
        .photo_bytes(&t, "chelsea.jpg", testdata("chelsea.jpg"))
        .await;
    let coffee = settled(&app, &t, &coffee).await;
    assert_eq!(coffee["status"], "done");
    let labels = coffee["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 3);
    assert_eq!(labels[0]["label"], "espresso");
    assert_eq!(labels[0]["class_index"], 967);
    assert!(labels[0]["score"].as_f64().unwrap() > 0.9);
    assert!(
        labels
            .windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()),
        "best first"
    );
    let cat = settled(&app, &t, &cat).await;
    assert!(
        ["tiger cat", "tabby cat", "Egyptian Mau"]
            .contains(&cat["labels"][0]["label"].as_str().unwrap())
    );
    let (done,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 1")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(done, 2, "each job ran once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_the_classifier_cannot_read_ends_in_error_without_retries() {
    let app = spawn_app_with(|c| c.classifier = "off".into()).await;
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    // The file the job reads (the classifier's rendition) is damaged (a disk fault, say)
    // before the worker gets to it.
    std::fs::write(
        stored(&app, &id, "input_key").await,
        b"garbage where a photo was",
    )
    .unwrap();
    let app2 = restart_with_classifier(app).await;
    let image = settled(&app2, &t, &id).await;
    assert_eq!(image["status"], "error");
    assert!(
        image["status_detail"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{image}"
    );
    let (attempts,): (i64,) = sqlx::query_as("SELECT attempts FROM jobs")
        .fetch_one(&app2.state.db)
        .await
        .unwrap();
    assert_eq!(
        attempts, 1,
        "retrying cannot help a photo that does not decode"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_is_classified_from_its_small_rendition_and_again_from_the_original() {
    let app = spawn_app_with(|c| c.classifier = "off".into()).await;
    let t = app.user("ada@example.org").await;
    // 1200×800: the classifier decodes the original at 1/2; the upload decodes it in full
    // for the viewer and makes the classifier's half-scale pixels from that.
    let original = testdata("coffee-large.jpg");
    let id = app.photo_bytes(&t, "coffee.jpg", original.clone()).await;
    let (sizing,): (String,) = sqlx::query_as("SELECT input_sizing FROM images WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        sizing, "256 bicubic",
        "sized as the shipped model sizes photos"
    );
    let rendition = std::fs::read(stored(&app, &id, "input_key").await).unwrap();
    let pixels = image::load_from_memory(&rendition).unwrap();
    assert_eq!((pixels.width(), pixels.height()), (384, 256));
    assert!(rendition.len() < original.len(), "smaller than the photo");

    // Without its original, the first classification still runs: it reads the rendition.
    let original_path = object_key(&app, &id).await;
    std::fs::remove_file(&original_path).unwrap();
    let app = restart_with_classifier(app).await;
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "done", "{image}");
    // Its labels are those the `classify` command gives the original.
    let model = std::sync::Arc::new(
        classifier::Model::load(classifier::runtime::model_dir(None).unwrap()).unwrap(),
    );
    let expected = classifier::Classifier::new(model, 1)
        .unwrap()
        .classify(&original, 1000)
        .unwrap();
    let mut reference = vec![0.0; expected.len()];
    for label in &expected {
        reference[label.class_index as usize] = label.score;
    }
    let got: Vec<classifier::Label> = serde_json::from_value(image["labels"].clone()).unwrap();
    assert_eq!(got.len(), 3);
    if let Err(why) = classifier::agreement::check(&got, &reference, 0.01) {
        panic!("the rendition's labels are not the original's: {why}");
    }

    // Classifying again reads the original, and only it: without it, that fails.
    let again = |app: &TestApp| app.post(&t, &format!("/api/v1/images/{id}/reclassify"));
    assert_eq!(
        again(&app).send().await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "error", "{image}");
    assert!(
        image["status_detail"]
            .as_str()
            .unwrap()
            .contains("could not be fetched")
    );
    std::fs::write(&original_path, &original).unwrap();
    assert_eq!(
        again(&app).send().await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "done", "{image}");
    assert_eq!(image["labels"][0]["class_index"], expected[0].class_index);
}

/// The same database and storage, now with the local classifier running.
async fn restart_with_classifier(app: TestApp) -> TestApp {
    common::restart(app, |c| {
        c.classifier = "local".into();
        c.classifier_workers = Some(1);
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_original_is_retried_with_backoff_then_shown_as_error_and_can_be_retried() {
    let app = classifying_app().await;
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    settled(&app, &t, &id).await;
    let path = object_key(&app, &id).await;
    let saved = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let res = app
        .post(&t, &format!("/api/v1/images/{id}/reclassify"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "error");
    let shown = image["status_detail"].as_str().unwrap();
    assert!(shown.contains("could not be fetched"), "{image}");
    let key = path.file_name().unwrap().to_str().unwrap();
    assert!(
        !shown.contains(key),
        "no storage key for the owner: {shown}"
    );
    let jobs: Vec<Value> = fetch(app.get(&t, "/api/v1/admin/jobs?status=error")).await;
    assert!(
        jobs[0]["reason"]
            .as_str()
            .unwrap()
            .contains("could not be fetched from storage")
    );
    let (attempts, state): (i64, String) =
        sqlx::query_as("SELECT attempts, state FROM jobs ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(
        (attempts, state.as_str()),
        (3, "error"),
        "three attempts, then error"
    );

    // The owner puts it right and retries.
    std::fs::write(&path, saved).unwrap();
    app.post(&t, &format!("/api/v1/images/{id}/reclassify"))
        .send()
        .await
        .unwrap();
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "done");
    assert_eq!(image["status_detail"], Value::Null);
    assert_eq!(image["labels"][0]["label"], "espresso");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_left_running_by_a_dead_worker_is_finished_after_its_lease() {
    let app = spawn_app_with(|c| c.classifier = "off".into()).await;
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    // What a server killed mid-job leaves behind: a running job with a lapsed lease.
    sqlx::query(
        "UPDATE jobs SET state = 'running', attempts = 1, locked_by = 'dead', lease_until = 1",
    )
    .execute(&app.state.db)
    .await
    .unwrap();
    sqlx::query("UPDATE images SET status = 'predicting'")
        .execute(&app.state.db)
        .await
        .unwrap();
    let app = restart_with_classifier(app).await;
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "done");
    let (attempts,): (i64,) = sqlx::query_as("SELECT attempts FROM jobs")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(attempts, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_model_shows_as_a_clear_error_on_each_photo() {
    let model = tempfile::tempdir().unwrap();
    let shipped = format!(
        "{}/../classifier-lambda/models/efficientnet-lite0",
        env!("CARGO_MANIFEST_DIR")
    );
    for file in ["model.json", "labels.json"] {
        std::fs::copy(format!("{shipped}/{file}"), model.path().join(file)).unwrap();
    }
    std::fs::write(model.path().join("model.onnx"), b"not a model").unwrap();
    let dir = model.path().to_path_buf();
    let app = spawn_app_with(move |c| {
        c.classifier = "local".into();
        c.classifier_workers = Some(1);
        c.model_dir = Some(dir);
    })
    .await;
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "error");
    let shown = image["status_detail"].as_str().unwrap();
    assert!(shown.contains("classifier is not available"), "{shown}");
    assert!(
        !shown.contains("corrupt") && !shown.contains("model.onnx"),
        "the owner is not shown the server's internals: {shown}"
    );
    // The admin (ada, the first account) sees why.
    let jobs: Vec<Value> = fetch(app.get(&t, "/api/v1/admin/jobs?status=error")).await;
    let reason = jobs[0]["reason"].as_str().unwrap();
    assert!(reason.contains("corrupt"), "{reason}");
    assert_eq!(jobs[0]["image_id"], id.as_str());
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_polls_pending_photos_until_their_tags_arrive() {
    let app = classifying_app().await;
    let b = common::browser();
    let csrf = common::sign_up_in_browser(&app, &b, "ada@example.org").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(testdata("coffee.png")).file_name("coffee.png"),
    );
    let res = b
        .post(app.url("/upload"))
        .header("X-CSRF-Token", &csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let id = res.json::<Vec<Value>>().await.unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    loop {
        let res = b
            .get(app.url(&format!("/images/status?pending={id}")))
            .send()
            .await
            .unwrap();
        let code = res.status().as_u16();
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("id=\"card-{id}\"")) && html.contains("hx-swap-oob"));
        if code == 286 {
            assert!(
                html.contains("espresso") && !html.contains("name=\"pending\""),
                "{html}"
            );
            break;
        }
        assert_eq!(code, 200);
        assert!(html.contains("name=\"pending\""));
        assert!(started.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = b
        .get(app.url("/gallery"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("espresso") && !html.contains("status-poll"),
        "nothing left to poll for"
    );
    // Another user's ids are simply not reported.
    let other = common::browser();
    common::sign_up_in_browser(&app, &other, "eve@example.org").await;
    let res = other
        .get(app.url(&format!("/images/status?pending={id}")))
        .send()
        .await
        .unwrap();
    assert!(!res.text().await.unwrap().contains(&id));
}

fn start_server(dir: &std::path::Path) -> common::Binary {
    start_server_with(dir, &[])
}

/// The binary on SQLite and files in `dir`, one classifier worker, with `more` settings.
fn start_server_with(dir: &std::path::Path, more: &[(&str, String)]) -> common::Binary {
    let mut env = vec![
        (
            "GALLERY_DATABASE_URL",
            format!("sqlite://{}/gallery.db", dir.display()),
        ),
        ("GALLERY_STORAGE", format!("fs:{}/objects", dir.display())),
        ("GALLERY_CLASSIFIER", "local".into()),
        ("GALLERY_CLASSIFIER_WORKERS", "1".into()),
        ("GALLERY_JOB_LEASE_SECS", "1".into()),
        ("GALLERY_JOB_POLL_MS", "100".into()),
    ];
    env.extend_from_slice(more);
    common::Binary::start(&env)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_job_finishes_the_work_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = start_server(dir.path());
    let client = reqwest::Client::new();
    let api = format!("{}/api/v1", first.base);
    let token = first.token(&client).await;
    let mut form = reqwest::multipart::Form::new();
    for i in 0..12 {
        let name = ["coffee-large.jpg", "rocket.jpg", "chelsea.jpg"][i % 3];
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(testdata(name)).file_name(format!("{i}-{name}")),
        );
    }
    let res = client
        .post(format!("{api}/images"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Kill it (SIGKILL: no clean-up at all) while a photo is being worked on.
    let db = gallery::db::connect(&format!("sqlite://{}/gallery.db", dir.path().display()))
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let (working,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM images WHERE status IN ('fetching', 'preprocessing', 'predicting')",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if working > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no job started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let (unfinished,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM images WHERE status <> 'done'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(unfinished > 0, "the kill came before the work was done");

    let _second = start_server(dir.path());
    let started = Instant::now();
    loop {
        let (done, labelled): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM images WHERE status = 'done'),
                    (SELECT COUNT(DISTINCT image_id) FROM image_labels)",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if done == 12 {
            assert_eq!(labelled, 12);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "only {done} of 12 done after restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (stuck,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state <> 'done'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stuck, 0, "nothing stays queued");
}

/// ONNX Runtime's official builds (the PyPI wheel's library, which the gallery loads) send
/// usage telemetry to Microsoft, and keep a device id for it under `~/.cache`, unless
/// `ORT_DISABLE_TELEMETRY=1` is set when the library starts. A self-hosted gallery must
/// not report on its owner: the server sets it itself. Started with the setting at "0" and
/// a home of its own, it classifies a photo and leaves nothing of ONNX Runtime's there.
#[tokio::test(flavor = "multi_thread")]
async fn the_classifier_reports_nothing_to_onnx_runtime_telemetry() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let server = start_server_with(
        dir.path(),
        &[
            ("HOME", home.display().to_string()),
            ("ORT_DISABLE_TELEMETRY", "0".into()),
        ],
    );
    let client = reqwest::Client::new();
    let api = server.url("/api/v1");
    let token = &server.token(&client).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(testdata("chelsea.jpg")).file_name("chelsea.jpg"),
    );
    let uploaded: Value = client
        .post(format!("{api}/images"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = uploaded[0]["id"].as_str().unwrap();
    let started = Instant::now();
    loop {
        let image: Value = client
            .get(format!("{api}/images/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if image["status"] == "done" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not classified: {image}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(
        left.is_empty(),
        "ONNX Runtime kept telemetry state in the server's home: {left:?}"
    );
}
