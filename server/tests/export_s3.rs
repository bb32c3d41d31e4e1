//! Exports read their originals from a real S3-compatible store as streams (SeaweedFS,
//! started by scripts/test.sh, which sets GALLERY_TEST_S3 and the AWS credentials it
//! accepts): the archive holds them byte for byte.
mod common;

use std::io::{Cursor, Read};

use common::{jpeg, noise_png, spawn_app_with};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread")]
async fn an_export_streams_its_originals_from_s3() {
    let endpoint = std::env::var("GALLERY_TEST_S3")
        .expect("GALLERY_TEST_S3 is not set: run the tests with scripts/test.sh");
    common::s3_client(&endpoint, "gallery-test").await;
    let storage = format!("s3://gallery-test/t{}", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(move |c| {
        c.storage = storage;
        c.s3_endpoint = Some(endpoint);
    })
    .await;
    let t = app.user("ada@example.org").await;
    let trips = app.folder(&t, "Trips", None).await;
    // Larger than one part of a multipart upload and than one chunk of a stream.
    let (big, small) = (noise_png(1800, 1800), jpeg(64, 48));
    app.photo_bytes_in(&t, "big.png", big.clone(), &trips).await;
    app.photo_bytes_in(&t, "small.jpg", small.clone(), &trips)
        .await;

    let res = app
        .get(&t, &format!("/api/v1/folders/{trips}/zip"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a valid ZIP");
    for (name, original) in [("Trips/big.png", big), ("Trips/small.jpg", small)] {
        let mut read = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut read).unwrap();
        assert!(read == original, "{name} comes out as it went in");
    }

    let res = app.get(&t, "/api/v1/export").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let zip = zip::ZipArchive::new(Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(
        zip.len(),
        6,
        "a directory, two photos, their sidecars and the index"
    );
}
