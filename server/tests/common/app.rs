//! The server under test: started on port 0 with a fresh SQLite (or PostgreSQL) database
//! and storage folder, restarted on the same data, and spoken to through the JSON API
//! (accounts, tokens, folders) and the database underneath.

use clap::Parser;
use gallery::config::{Cli, Config};
use gallery::{AppState, app};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::path::PathBuf;
use tempfile::TempDir;

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub dir: TempDir,
    pub client: Client,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    spawn_app_on(listener, tweak).await
}

/// The same, on a listener the test has already bound (to know the address first).
pub async fn spawn_app_on(
    listener: tokio::net::TcpListener,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Cli::parse_from(["gallery"]).config;
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.database_url = database_url(dir.path()).await;
    config.storage = format!("fs:{}/objects", dir.path().display());
    config.public_url = None;
    // Tests that need the classifier turn it on; the others see photos stay `queued`.
    config.classifier = "off".into();
    config.job_poll_ms = 50;
    config.retry_base_ms = 50;
    // Tests make many accounts from one address; the tests of the limit lower it again.
    config.signup_per_ip = 1000;
    tweak(&mut config);
    let state = AppState::new(config).await.expect("app starts");
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(app::serve(listener, state.clone()));
    TestApp {
        base,
        state,
        dir,
        client: Client::new(),
    }
}

/// Another server on the same database and storage, as after a restart (the old one keeps
/// serving until the test ends).
pub async fn restart(app: TestApp, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let config = (*app.state.config).clone();
    let dir = app.dir;
    let mut next = spawn_app_with(move |c| {
        *c = config;
        tweak(c);
    })
    .await;
    next.dir = dir;
    next
}

/// A fresh database for one test: a SQLite file, or (with `GALLERY_TEST_POSTGRES` set to a
/// server URL, as scripts/test.sh does) a PostgreSQL database cloned from a migrated
/// template, which is much faster than migrating each one.
pub async fn database_url(dir: &std::path::Path) -> String {
    let Ok(server) = std::env::var("GALLERY_TEST_POSTGRES") else {
        return format!("sqlite://{}/gallery.db", dir.display());
    };
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = format!("template_{}", std::process::id());
            let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres"))
                .await
                .expect("PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .unwrap();
            let pool = gallery::db::connect(&format!("{server}/{name}"))
                .await
                .expect("migrations");
            pool.close().await;
            name
        })
        .await;
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} TEMPLATE {template}"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    format!("{server}/{name}")
}

/// The test bucket on the S3 server at `endpoint`, created if need be.
pub async fn s3_client(endpoint: &str, bucket: &str) -> aws_sdk_s3::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let s3 = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(s3);
    let _ = client.create_bucket().bucket(bucket).send().await;
    client
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn objects_dir(&self) -> PathBuf {
        self.dir.path().join("objects")
    }

    /// Files in the storage folder (originals and thumbnails).
    pub fn object_count(&self) -> usize {
        fn walk(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
        }
        walk(&self.objects_dir())
    }

    /// Rows of a table; of photos and folders, those in the gallery (not in the Trash).
    pub async fn rows(&self, table: &str) -> i64 {
        let live = match table {
            "images" | "folders" => " WHERE trashed_at IS NULL",
            _ => "",
        };
        let sql = format!("SELECT COUNT(*) FROM {table}{live}");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.state.db)
            .await
            .unwrap();
        n
    }

    /// Rows of `images` or `folders` in the Trash.
    pub async fn trashed(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE trashed_at IS NOT NULL");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.state.db)
            .await
            .unwrap();
        n
    }

    /// Nothing half-written: every image row has its objects and every object a row.
    pub async fn assert_consistent(&self) {
        // Photos in the Trash keep their objects.
        let images = self.rows("images").await + self.trashed("images").await;
        // A registered classifier is three objects: description, labels, ONNX file.
        let models = self.rows("models").await;
        let (renditions,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM images WHERE input_key IS NOT NULL")
                .fetch_one(&self.state.db)
                .await
                .unwrap();
        assert_eq!(
            self.object_count() as i64,
            images * 3 + renditions + models * 3,
            "objects on disk must match image rows (original, thumbnail, the viewer's and the classifier's renditions) and model rows"
        );
        assert_eq!(
            self.rows("jobs").await,
            images,
            "every image has exactly one job"
        );
        let health = self.client.get(self.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK, "the server keeps serving");
    }

    pub async fn signup(&self, email: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/signup"))
            .json(&json!({ "email": email, "password": "correct horse battery" }))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// A new account, signed in through the API: its bearer token.
    pub async fn user(&self, email: &str) -> String {
        assert_eq!(self.signup(email).await.status(), StatusCode::CREATED);
        self.token(email).await
    }

    /// A bearer token of an existing account (with the tests' password).
    pub async fn token(&self, email: &str) -> String {
        let body: Value = self
            .login(email, "correct horse battery")
            .await
            .json()
            .await
            .unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub fn get(&self, token: &str, path: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, token: &str, path: &str) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }

    pub fn patch(&self, token: &str, path: &str) -> RequestBuilder {
        self.client.patch(self.url(path)).bearer_auth(token)
    }

    pub fn delete(&self, token: &str, path: &str) -> RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(token)
    }

    /// Deletes a photo or folder (`/api/v1/images/ID`, `/api/v1/folders/ID`), which
    /// must answer 204: it is in the Trash.
    pub async fn to_trash(&self, token: &str, path: &str) {
        let res = self.delete(token, path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "DELETE {path}");
    }

    pub async fn folder(&self, token: &str, name: &str, parent: Option<&str>) -> String {
        let res = self
            .post(token, "/api/v1/folders")
            .json(&json!({ "name": name, "parent_id": parent }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "creating folder {name}");
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Sends a request and reads its answer as text (a page).
pub async fn text(req: RequestBuilder) -> String {
    req.send().await.unwrap().text().await.unwrap()
}

/// Sends a request and reads its JSON answer.
pub async fn fetch<T: DeserializeOwned>(req: RequestBuilder) -> T {
    req.send()
        .await
        .unwrap()
        .json()
        .await
        .expect("a JSON answer")
}

/// The path of the next page a listing's `Link` header points to, if any.
pub fn next_page(res: &Response) -> Option<String> {
    let link = res.headers().get("link")?.to_str().ok()?;
    let start = link.find('<')? + 1;
    let end = link.find('>')?;
    assert!(link.contains("rel=\"next\""), "{link}");
    Some(link[start..end].to_owned())
}

pub async fn error_of(res: Response) -> String {
    let body: Value = res.json().await.expect("errors are JSON");
    body["error"].as_str().expect("an error message").to_owned()
}
