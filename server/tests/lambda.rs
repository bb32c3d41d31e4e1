//! The classifier as an AWS Lambda, end to end: SeaweedFS (started by scripts/test.sh, which
//! sets GALLERY_TEST_S3 and its credentials), the real `classify-lambda` function running
//! against the Lambda emulator `cargo lambda watch` (one per test, installed in
//! .cache/venv by scripts/setup.sh --test), and the server invoking it with aws-sdk-lambda.
mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{TestApp, fetch, settled, spawn_app_with, testdata};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

const BUCKET: &str = "gallery-test";
const FUNCTION: &str = "classify-lambda";
const SECRET: &str = "test-callback-secret-0123456789";

fn s3_endpoint() -> String {
    std::env::var("GALLERY_TEST_S3")
        .expect("GALLERY_TEST_S3 is not set: run the tests with scripts/test.sh")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The Lambda package to run instead of the debug build (scripts/test.sh sets it to the
/// unpacked x86_64 zip that deploy/lambda.sh makes).
fn package() -> Option<PathBuf> {
    std::env::var_os("GALLERY_TEST_LAMBDA_PACKAGE").map(PathBuf::from)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process killed when the test ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cargo lambda watch --only-lambda-apis` on a loopback port of its own: the Invoke API
/// for the server and the Runtime API for the function.
struct Emulator {
    _process: Process,
    url: String,
}

impl Emulator {
    fn start() -> Self {
        let tool = std::env::var_os("GALLERY_TEST_CARGO_LAMBDA").map_or_else(
            || repo().join(".cache/venv/bin/cargo-lambda"),
            PathBuf::from,
        );
        assert!(
            tool.is_file(),
            "{} is missing: run scripts/setup.sh --test",
            tool.display()
        );
        let port = free_port();
        let child = Command::new(tool)
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1"])
            .args(["-P", &port.to_string()])
            .current_dir(repo())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let process = Process(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the emulator did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            _process: process,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// One instance of the real function, polling this emulator for events; it trusts
    /// events about the gallery `app` (its bucket and prefix, its callback origin).
    fn function(&self, app: &TestApp) -> Process {
        self.function_logging(app, None)
    }

    /// The same, its log (at `info`) written to `log`.
    fn function_logging(&self, app: &TestApp, log: Option<&Path>) -> Process {
        let (bin, task_root) = match package() {
            // As Lambda runs it: `bootstrap` in the unpacked zip, which is also the working
            // directory (`LAMBDA_TASK_ROOT`).
            Some(dir) => (dir.join("bootstrap"), dir),
            None => (
                Path::new(env!("CARGO_BIN_EXE_gallery")).with_file_name(FUNCTION),
                repo(),
            ),
        };
        assert!(bin.is_file(), "{} is not built", bin.display());
        let child = Command::new(bin)
            .current_dir(&task_root)
            .env("LAMBDA_TASK_ROOT", &task_root)
            .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("{}/.rt/{FUNCTION}", self.url),
            )
            .env("AWS_ENDPOINT_URL_S3", s3_endpoint())
            .env("GALLERY_S3_PATH_STYLE", "true")
            .env("GALLERY_STORAGE", &app.state.config.storage)
            .env("GALLERY_CALLBACK_ORIGINS", &app.base)
            .env(
                "RUST_LOG",
                if log.is_some() {
                    "info,ort=warn"
                } else {
                    "warn"
                },
            )
            .stderr(match log {
                Some(path) => std::fs::File::create(path).unwrap().into(),
                None => std::process::Stdio::inherit(),
            })
            .spawn()
            .unwrap();
        Process(child)
    }
}

async fn s3() -> aws_sdk_s3::Client {
    common::s3_client(&s3_endpoint(), BUCKET).await
}

/// A gallery on its own prefix of the test bucket, classifying with the function behind
/// `lambda_endpoint`.
async fn lambda_app(lambda_endpoint: &str, lease_secs: i64) -> (TestApp, String) {
    s3().await;
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let (storage, endpoint, lambda) = (
        format!("s3://{BUCKET}/{prefix}"),
        s3_endpoint(),
        lambda_endpoint.to_owned(),
    );
    let app = spawn_app_with(move |c| {
        c.storage = storage;
        c.s3_endpoint = Some(endpoint);
        c.classifier = format!("lambda:{FUNCTION}");
        c.callback_secret = Some(SECRET.into());
        c.lambda_endpoint = Some(lambda);
        c.job_lease_secs = lease_secs;
    })
    .await;
    (app, prefix)
}

async fn job_of(app: &TestApp, image: &str) -> (String, String, i64) {
    sqlx::query_as(
        "SELECT id, state, attempts FROM jobs WHERE image_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(image)
    .fetch_one(&app.state.db)
    .await
    .unwrap()
}

/// The token of one attempt, made the way the contract says: HMAC-SHA256 with the shared
/// secret over the job id (and the attempt), in hex.
fn token(job: &str, attempt: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{job}:{attempt}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_is_classified_by_the_lambda_function_reading_from_s3() {
    let emulator = Emulator::start();
    let (app, _) = lambda_app(&emulator.url, 60).await;
    let _function = emulator.function(&app);
    let t = app.user("ada@example.org").await;
    let coffee = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    let cat = app
        .photo_bytes(&t, "chelsea.jpg", testdata("chelsea.jpg"))
        .await;

    let coffee = settled(&app, &t, &coffee).await;
    assert_eq!(coffee["status"], "done", "{coffee}");
    let labels = coffee["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 3);
    assert_eq!(labels[0]["label"], "espresso");
    assert_eq!(labels[0]["class_index"], 967);
    assert!(labels[0]["score"].as_f64().unwrap() > 0.9);
    let cat = settled(&app, &t, &cat).await;
    assert!(
        ["tiger cat", "tabby cat", "Egyptian Mau"]
            .contains(&cat["labels"][0]["label"].as_str().unwrap()),
        "{cat}"
    );
    let (done,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 1")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(done, 2, "each job ran once");
    // The dashboard's time per step: kept per job, as the Lambda measured it.
    let timed: Vec<(String, f64, f64, f64)> = sqlx::query_as(
        "SELECT backend, fetch_ms, prepare_ms, predict_ms FROM jobs WHERE state = 'done'",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(timed.len(), 2);
    for (backend, fetch, prepare, predict) in timed {
        assert_eq!(backend, "lambda");
        assert!(fetch > 0.0 && prepare > 0.0 && predict > 0.0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folders_registered_model_is_read_from_s3_by_the_function_and_kept_warm() {
    let emulator = Emulator::start();
    let (app, prefix) = lambda_app(&emulator.url, 60).await;
    let log = app.dir.path().join("function.log");
    let function = emulator.function_logging(&app, Some(&log));
    let admin = app.user("admin@example.org").await;
    let t = app.user("ada@example.org").await;
    // The shipped network with labels of its own ("class 0"…), registered by the admin.
    let dir = repo().join("classifier-lambda/models/efficientnet-lite0");
    let mut description: Value =
        serde_json::from_slice(&std::fs::read(dir.join("model.json")).unwrap()).unwrap();
    description["name"] = json!("numbered");
    let labels: Vec<Value> = (0..1000)
        .map(|i| json!({"name": format!("class {i}")}))
        .collect();
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(std::fs::read(dir.join("model.onnx")).unwrap()),
        )
        .text("description", description.to_string())
        .text("labels", serde_json::to_string(&labels).unwrap());
    let res = app
        .post(&admin, "/api/v1/admin/models")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let model: Value = res.json().await.unwrap();
    let id = model["id"].as_str().unwrap();
    // Stored in the bucket, as photos are.
    let stored = s3()
        .await
        .head_object()
        .bucket(BUCKET)
        .key(format!("{prefix}/models/{id}/onnx"))
        .send()
        .await
        .unwrap();
    assert!(stored.content_length().unwrap() > 1_000_000);

    let folder = app.folder(&t, "Trips", None).await;
    let res = app
        .patch(&t, &format!("/api/v1/folders/{folder}"))
        .json(&json!({"model_id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for name in ["coffee.png", "coffee.gif"] {
        let photo = app.photo_bytes_in(&t, name, testdata(name), &folder).await;
        let photo = settled(&app, &t, &photo).await;
        assert_eq!(photo["status"], "done", "{photo}");
        assert_eq!(photo["model"], "numbered");
        assert_eq!(photo["labels"][0]["label"], "class 967");
    }
    // Read from S3 once, then kept across the warm invocations.
    drop(function);
    let log = std::fs::read_to_string(&log).unwrap();
    assert_eq!(log.matches("registered model loaded").count(), 1, "{log}");
    // The package carries its own ONNX Runtime and model, and the function uses them.
    if let Some(dir) = package() {
        let dir = dir.canonicalize().unwrap();
        let cold = log
            .lines()
            .find(|l| l.contains("cold start"))
            .expect("the function logs its cold start");
        assert!(
            cold.contains(&format!("onnx_runtime={}/libonnxruntime", dir.display()))
                && cold.contains(&format!(
                    "model={}/models/efficientnet-lite0",
                    dir.display()
                )),
            "{cold}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_count_only_with_the_current_attempts_token_and_only_once() {
    // An emulator with no function instance: the test plays the function.
    let emulator = Emulator::start();
    let (app, _) = lambda_app(&emulator.url, 2).await;
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    let started = Instant::now();
    let job = loop {
        let (job, state, attempts) = job_of(&app, &id).await;
        if state == "running" && attempts == 1 {
            break job;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let callback = |body: Value| {
        app.client
            .post(app.url("/api/v1/classifier/callback"))
            .json(&body)
            .send()
    };
    let image = || async { fetch::<Value>(app.get(&t, &format!("/api/v1/images/{id}"))).await };
    let labels = json!([{"label": "espresso", "class_index": 967, "score": 0.97},
        {"label": "tea cup", "class_index": 968, "score": 0.02},
        {"label": "eggnog", "class_index": 969, "score": 0.01}]);

    // Forged: a token not made with the secret.
    let forged = callback(
        json!({"job_id": job, "token": token(&job, 1).replace(|c: char| c.is_ascii_digit(), "0"),
        "status": "done", "labels": labels}),
    )
    .await
    .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(image().await["labels"], json!([]));
    let unknown = callback(
        json!({"job_id": "no-such-job", "token": token("no-such-job", 1), "status": "fetching"}),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::GONE);

    // A step renews the lease and shows on the photo.
    let step = callback(json!({"job_id": job, "token": token(&job, 1), "status": "fetching"}))
        .await
        .unwrap();
    assert_eq!(step.status(), StatusCode::OK);
    assert_eq!(image().await["status"], "fetching");

    // No further word: the lease runs out and the job is sent again as attempt 2.
    let started = Instant::now();
    while job_of(&app, &id).await.2 < 2 {
        assert!(started.elapsed() < Duration::from_secs(15), "never retried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A late (or replayed) result of attempt 1 no longer counts.
    let replay = callback(
        json!({"job_id": job, "token": token(&job, 1), "status": "done", "labels": labels}),
    )
    .await
    .unwrap();
    assert_eq!(replay.status(), StatusCode::CONFLICT);
    assert_ne!(image().await["status"], "done");

    // Nonsense labels are refused with a reason, and change nothing.
    let bad = callback(
        json!({"job_id": job, "token": token(&job, 2), "status": "done",
        "labels": [{"label": "espresso", "class_index": 967, "score": 7.0}]}),
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // So are labels that are not the model's classes.
    for label in [
        json!({"label": "espresso", "class_index": 5, "score": 0.9}),
        json!({"label": "<script>", "class_index": 967, "score": 0.9}),
        json!({"label": "espresso", "class_index": 4000, "score": 0.9}),
    ] {
        let bad = callback(
            json!({"job_id": job, "token": token(&job, 2), "status": "done", "labels": [label]}),
        )
        .await
        .unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{label}");
    }
    assert_ne!(image().await["status"], "done");

    let done = callback(json!({"job_id": job, "token": token(&job, 2), "status": "done", "labels": labels,
        "model": "efficientnet-lite0", "timings_ms": {"fetch": 3.0, "preprocess": 5.0, "predict": 20.0}}))
    .await
    .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(done.json::<Value>().await.unwrap()["recorded"], true);
    let shown = image().await;
    assert_eq!(shown["status"], "done");
    assert_eq!(shown["labels"][0]["label"], "espresso");

    // The same valid report again changes nothing; neither does a different one.
    let again = callback(
        json!({"job_id": job, "token": token(&job, 2), "status": "done",
        "labels": [{"label": "teapot", "class_index": 849, "score": 0.9}]}),
    )
    .await
    .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["recorded"], false);
    assert_eq!(image().await["labels"], shown["labels"]);
    let late_step =
        callback(json!({"job_id": job, "token": token(&job, 2), "status": "predicting"}))
            .await
            .unwrap();
    assert_eq!(late_step.status(), StatusCode::CONFLICT);
    assert_eq!(image().await["status"], "done");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_function_is_retried_then_shows_its_reason_and_can_be_retried() {
    let emulator = Emulator::start();
    let (app, prefix) = lambda_app(&emulator.url, 60).await;
    let _function = emulator.function(&app);
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    assert_eq!(settled(&app, &t, &id).await["status"], "done");

    // The original disappears from S3 behind the gallery's back: the function cannot read it.
    let (key,): (String,) = sqlx::query_as("SELECT object_key FROM images WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let s3 = s3().await;
    let key = format!("{prefix}/{key}");
    let saved = s3
        .get_object()
        .bucket(BUCKET)
        .key(&key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    s3.delete_object()
        .bucket(BUCKET)
        .key(&key)
        .send()
        .await
        .unwrap();
    let res = app
        .post(&t, &format!("/api/v1/images/{id}/reclassify"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "error");
    // The owner is told in plain words; the admin (ada, the first account) sees why.
    let shown = image["status_detail"].as_str().unwrap();
    assert!(
        shown.contains("classification failed")
            && !shown.contains("NoSuchKey")
            && !shown.contains(&prefix),
        "{shown}"
    );
    let jobs: Vec<Value> = fetch(app.get(&t, "/api/v1/admin/jobs?status=error")).await;
    let reason = jobs[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("could not be fetched from S3: NoSuchKey"),
        "{reason}"
    );
    let (_, state, attempts) = job_of(&app, &id).await;
    assert_eq!((state.as_str(), attempts), ("error", 3), "three attempts");

    // Put right, a retry by the owner succeeds.
    s3.put_object()
        .bucket(BUCKET)
        .key(&key)
        .body(saved.into())
        .send()
        .await
        .unwrap();
    app.post(&t, &format!("/api/v1/images/{id}/reclassify"))
        .send()
        .await
        .unwrap();
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "done", "{image}");
    assert_eq!(image["labels"][0]["label"], "espresso");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_callback_never_comes_ends_in_error_after_the_last_lease() {
    // The emulator takes the events, but no function instance ever runs them.
    let emulator = Emulator::start();
    let (app, _) = lambda_app(&emulator.url, 1).await;
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "error");
    assert!(
        image["status_detail"]
            .as_str()
            .unwrap()
            .contains("stopped unfinished 3 times"),
        "{image}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_lambda_service_is_retried_then_shown() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let (app, _) = lambda_app(&closed, 60).await;
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "coffee.png", testdata("coffee.png"))
        .await;
    let image = settled(&app, &t, &id).await;
    assert_eq!(image["status"], "error");
    let shown = image["status_detail"].as_str().unwrap();
    assert!(
        shown.contains("could not be reached") && !shown.contains(FUNCTION),
        "{image}"
    );
    let jobs: Vec<Value> = fetch(app.get(&t, "/api/v1/admin/jobs?status=error")).await;
    assert!(
        jobs[0]["reason"]
            .as_str()
            .unwrap()
            .contains("could not be invoked")
    );
    assert_eq!(job_of(&app, &id).await.2, 3, "three attempts");
}

/// Invokes the function directly, waiting for its answer, with an event of our own making.
async fn invoke(emulator: &Emulator, event: Value) -> Value {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&emulator.url)
        .load()
        .await;
    let client = aws_sdk_lambda::Client::new(&conf);
    let out = client
        .invoke()
        .function_name(FUNCTION)
        .payload(aws_sdk_lambda::primitives::Blob::new(event.to_string()))
        .send()
        .await
        .unwrap();
    serde_json::from_slice(out.payload().unwrap().as_ref()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_function_reads_only_the_gallerys_photos_and_calls_back_only_the_gallery() {
    let emulator = Emulator::start();
    let (app, prefix) = lambda_app(&emulator.url, 60).await;
    let _function = emulator.function(&app);
    // A listener that would hear any callback sent somewhere else.
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trap_url = format!(
        "http://{}/api/v1/classifier/callback",
        trap.local_addr().unwrap()
    );
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let heard = calls.clone();
    tokio::spawn(async move {
        while let Ok((_, _)) = trap.accept().await {
            heard.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let callback = format!("{}/api/v1/classifier/callback", app.base);
    let event = |bucket: &str, key: &str, callback: &str| {
        json!({"job_id": "j1", "image_id": "i1", "bucket": bucket, "key": key,
               "callback_url": callback, "token": "t", "top_k": 3})
    };
    let ours = format!("{prefix}/u/someone/photo");
    for (bucket, key, to) in [
        (BUCKET, ours.as_str(), trap_url.as_str()),
        (
            BUCKET,
            ours.as_str(),
            "http://169.254.169.254/latest/meta-data/",
        ),
        ("another-bucket", ours.as_str(), callback.as_str()),
        (BUCKET, "elsewhere/secret.txt", callback.as_str()),
        (
            BUCKET,
            &format!("{prefix}/u/../../elsewhere"),
            callback.as_str(),
        ),
    ] {
        let answer = invoke(&emulator, event(bucket, key, to)).await;
        assert_eq!(
            answer["status"], "refused",
            "{bucket}/{key} to {to}: {answer}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing was sent elsewhere"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_function_reads_the_rendition_and_the_original_only_for_a_model_sized_otherwise() {
    let emulator = Emulator::start();
    let (app, prefix) = lambda_app(&emulator.url, 60).await;
    let _function = emulator.function(&app);
    let t = app.user("ada@example.org").await;
    let id = app
        .photo_bytes(&t, "chelsea.jpg", testdata("chelsea.jpg"))
        .await;
    assert_eq!(settled(&app, &t, &id).await["status"], "done");
    let (input_key,): (String,) = sqlx::query_as("SELECT input_key FROM images WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let (job, _, attempts) = job_of(&app, &id).await;
    // The event names the rendition and, beside it, an original that is not there.
    let event = |resize: u32| {
        json!({"job_id": job, "image_id": id, "bucket": BUCKET,
               "key": format!("{prefix}/{input_key}"),
               "original_key": format!("{prefix}/u/nobody/0123456789abcdef0123456789abcdef"),
               "input": {"resize": resize, "interpolation": "bicubic"},
               "callback_url": format!("{}/api/v1/classifier/callback", app.base),
               "token": token(&job, attempts), "top_k": 3})
    };
    let hand_out = || async {
        sqlx::query(
            "UPDATE jobs SET state = 'running', locked_by = 'lambda', lease_until = $1 WHERE id = $2",
        )
        .bind(i64::MAX / 2)
        .bind(&job)
        .execute(&app.state.db)
        .await
        .unwrap();
    };
    // Sized as its model sizes photos: the rendition is all it reads.
    hand_out().await;
    let answer = invoke(&emulator, event(256)).await;
    assert_eq!(answer["status"], "done", "{answer}");
    // A model that wants 320 px reads the original instead (here missing, so it fails).
    hand_out().await;
    let answer = invoke(&emulator, event(320)).await;
    assert_eq!(answer["status"], "error", "{answer}");
}
