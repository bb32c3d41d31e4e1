//! Several stateless servers on one PostgreSQL and one S3 store, as behind a load
//! balancer; and a database restart. These run in the PostgreSQL pass of scripts/test.sh
//! (GALLERY_TEST_POSTGRES, GALLERY_TEST_PG_DIR, GALLERY_TEST_S3); the SQLite pass has no
//! shared database to give them.
mod common;

use std::time::{Duration, Instant};

use common::Binary;
use reqwest::{StatusCode, redirect};
use serde_json::{Value, json};

/// The restart test must not pull the database from under the other one.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Shared {
    database: String,
    storage: String,
    s3: String,
}

async fn shared() -> Option<Shared> {
    let (Ok(_), Ok(s3)) = (
        std::env::var("GALLERY_TEST_POSTGRES"),
        std::env::var("GALLERY_TEST_S3"),
    ) else {
        eprintln!("skipped here: runs in the PostgreSQL pass of scripts/test.sh");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = common::database_url(dir.path()).await;
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&s3)
        .load()
        .await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let _ = client.create_bucket().bucket("gallery-test").send().await;
    let storage = format!("s3://gallery-test/scale{}", uuid::Uuid::new_v4().simple());
    Some(Shared {
        database,
        storage,
        s3,
    })
}

fn server(shared: &Shared) -> Binary {
    Binary::start(&[
        ("GALLERY_DATABASE_URL", shared.database.clone()),
        ("GALLERY_STORAGE", shared.storage.clone()),
        ("GALLERY_S3_ENDPOINT", shared.s3.clone()),
        ("GALLERY_CLASSIFIER", "local".into()),
        ("GALLERY_CLASSIFIER_WORKERS", "1".into()),
        ("GALLERY_JOB_POLL_MS", "100".into()),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_share_sessions_photos_and_jobs() {
    let Some(shared) = shared().await else { return };
    let _alone = SERIAL.lock().await;
    let (a, b) = (server(&shared), server(&shared));
    let client = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let t = a.token(&client).await;
    let me = client
        .get(b.url("/api/v1/me"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "a token made on one server works on the other"
    );

    // A browser session made on one server is valid on the other.
    let browser = common::browser();
    let res = common::sign_in_in_browser(&browser, &a.base, "ada@example.org").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser
            .get(b.url("/gallery"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let photos = [
        "coffee.png",
        "chelsea.jpg",
        "rocket.jpg",
        "astronaut.jpg",
        "coffee-large.jpg",
        "chelsea.webp",
    ];
    let mut form = reqwest::multipart::Form::new();
    for name in photos {
        let data = std::fs::read(format!(
            "{}/../classifier-lambda/testdata/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(data).file_name(name),
        );
    }
    let res = client
        .post(a.url("/api/v1/images"))
        .bearer_auth(&t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // Listed, served and classified through the other server.
    let started = Instant::now();
    let listed = loop {
        let listed: Vec<Value> = client
            .get(b.url("/api/v1/images"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed.len(), photos.len());
        if listed.iter().all(|i| i["status"] == "done") {
            break listed;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "not all classified"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let coffee = listed
        .iter()
        .find(|i| i["filename"] == "coffee.png")
        .unwrap();
    assert_eq!(coffee["labels"][0]["label"], "espresso");
    let res = client
        .get(b.url(&format!(
            "/api/v1/images/{}/original",
            coffee["id"].as_str().unwrap()
        )))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    let bytes = reqwest::get(res.headers()["location"].to_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len() as i64, coffee["bytes"].as_i64().unwrap());

    // Each job ran once, whichever server's worker took it.
    let db = gallery::db::connect(&shared.database).await.unwrap();
    let (done, single, workers): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE attempts = 1), COUNT(DISTINCT split_part(locked_by, '-', 1)) FROM jobs WHERE state = 'done'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((done, single), (photos.len() as i64, photos.len() as i64));
    assert!(workers >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_database_is_reconnected_by_itself() {
    let Some(shared) = shared().await else { return };
    let _alone = SERIAL.lock().await;
    let pg_dir = std::env::var("GALLERY_TEST_PG_DIR").expect("GALLERY_TEST_PG_DIR");
    let a = server(&shared);
    let client = reqwest::Client::new();
    let t = a.token(&client).await;
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .flatten()
        .map(|e| e.path().join("bin/pg_ctl"))
        .max()
        .unwrap();
    let status = std::process::Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(&bin)
        .args([
            "-D",
            &format!("{pg_dir}/data"),
            "-m",
            "fast",
            "-w",
            "restart",
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl restart");
    let started = Instant::now();
    loop {
        let res = client
            .get(a.url("/api/v1/me"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still {} after the restart",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let res = client
        .post(a.url("/api/v1/folders"))
        .bearer_auth(&t)
        .json(&json!({"name": "after restart"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// A rolling deployment (deploy/README.md): the new release migrates the database first
/// (`gallery migrate`), while servers of the old release keep serving; and a server of the
/// old release that starts after that (restarted, or added by autoscaling) still starts. The
/// newer release here is a migration this build does not know, recorded as applied.
#[tokio::test(flavor = "multi_thread")]
async fn servers_keep_serving_while_a_newer_release_migrates_the_database() {
    let Some(shared) = shared().await else { return };
    let _serial = SERIAL.lock().await;
    let migrate = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"))
            .arg("migrate")
            .env("GALLERY_DATABASE_URL", &shared.database)
            .env("GALLERY_LOG", "warn")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "gallery migrate failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let said = migrate();
    assert!(
        said.contains("is migrated") && !said.contains(": 0 migrations"),
        "{said}"
    );

    let old = server(&shared);
    let client = reqwest::Client::new();
    let token = old.token(&client).await;

    let db = gallery::db::connect(&shared.database).await.unwrap();
    sqlx::query("CREATE TABLE from_a_newer_release (id TEXT PRIMARY KEY)")
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'from a newer release', TRUE, decode('00', 'hex'), 1)",
    )
    .execute(&db)
    .await
    .unwrap();

    // The old release's server goes on, one more starts beside it, and migrating with the
    // old release's binary again changes nothing and fails nothing.
    let restarted = server(&shared);
    for server in [&old, &restarted] {
        let res = client
            .get(server.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert!(migrate().contains("the newest 99990101000000 (from a newer release)"));
}
