//! Test harness: the real server on port 0 against a fresh SQLite database and storage
//! folder, and clients that speak HTTP to it.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;

use clap::Parser;
use gallery::config::{Cli, Config};
use gallery::{AppState, app};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, RequestBuilder, Response, StatusCode, redirect};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
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

    pub async fn rows(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.state.db)
            .await
            .unwrap();
        n
    }

    /// Nothing half-written: every image row has its objects and every object a row.
    pub async fn assert_consistent(&self) {
        let images = self.rows("images").await;
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

    pub fn get(&self, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }

    pub fn patch(&self, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path)).bearer_auth(token)
    }

    pub fn delete(&self, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(token)
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

    pub async fn upload(
        &self,
        token: &str,
        files: Vec<(&str, Vec<u8>)>,
        folder: Option<&str>,
    ) -> Response {
        let mut form = Form::new();
        for (name, data) in files {
            form = form.part("file", Part::bytes(data).file_name(name.to_owned()));
        }
        if let Some(folder) = folder {
            form = form.text("folder_id", folder.to_owned());
        }
        self.post(token, "/api/v1/images")
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Uploads one photo and returns its id.
    pub async fn photo(&self, token: &str, name: &str, folder: Option<&str>) -> String {
        self.upload_one(token, name, jpeg(64, 48), folder).await
    }

    pub async fn photo_bytes(&self, token: &str, name: &str, data: Vec<u8>) -> String {
        self.upload_one(token, name, data, None).await
    }

    pub async fn photo_bytes_in(
        &self,
        token: &str,
        name: &str,
        data: Vec<u8>,
        folder: &str,
    ) -> String {
        self.upload_one(token, name, data, Some(folder)).await
    }

    async fn upload_one(
        &self,
        token: &str,
        name: &str,
        data: Vec<u8>,
        folder: Option<&str>,
    ) -> String {
        let res = self.upload(token, vec![(name, data)], folder).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.unwrap()[0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A photo from the classifier's test data (CC0 / public domain).
pub fn testdata(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../classifier-lambda/testdata/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Waits until the photo's status is final (`done` or `error`), and returns it.
pub async fn settled(app: &TestApp, token: &str, id: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let image: Value = fetch(app.get(token, &format!("/api/v1/images/{id}"))).await;
        if image["status"] == "done" || image["status"] == "error" {
            return image;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(90),
            "still {} after 90 s",
            image["status"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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

/// A client that keeps cookies and shows redirects, like a browser without JavaScript.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn csrf_in(html: &str) -> String {
    let start = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    let end = html[start..].find('"').expect("the token's end") + start;
    html[start..end].to_owned()
}

/// Signs up through the form; the browser then holds the session cookie. Returns the
/// CSRF token of the signed-in pages.
pub async fn sign_up_in_browser(app: &TestApp, b: &Client, email: &str) -> String {
    let html = b
        .get(app.url("/signup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = b
        .post(app.url("/signup"))
        .form(&[
            ("csrf", csrf_in(&html).as_str()),
            ("email", email),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    csrf_in(&res.text().await.unwrap())
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

// ---- Test images, made here rather than committed ----

fn gradient(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    })
}

fn encode(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let img = image::DynamicImage::ImageRgb8(gradient(w, h));
    let img = if format == image::ImageFormat::WebP {
        image::DynamicImage::ImageRgba8(img.to_rgba8())
    } else {
        img
    };
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// A PNG of random pixels, which does not compress: about `3·w·h` bytes.
pub fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let [r, g, b, ..] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode test image");
    out.into_inner()
}

pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Jpeg)
}
pub fn png(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Png)
}
pub fn webp(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::WebP)
}
pub fn gif(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, image::ImageFormat::Gif)
}

/// A JPEG with an EXIF block: an orientation and a DateTimeOriginal ("YYYY:MM:DD HH:MM:SS").
pub fn jpeg_with_exif(w: u32, h: u32, orientation: u16, taken: &str) -> Vec<u8> {
    let plain = jpeg(w, h);
    // TIFF, big-endian: IFD0 { Orientation, ExifIFDPointer } -> Exif IFD { DateTimeOriginal }.
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    let ifd0_len = 2 + 2 * 12 + 4;
    let exif_ifd_at = 8 + ifd0_len as u32;
    let date_at = exif_ifd_at + 2 + 12 + 4;
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&[0x87, 0x69, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&exif_ifd_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x90, 0x03, 0, 2, 0, 0, 0, 20]);
    tiff.extend_from_slice(&date_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(taken.as_bytes());
    tiff.push(0);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A tiny PNG that declares `w`×`h` pixels: a decompression bomb when large.
pub fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    png_declaring_pixels(w, h, 8, 2)
}

/// The same with a bit depth and PNG colour type of its own (16 and 6: 16-bit RGBA).
pub fn png_declaring_pixels(w: u32, h: u32, depth: u8, color: u8) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few kilobytes of zeros: the rows it would take are all zero.
    let zeros = vec![0u8; 64 * 1024];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &zeros).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The real `gallery` binary in a process of its own, on port 0, with the given settings;
/// killed (SIGKILL) when dropped.
pub struct Binary {
    child: std::process::Child,
    pub base: String,
}

impl Binary {
    pub fn start(env: &[(&str, String)]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"));
        command
            .env("GALLERY_BIND", "127.0.0.1:0")
            .env("GALLERY_LOG", "warn")
            .stdout(std::process::Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line.trim().rsplit(' ').next().unwrap().to_owned();
        assert!(
            base.starts_with("http://"),
            "the server did not start: {line:?}"
        );
        Self { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs up ada@example.org (on this server's database; later calls find her there)
    /// and returns a bearer token of hers.
    pub async fn token(&self, client: &reqwest::Client) -> String {
        let creds =
            serde_json::json!({"email": "ada@example.org", "password": "correct horse battery"});
        client
            .post(self.url("/api/v1/auth/signup"))
            .json(&creds)
            .send()
            .await
            .unwrap();
        let login: serde_json::Value = client
            .post(self.url("/api/v1/auth/login"))
            .json(&creds)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        login["token"].as_str().unwrap().to_owned()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        self.kill();
    }
}
