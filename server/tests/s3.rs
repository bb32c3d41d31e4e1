//! Photos kept in a real S3-compatible store (SeaweedFS, started by scripts/test.sh, which
//! sets GALLERY_TEST_S3 and the AWS credentials it accepts).
mod common;

use common::{TestApp, fetch, jpeg, spawn_app_with};
use reqwest::{StatusCode, redirect};
use serde_json::Value;

fn endpoint() -> String {
    std::env::var("GALLERY_TEST_S3")
        .expect("GALLERY_TEST_S3 is not set: run the tests with scripts/test.sh")
}

const BUCKET: &str = "gallery-test";

/// A gallery whose images go to its own prefix of the test bucket.
async fn s3_app(endpoint: &str, classifier: &str) -> (TestApp, String) {
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let (storage, endpoint, classifier) = (
        format!("s3://{BUCKET}/{prefix}"),
        endpoint.to_owned(),
        classifier.to_owned(),
    );
    let app = spawn_app_with(move |c| {
        c.storage = storage;
        c.s3_endpoint = Some(endpoint);
        c.classifier = classifier;
        c.classifier_workers = Some(1);
    })
    .await;
    (app, prefix)
}

async fn client() -> aws_sdk_s3::Client {
    common::s3_client(&endpoint(), BUCKET).await
}

async fn keys(client: &aws_sdk_s3::Client, prefix: &str) -> Vec<String> {
    let out = client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix(format!("{prefix}/"))
        .send()
        .await
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_go_to_the_bucket_and_reach_the_browser_by_presigned_url() {
    let s3 = client().await;
    let (app, prefix) = s3_app(&endpoint(), "off").await;
    let t = app.user("ada@example.org").await;
    let data = jpeg(300, 200);
    let id = app.photo_bytes(&t, "a.jpg", data.clone()).await;
    let stored = keys(&s3, &prefix).await;
    assert_eq!(
        stored.len(),
        4,
        "original, thumbnail, the viewer's and the classifier's renditions: {stored:?}"
    );
    assert!(
        stored
            .iter()
            .all(|k| k.starts_with(&format!("{prefix}/u/"))),
        "keys are ours, not the file name"
    );

    let no_redirects = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(app.url(&format!("/api/v1/images/{id}/original")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&endpoint()) && location.contains("X-Amz-Signature="),
        "{location}"
    );
    // Signed for five minutes at most: handed out after access was checked, it does not
    // outlive a share removed or a link revoked by much.
    assert!(location.contains("X-Amz-Expires=300"), "{location}");
    let fetched = reqwest::get(&location).await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), data.as_slice());
    // The signature is checked: a tampered link is refused by the store.
    let forged = location.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert_eq!(
        reqwest::get(&forged).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // Pages allow images from the store.
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains(&endpoint()), "{csp}");

    assert_eq!(
        app.delete(&t, &format!("/api/v1/images/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert!(
        !keys(&s3, &prefix).await.is_empty(),
        "a deleted photo waits in the Trash with its objects"
    );
    assert_eq!(
        app.post(&t, "/api/v1/trash/purge")
            .json(&serde_json::json!({ "image_ids": [id] }))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert!(
        keys(&s3, &prefix).await.is_empty(),
        "deleting the photo for good deletes its objects"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_in_s3_are_classified() {
    client().await;
    let (app, _) = s3_app(&endpoint(), "local").await;
    let t = app.user("ada@example.org").await;
    let coffee = std::fs::read(format!(
        "{}/../classifier-lambda/testdata/coffee.png",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let id = app.photo_bytes(&t, "coffee.png", coffee).await;
    let started = std::time::Instant::now();
    loop {
        let image: Value = fetch(app.get(&t, &format!("/api/v1/images/{id}"))).await;
        if image["status"] == "done" {
            assert_eq!(image["labels"][0]["label"], "espresso");
            break;
        }
        assert!(started.elapsed().as_secs() < 60, "{image}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_store_gives_503_and_leaves_no_row() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (app, _) = s3_app(&dead, "off").await;
    let t = app.user("ada@example.org").await;
    let res = app.upload(&t, vec![("a.jpg", jpeg(40, 30))], None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        common::error_of(res)
            .await
            .contains("storage is unavailable")
    );
    assert_eq!(app.rows("images").await, 0);
    assert_eq!(app.rows("jobs").await, 0);
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
async fn a_large_upload_goes_to_the_bucket_in_parts_and_comes_back_whole() {
    let s3 = client().await;
    let (app, prefix) = s3_app(&endpoint(), "off").await;
    let t = app.user("ada@example.org").await;
    let data = common::noise_png(2400, 1600);
    assert!(data.len() > 10 << 20, "{} bytes", data.len());
    let id = app.photo_bytes(&t, "big.png", data.clone()).await;
    let (key,): (String,) = sqlx::query_as("SELECT object_key FROM images WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let object = s3
        .get_object()
        .bucket(BUCKET)
        .key(format!("{prefix}/{key}"))
        .send()
        .await
        .unwrap();
    // A multipart object's ETag ends in the number of its parts.
    let etag = object.e_tag().unwrap().trim_matches('"').to_owned();
    assert!(etag.ends_with("-2"), "sent as two parts: {etag}");
    let stored = object.body.collect().await.unwrap().into_bytes();
    assert!(stored.as_ref() == data.as_slice(), "stored byte for byte");
    let image: Value = fetch(app.get(&t, &format!("/api/v1/images/{id}"))).await;
    assert_eq!(image["bytes"], data.len());
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(2400), Some(1600))
    );
    assert_eq!(app.rows("images").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_user_empties_their_part_of_the_bucket_and_the_sweep_finds_strays() {
    let s3 = client().await;
    let (app, prefix) = s3_app(&endpoint(), "off").await;
    let admin = app.user("admin@example.org").await;
    let user = app.user("user@example.org").await;
    let me: Value = fetch(app.get(&user, "/api/v1/me")).await;
    let user_id = me["id"].as_str().unwrap().to_owned();
    let folder = app.folder(&user, "Trips", None).await;
    app.photo(&user, "a.jpg", None).await;
    app.photo(&user, "b.jpg", Some(&folder)).await;
    app.photo(&admin, "mine.jpg", None).await;
    // An object a failed delete left behind, with no photo.
    s3.put_object()
        .bucket(BUCKET)
        .key(format!(
            "{prefix}/u/{user_id}/0123456789abcdef0123456789abcdef"
        ))
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"stray"))
        .send()
        .await
        .unwrap();
    assert_eq!(keys(&s3, &prefix).await.len(), 13);
    let sweep = gallery::admin::housekeeping::sweep(&app.state.db, &app.state.storage, 0, true)
        .await
        .unwrap();
    assert_eq!(sweep.checked, 13);
    assert_eq!(sweep.orphans.len(), 1, "{:?}", sweep.orphans);

    let res = app
        .delete(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let left = keys(&s3, &prefix).await;
    assert_eq!(
        left.len(),
        4,
        "only the admin's photo and its renditions: {left:?}"
    );
    assert!(left.iter().all(|k| !k.contains(&user_id)));
    assert_eq!(app.rows("images").await, 1);
}
