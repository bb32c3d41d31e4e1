//! Taking photos out: a folder, a selection or everything as a ZIP streamed as it is made,
//! the originals byte for byte and stored, under their folder paths with names made unique;
//! the export of everything with `gallery.json` and XMP sidecars that a real XMP reader
//! (exiftool) reads. Nothing of another account, nothing from the Trash, and no more
//! exports at once than the server allows.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read};
use std::net::SocketAddr;

use common::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

type Zip = zip::ZipArchive<Cursor<Vec<u8>>>;

/// The archive of a 200 answer, after checking it is a streamed ZIP download.
async fn zip_of(res: Response, filename: &str) -> Zip {
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers();
    assert_eq!(headers["content-type"], "application/zip");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{filename}\"")),
        "{disposition}"
    );
    assert!(
        headers.get("content-length").is_none(),
        "streamed as it is made, its length unknown"
    );
    unzip(res.bytes().await.unwrap().to_vec())
}

fn unzip(bytes: Vec<u8>) -> Zip {
    zip::ZipArchive::new(Cursor::new(bytes)).expect("a valid ZIP")
}

fn names(zip: &Zip) -> BTreeSet<String> {
    zip.file_names().map(|n| n.unwrap().into_owned()).collect()
}

/// A file of the archive, which must be stored rather than compressed.
fn file(zip: &mut Zip, name: &str) -> Vec<u8> {
    let mut entry = zip
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the ZIP"));
    assert_eq!(
        entry.compression(),
        zip::CompressionMethod::Stored,
        "{name}"
    );
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    bytes
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// A PNG of random pixels, different for each seed: about `3·w·h` bytes.
fn noise(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let [r, g, b, ..] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_folder_downloads_as_a_zip_of_its_originals_under_their_paths() {
    let app = spawn_app().await;
    let t = app.user("ann@example.com").await;
    let trips = app.folder(&t, "Trips", None).await;
    let hawaii = app.folder(&t, "Hawaii", Some(&trips)).await;
    app.folder(&t, "Empty", Some(&trips)).await;
    let (first, second, beach) = (jpeg(64, 48), jpeg(80, 60), jpeg(32, 32));
    app.photo_bytes_in(&t, "IMG_1.jpg", first.clone(), &hawaii)
        .await;
    app.photo_bytes_in(&t, "IMG_1.jpg", second.clone(), &hawaii)
        .await;
    app.photo_bytes_in(&t, "beach.jpg", beach.clone(), &trips)
        .await;
    app.photo(&t, "home.jpg", None).await;

    let res = app
        .get(&t, &format!("/api/v1/folders/{trips}/zip"))
        .send()
        .await
        .unwrap();
    let mut zip = zip_of(res, "Trips.zip").await;
    assert_eq!(
        names(&zip),
        set(&[
            "Trips/",
            "Trips/Empty/",
            "Trips/Hawaii/",
            "Trips/Hawaii/IMG_1 (2).jpg",
            "Trips/Hawaii/IMG_1.jpg",
            "Trips/beach.jpg",
        ]),
        "the folder under its own name, everything below it, nothing above"
    );
    assert_eq!(file(&mut zip, "Trips/beach.jpg"), beach);
    // The older of the two keeps the name.
    assert_eq!(file(&mut zip, "Trips/Hawaii/IMG_1.jpg"), first);
    assert_eq!(file(&mut zip, "Trips/Hawaii/IMG_1 (2).jpg"), second);
}

#[tokio::test]
async fn a_selection_keeps_folder_paths_and_numbers_repeated_names() {
    let app = spawn_app().await;
    let t = app.user("ann@example.com").await;
    let trips = app.folder(&t, "Trips", None).await;
    let hawaii = app.folder(&t, "Hawaii", Some(&trips)).await;
    let deep = app
        .photo_bytes_in(&t, "IMG_1.jpg", jpeg(64, 48), &hawaii)
        .await;
    let home = app.photo_bytes(&t, "home.jpg", jpeg(40, 30)).await;
    let shouting = app.photo_bytes(&t, "HOME.jpg", jpeg(30, 40)).await;
    app.photo(&t, "not-chosen.jpg", None).await;

    let res = app
        .post(&t, "/api/v1/images/zip")
        .json(&json!({ "ids": [deep, home, shouting, home] }))
        .send()
        .await
        .unwrap();
    let mut zip = zip_of(res, "photos.zip").await;
    assert_eq!(
        names(&zip),
        set(&["HOME (2).jpg", "Trips/Hawaii/IMG_1.jpg", "home.jpg"]),
        "names are unique ignoring case, as on macOS and Windows"
    );
    assert_eq!(file(&mut zip, "HOME (2).jpg"), jpeg(30, 40));

    let nothing = app
        .post(&t, "/api/v1/images/zip")
        .json(&json!({ "ids": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(nothing.status(), StatusCode::BAD_REQUEST);
    let too_many: Vec<String> = (0..1001).map(|i| format!("id{i}")).collect();
    let res = app
        .post(&t, "/api/v1/images/zip")
        .json(&json!({ "ids": too_many }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("1000"));
}

#[tokio::test]
async fn another_users_folder_or_photo_is_not_found_and_nothing_is_streamed() {
    let app = spawn_app().await;
    let ann = app.user("ann@example.com").await;
    let bob = app.user("bob@example.com").await;
    let trips = app.folder(&ann, "Trips", None).await;
    let photo = app.photo(&ann, "a.jpg", Some(&trips)).await;
    let own = app.photo(&bob, "b.jpg", None).await;

    let res = app
        .get(&bob, &format!("/api/v1/folders/{trips}/zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/json");
    for ids in [json!([photo]), json!([own, photo])] {
        let res = app
            .post(&bob, "/api/v1/images/zip")
            .json(&json!({ "ids": ids }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let res = app
        .get(&bob, "/api/v1/folders/nonexistent/zip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .get(app.url("/api/v1/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Bob's own export holds his photo and nothing of Ann's.
    let res = app.get(&bob, "/api/v1/export").send().await.unwrap();
    let date = &time_now()[..10];
    let zip = zip_of(res, &format!("gallery-export-{date}.zip")).await;
    assert_eq!(names(&zip), set(&["b.jpg", "b.jpg.xmp", "gallery.json"]));
}

fn time_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[tokio::test]
async fn trashed_photos_and_folders_are_not_exported() {
    let app = spawn_app().await;
    let t = app.user("ann@example.com").await;
    let keep = app.folder(&t, "Keep", None).await;
    let kept = app.photo(&t, "kept.jpg", Some(&keep)).await;
    let binned = app.photo(&t, "binned.jpg", Some(&keep)).await;
    let gone = app.folder(&t, "Gone", None).await;
    app.photo(&t, "inside.jpg", Some(&gone)).await;
    app.to_trash(&t, &format!("/api/v1/images/{binned}")).await;
    app.to_trash(&t, &format!("/api/v1/folders/{gone}")).await;

    let res = app
        .get(&t, &format!("/api/v1/folders/{keep}/zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(&zip_of(res, "Keep.zip").await),
        set(&["Keep/", "Keep/kept.jpg"])
    );
    let res = app
        .get(&t, &format!("/api/v1/folders/{gone}/zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a trashed folder");
    let res = app
        .post(&t, "/api/v1/images/zip")
        .json(&json!({ "ids": [kept, binned] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a selection with a trashed photo"
    );

    let res = app.get(&t, "/api/v1/export").send().await.unwrap();
    let mut zip = unzip(res.bytes().await.unwrap().to_vec());
    assert_eq!(
        names(&zip),
        set(&[
            "Keep/",
            "Keep/kept.jpg",
            "Keep/kept.jpg.xmp",
            "gallery.json"
        ])
    );
    let index: Value = serde_json::from_slice(&file(&mut zip, "gallery.json")).unwrap();
    assert_eq!(index["photos"].as_array().unwrap().len(), 1);
    assert_eq!(index["folders"].as_array().unwrap().len(), 1);
}

/// The labels of a photo once the classifier is done with it.
async fn labelled(app: &TestApp, t: &str, id: &str) -> Vec<String> {
    let image = settled(app, t, id).await;
    assert_eq!(image["status"], "done", "{image}");
    let labels: Vec<String> = image["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap().to_owned())
        .collect();
    assert!(!labels.is_empty());
    labels
}

/// A JSON value as text (exiftool gives a keyword that looks like a number as one).
fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// What exiftool, a real XMP reader, reads of a sidecar: its keywords and creation date.
fn exiftool(xmp: &[u8], name: &str) -> (Vec<String>, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, xmp).unwrap();
    let out = std::process::Command::new("exiftool")
        .args(["-j", "-XMP-dc:Subject", "-XMP-xmp:CreateDate"])
        .arg(&path)
        .output()
        .expect("exiftool (scripts/setup.sh --test installs libimage-exiftool-perl)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    let subjects = match &read[0]["Subject"] {
        Value::Array(list) => list.iter().map(text).collect(),
        Value::Null => Vec::new(),
        one => vec![text(one)],
    };
    (subjects, read[0]["CreateDate"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn the_export_holds_everything_with_an_index_and_sidecars_a_real_xmp_reader_reads() {
    let app = spawn_app_with(|c| c.classifier = "local".into()).await;
    let t = app.user("ann@example.com").await;
    let trips = app.folder(&t, "Trips", None).await;
    let hawaii = app.folder(&t, "Hawaii", Some(&trips)).await;
    let cat = app
        .photo_bytes_in(&t, "IMG_1.jpg", testdata("chelsea.jpg"), &hawaii)
        .await;
    let dated = jpeg_with_exif(96, 64, 1, "2023:07:14 10:30:00");
    let taken = app
        .photo_bytes_in(&t, "IMG_1.jpg", dated.clone(), &hawaii)
        .await;
    let top = app.photo_bytes(&t, "gallery.json", jpeg(20, 20)).await;
    let cat_labels = labelled(&app, &t, &cat).await;
    labelled(&app, &t, &taken).await;
    labelled(&app, &t, &top).await;

    let res = app.get(&t, "/api/v1/export").send().await.unwrap();
    let mut zip = unzip(res.bytes().await.unwrap().to_vec());
    assert_eq!(
        names(&zip),
        set(&[
            "Trips/",
            "Trips/Hawaii/",
            "Trips/Hawaii/IMG_1.jpg",
            "Trips/Hawaii/IMG_1.jpg.xmp",
            "Trips/Hawaii/IMG_1 (2).jpg",
            "Trips/Hawaii/IMG_1 (2).jpg.xmp",
            "gallery (2).json",
            "gallery (2).json.xmp",
            "gallery.json",
        ]),
        "a photo named like the index does not take its place"
    );
    assert_eq!(
        file(&mut zip, "Trips/Hawaii/IMG_1.jpg"),
        testdata("chelsea.jpg")
    );
    assert_eq!(file(&mut zip, "Trips/Hawaii/IMG_1 (2).jpg"), dated);

    let index: Value = serde_json::from_slice(&file(&mut zip, "gallery.json")).unwrap();
    let folders: HashMap<&str, &str> = index["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(folders[trips.as_str()], "Trips");
    assert_eq!(folders[hawaii.as_str()], "Trips/Hawaii");
    let photos = index["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 3);
    let of = |id: &str| photos.iter().find(|p| p["id"] == id).unwrap().clone();
    let chelsea = of(&cat);
    assert_eq!(chelsea["path"], "Trips/Hawaii/IMG_1.jpg");
    assert_eq!(chelsea["sidecar"], "Trips/Hawaii/IMG_1.jpg.xmp");
    assert_eq!(chelsea["filename"], "IMG_1.jpg");
    assert_eq!(chelsea["folder_id"], hawaii.as_str());
    assert!(chelsea["width"].as_i64().unwrap() > 0 && chelsea["height"].as_i64().unwrap() > 0);
    assert!(
        time::OffsetDateTime::parse(
            chelsea["uploaded_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    let labels = chelsea["labels"].as_array().unwrap();
    let names_in_index: Vec<&str> = labels
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        names_in_index, cat_labels,
        "best first, as the API lists them"
    );
    for label in labels {
        assert!(label["class_index"].as_i64().is_some(), "{label}");
        let confidence = label["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&confidence), "{label}");
        assert!(
            label["model"].as_str().is_some_and(|m| !m.is_empty()),
            "{label}"
        );
    }
    let with_date = of(&taken);
    assert_eq!(with_date["taken_at"], "2023-07-14T10:30:00Z");
    assert_eq!(with_date["path"], "Trips/Hawaii/IMG_1 (2).jpg");

    let (subjects, created) = exiftool(
        &file(&mut zip, "Trips/Hawaii/IMG_1.jpg.xmp"),
        "IMG_1.jpg.xmp",
    );
    assert_eq!(
        subjects, cat_labels,
        "the labels are the sidecar's keywords"
    );
    assert_eq!(created, None, "no date taken, none claimed");
    let (_, created) = exiftool(
        &file(&mut zip, "Trips/Hawaii/IMG_1 (2).jpg.xmp"),
        "IMG_1 (2).jpg.xmp",
    );
    assert!(
        created
            .as_deref()
            .is_some_and(|c| c.starts_with("2023:07:14 10:30:00")),
        "{created:?}"
    );
}

/// An export started over a raw connection whose receive buffer is tiny, so that an export
/// that is not read stays under way: its status, `Retry-After`, and the connection with
/// what was read past the head.
struct Raw {
    status: u16,
    retry_after: Option<String>,
    stream: TcpStream,
    rest: Vec<u8>,
}

async fn raw_export(app: &TestApp, token: &str) -> Raw {
    let addr: SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let request = format!(
        "GET /api/v1/export HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    let end = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "the server answers: {}",
            String::from_utf8_lossy(&head)
        );
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
    };
    let rest = head.split_off(end + 4);
    let head = String::from_utf8(head).unwrap();
    let status = head[9..12].parse().unwrap();
    let retry_after = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("retry-after")
            .then(|| value.trim().to_owned())
    });
    Raw {
        status,
        retry_after,
        stream,
        rest,
    }
}

/// The body of a chunked answer, read to its end.
async fn finish(mut raw: Raw) -> Vec<u8> {
    raw.stream.read_to_end(&mut raw.rest).await.unwrap();
    let (mut body, mut at) = (Vec::new(), &raw.rest[..]);
    loop {
        let line = at
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk's size");
        let size = std::str::from_utf8(&at[..line]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        at = &at[line + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&at[..size]);
        at = &at[size + 2..];
    }
}

/// An account with about 6 MB of photos: more than the buffers between an export and a
/// client that does not read, so that its export stays under way.
async fn heavy_account(app: &TestApp, n: u64) -> String {
    let t = app.user(&format!("user{n}@example.com")).await;
    for i in 0..2 {
        app.photo_bytes(&t, &format!("noise{i}.png"), noise(1000, 1000, n * 2 + i))
            .await;
    }
    t
}

#[tokio::test]
async fn twenty_exports_at_once_are_bounded_and_the_rest_told_when_to_retry() {
    let app = spawn_app().await;
    assert_eq!(app.state.config.max_exports, 4, "the default bound");
    let mut tokens = Vec::new();
    for n in 0..8 {
        tokens.push(heavy_account(&app, n).await);
    }
    let starts = (0..20).map(|i| raw_export(&app, &tokens[i % tokens.len()]));
    let answers = futures_util::future::join_all(starts).await;

    let mut running = Vec::new();
    let mut refused: HashMap<u16, usize> = HashMap::new();
    for raw in answers {
        match raw.status {
            200 => running.push(raw),
            429 | 503 => {
                let wait = raw.retry_after.as_deref().expect("Retry-After");
                assert!(wait.parse::<u64>().unwrap() > 0);
                *refused.entry(raw.status).or_default() += 1;
            }
            other => panic!("an export answered {other}"),
        }
    }
    assert_eq!(running.len(), 4, "GALLERY_MAX_EXPORTS at once, no more");
    assert!(
        refused.get(&429).is_some_and(|n| *n >= 4),
        "a second export of one person: {refused:?}"
    );
    assert!(
        refused.get(&503).is_some_and(|n| *n >= 1),
        "every place taken: {refused:?}"
    );

    // Every export that started ends whole once it is read.
    for raw in running {
        let zip = unzip(finish(raw).await);
        assert_eq!(zip.len(), 5, "two photos, their sidecars and the index");
    }
    let res = app.get(&tokens[7], "/api/v1/export").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the places are free again");
    assert_eq!(unzip(res.bytes().await.unwrap().to_vec()).len(), 5);
}

#[tokio::test]
async fn a_dropped_download_frees_its_place_and_can_be_started_again() {
    let app = spawn_app().await;
    let t = heavy_account(&app, 0).await;
    let raw = raw_export(&app, &t).await;
    assert_eq!(raw.status, 200);
    let second = raw_export(&app, &t).await;
    assert_eq!(second.status, 429, "one at a time");
    drop(raw);

    let started = std::time::Instant::now();
    let res = loop {
        let res = app.get(&t, "/api/v1/export").send().await.unwrap();
        if res.status() != StatusCode::TOO_MANY_REQUESTS {
            break res;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "the dropped export still holds its place"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(unzip(res.bytes().await.unwrap().to_vec()).len(), 5);
}

#[tokio::test]
async fn the_pages_offer_downloads_of_a_folder_a_selection_and_everything() {
    let app = spawn_app().await;
    let b = browser();
    sign_up_in_browser(&app, &b, "ann@example.com").await;
    let t = app.token("ann@example.com").await;
    let album = app.folder(&t, "Album", None).await;
    let one = app.photo(&t, "one.jpg", Some(&album)).await;
    let two = app.photo(&t, "two.jpg", Some(&album)).await;

    let page = b
        .get(app.url(&format!("/gallery/{album}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("href=\"/folders/{album}/zip\"")),
        "the folder menu's Download"
    );
    let res = b
        .get(app.url(&format!("/folders/{album}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        names(&zip_of(res, "Album.zip").await),
        set(&["Album/", "Album/one.jpg", "Album/two.jpg"])
    );

    let page_path = format!("/gallery/{album}");
    let res = post_form(
        &b,
        &app.base,
        &page_path,
        "/images/zip",
        &[("ids", one.as_str()), ("ids", two.as_str())],
    )
    .await;
    assert_eq!(
        names(&zip_of(res, "photos.zip").await),
        set(&["Album/one.jpg", "Album/two.jpg"])
    );
    let forged = b
        .post(app.url("/images/zip"))
        .form(&[("ids", &one)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "the form needs its CSRF token"
    );

    let account = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("href=\"/account/export\""),
        "Export all my data"
    );
    let res = b.get(app.url("/account/export")).send().await.unwrap();
    assert!(names(&unzip(res.bytes().await.unwrap().to_vec())).contains("gallery.json"));

    // Another person's folder: the not-found page.
    let other = browser();
    sign_up_in_browser(&app, &other, "bob@example.com").await;
    let res = other
        .get(app.url(&format!("/folders/{album}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn the_api_document_lists_the_downloads() {
    let app = spawn_app().await;
    let doc: Value = fetch(app.client.get(app.url("/api/v1/openapi.json"))).await;
    assert!(doc["paths"]["/folders/{id}/zip"]["get"].is_object());
    assert!(doc["paths"]["/images/zip"]["post"].is_object());
    assert!(doc["paths"]["/export"]["get"].is_object());
}
