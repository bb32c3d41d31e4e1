mod common;

use common::{
    error_of, fetch, gif, jpeg, jpeg_with_exif, png, png_declaring, spawn_app, spawn_app_with, webp,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread")]
async fn upload_every_format_detected_from_content() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let files = vec![
        ("a.jpg", jpeg(120, 80)),
        ("b.png", png(60, 40)),
        ("c.webp", webp(30, 20)),
        ("d.gif", gif(20, 10)),
        ("really-a-png.jpg", png(10, 10)),
    ];
    let res = app.upload(&t, files, None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let images: Vec<Value> = res.json().await.unwrap();
    let types: Vec<&str> = images
        .iter()
        .map(|i| i["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
            "image/png"
        ]
    );
    assert_eq!(
        (images[0]["width"].as_i64(), images[0]["height"].as_i64()),
        (Some(120), Some(80))
    );
    assert!(
        images
            .iter()
            .all(|i| i["status"] == "queued" && i["labels"] == json!([]))
    );
    let (queued,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state = 'queued'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(queued, 5, "each upload queued its classification");
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn original_is_served_as_uploaded_with_its_hash_and_a_thumbnail() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let data = jpeg(1600, 1000);
    let res = app.upload(&t, vec![("big.jpg", data.clone())], None).await;
    let image = &res.json::<Vec<Value>>().await.unwrap()[0];
    let id = image["id"].as_str().unwrap();
    assert_eq!(image["sha256"], hex::encode(Sha256::digest(&data)));
    assert_eq!(image["bytes"], data.len());
    let original = app
        .get(&t, &format!("/api/v1/images/{id}/original"))
        .send()
        .await
        .unwrap();
    assert_eq!(original.headers()["content-type"], "image/jpeg");
    assert_eq!(original.bytes().await.unwrap().as_ref(), data.as_slice());
    let thumb = app
        .get(&t, &format!("/api/v1/images/{id}/thumbnail"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert!(thumb.height() <= 400 && thumb.width() <= 800);
    assert_eq!(
        thumb.width() * 1000 / thumb.height(),
        1600,
        "the thumbnail keeps the aspect ratio"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exif_orientation_and_date_taken_are_applied() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    // Orientation 6: the camera was turned; the photo is really portrait.
    let res = app
        .upload(
            &t,
            vec![(
                "turned.jpg",
                jpeg_with_exif(300, 200, 6, "2021:07:14 09:30:00"),
            )],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let image = &res.json::<Vec<Value>>().await.unwrap()[0];
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(200), Some(300))
    );
    assert_eq!(image["taken_at"], "2021-07-14T09:30:00Z");
    let id = image["id"].as_str().unwrap();
    let thumb = app
        .get(&t, &format!("/api/v1/images/{id}/thumbnail"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let thumb = image::load_from_memory(&thumb).unwrap();
    assert!(thumb.height() > thumb.width(), "the thumbnail is upright");
    let plain = app.photo(&t, "plain.jpg", None).await;
    let plain: Value = fetch(app.get(&t, &format!("/api/v1/images/{plain}"))).await;
    assert_eq!(plain["taken_at"], Value::Null);
    assert_eq!(plain["camera"], Value::Null, "no EXIF, no camera");
    assert_eq!(image["camera"], Value::Null, "EXIF without a make or model");
}

async fn refused(
    app: &common::TestApp,
    t: &str,
    name: &str,
    data: Vec<u8>,
    status: StatusCode,
    says: &str,
) {
    let res = app.upload(t, vec![(name, data)], None).await;
    assert_eq!(res.status(), status, "{name}");
    let message = error_of(res).await;
    assert!(message.contains(says), "{name}: {message}");
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_files_are_refused_and_leave_nothing_behind() {
    let app = spawn_app_with(|c| c.max_upload_bytes = 2_000_000).await;
    let t = app.user("ada@example.org").await;
    app.photo(&t, "good.jpg", None).await;
    refused(
        &app,
        &t,
        "notes.jpg",
        b"just some text, not a photo".to_vec(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "is not a JPEG, PNG, WebP or GIF",
    )
    .await;
    let whole = jpeg(800, 600);
    refused(
        &app,
        &t,
        "cut.jpg",
        whole[..whole.len() * 6 / 10].to_vec(),
        StatusCode::BAD_REQUEST,
        "damaged or incomplete",
    )
    .await;
    refused(
        &app,
        &t,
        "empty.jpg",
        Vec::new(),
        StatusCode::BAD_REQUEST,
        "empty",
    )
    .await;
    refused(
        &app,
        &t,
        "bomb.png",
        png_declaring(50_000, 50_000),
        StatusCode::PAYLOAD_TOO_LARGE,
        "50000\u{d7}50000 pixels",
    )
    .await;
    let mut huge = jpeg(64, 64);
    huge.resize(2_500_000, 0);
    refused(
        &app,
        &t,
        "huge.jpg",
        huge,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than the 2 MB upload limit",
    )
    .await;
    assert_eq!(app.rows("images").await, 1, "the good photo is still there");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_bad_file_in_a_batch_stores_none_of_it() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let res = app
        .upload(
            &t,
            vec![
                ("a.jpg", jpeg(20, 20)),
                ("b.txt", b"hello".to_vec()),
                ("c.jpg", jpeg(20, 20)),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_of(res).await.contains("b.txt"));
    assert_eq!(app.rows("images").await, 0);
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_without_files_or_into_unknown_folders_are_refused() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let res = app.upload(&t, vec![], None).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .upload(&t, vec![("a.jpg", jpeg(20, 20))], Some("no-such-folder"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(&t, "/api/v1/images")
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn move_list_sort_and_delete_photos() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let f = app.folder(&t, "Beach", None).await;
    let b = app.photo(&t, "b.jpg", None).await;
    let a = app.photo(&t, "a.jpg", None).await;
    let c = app.photo(&t, "C.jpg", None).await;
    let names = |list: Vec<Value>| {
        list.iter()
            .map(|i| i["filename"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let sorted = fetch(app.get(&t, "/api/v1/images?sort=name&order=asc")).await;
    assert_eq!(names(sorted), ["a.jpg", "b.jpg", "C.jpg"]);
    let newest = app
        .get(&t, "/api/v1/images?sort=date&order=desc")
        .send()
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap();
    assert_eq!(newest[0]["id"], c.as_str());
    let res = app
        .get(&t, "/api/v1/images?sort=colour")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = app
        .patch(&t, &format!("/api/v1/images/{a}"))
        .json(&json!({"folder_id": f}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["folder_id"], f.as_str());
    let inside = fetch(app.get(&t, &format!("/api/v1/images?folder={f}"))).await;
    assert_eq!(names(inside), ["a.jpg"]);
    let folder: Value = fetch(app.get(&t, &format!("/api/v1/folders/{f}"))).await;
    assert_eq!(folder["image_count"], 1);
    let res = app
        .patch(&t, &format!("/api/v1/images/{a}"))
        .json(&json!({"folder_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["folder_id"], Value::Null);

    let res = app
        .delete(&t, &format!("/api/v1/images/{b}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&t, &format!("/api/v1/images/{b}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&t, &format!("/api/v1/images/{b}/original"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reclassify_queues_the_photo_again() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let id = app.photo(&t, "a.jpg", None).await;
    sqlx::query("UPDATE images SET status = 'error', status_detail = 'boom'")
        .execute(&app.state.db)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET state = 'error'")
        .execute(&app.state.db)
        .await
        .unwrap();
    let res = app
        .post(&t, &format!("/api/v1/images/{id}/reclassify"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let image: Value = fetch(app.get(&t, &format!("/api/v1/images/{id}"))).await;
    assert_eq!(image["status"], "queued");
    assert_eq!(image["status_detail"], Value::Null);
    let (queued,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE state = 'queued'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(queued, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_upload_waits_on_disk_and_is_stored_whole() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let data = common::noise_png(2400, 1600);
    assert!(data.len() > 10 << 20, "{} bytes", data.len());
    let id = app.photo_bytes(&t, "big.png", data.clone()).await;
    let original = app
        .get(&t, &format!("/api/v1/images/{id}/original"))
        .send()
        .await
        .unwrap();
    assert_eq!(original.status(), StatusCode::OK);
    assert!(original.bytes().await.unwrap().as_ref() == data.as_slice());
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_decode_budget_counts_bytes_per_pixel() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    // 8 000 × 8 000 is within the 100 megapixels, but at 16-bit RGBA that is 512 MB.
    refused(
        &app,
        &t,
        "deep.png",
        common::png_declaring_pixels(8000, 8000, 16, 6),
        StatusCode::PAYLOAD_TOO_LARGE,
        "8 bytes each",
    )
    .await;
    // The same pixels at 8-bit RGB (192 MB) pass the budget; this file then fails to decode.
    refused(
        &app,
        &t,
        "shallow.png",
        common::png_declaring_pixels(8000, 8000, 8, 2),
        StatusCode::BAD_REQUEST,
        "damaged or incomplete",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_folder_id_field_is_refused_without_being_read() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let form = reqwest::multipart::Form::new()
        .text("folder_id", "x".repeat(50 * 1024 * 1024))
        .part(
            "file",
            reqwest::multipart::Part::bytes(jpeg(20, 20)).file_name("a.jpg"),
        );
    let res = app
        .post(&t, "/api/v1/images")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("folder_id is too long"));
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reordering_marks_are_taken_out_of_file_names() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let id = app.photo(&t, "cat\u{202E}gpj.exe", None).await;
    let image: Value = fetch(app.get(&t, &format!("/api/v1/images/{id}"))).await;
    assert_eq!(image["filename"], "catgpj.exe");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_past_the_quota_is_refused_with_the_room_left() {
    let app = spawn_app_with(|c| c.default_quota_bytes = Some(1_000_000)).await;
    let t = app.user("ada@example.org").await;
    let photo = common::noise_png(300, 300); // about 270 kB
    let size = photo.len();
    assert!(size > 250_000 && size < 330_000, "{size}");
    for n in 0..3 {
        app.photo_bytes(&t, &format!("{n}.png"), photo.clone())
            .await;
    }
    let res = app.upload(&t, vec![("3.png", photo.clone())], None).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let message = error_of(res).await;
    assert!(message.contains("left"), "{message}");
    assert!(message.contains("MB"), "{message}");
    assert_eq!(app.rows("images").await, 3);
    app.assert_consistent().await;
    // Full to the brim, any upload is refused, and says so.
    sqlx::query("UPDATE users SET quota_bytes = $1")
        .bind(3 * size as i64)
        .execute(&app.state.db)
        .await
        .unwrap();
    let res = app.upload(&t, vec![("4.png", photo.clone())], None).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(res).await.contains("your storage is full"));

    // An admin's own quota for one user replaces the default.
    sqlx::query("UPDATE users SET quota_bytes = 10000000")
        .execute(&app.state.db)
        .await
        .unwrap();
    app.photo_bytes(&t, "3.png", photo).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_uploads_at_once_cannot_both_take_the_last_room() {
    let app = spawn_app_with(|c| c.default_quota_bytes = Some(400_000)).await;
    let t = app.user("ada@example.org").await;
    let photo = common::noise_png(300, 300);
    for _ in 0..5 {
        let (a, b) = tokio::join!(
            app.upload(&t, vec![("a.png", photo.clone())], None),
            app.upload(&t, vec![("b.png", photo.clone())], None)
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert!(
            statuses == [StatusCode::CREATED, StatusCode::PAYLOAD_TOO_LARGE]
                || statuses == [StatusCode::PAYLOAD_TOO_LARGE, StatusCode::PAYLOAD_TOO_LARGE],
            "{statuses:?}"
        );
        assert!(app.rows("images").await <= 1);
        app.assert_consistent().await;
    }
    assert_eq!(app.rows("images").await, 1, "one of the first two fitted");
}

#[tokio::test(flavor = "multi_thread")]
async fn photo_listings_and_searches_come_in_pages() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    for n in 0..7 {
        app.photo(&t, &format!("photo {n}.jpg"), None).await;
    }
    for query in [
        "sort=name&order=asc",
        "sort=date",
        "sort=tag",
        "q=photo",
        "q=photo&sort=name",
    ] {
        let whole: Vec<Value> = fetch(app.get(&t, &format!("/api/v1/images?{query}"))).await;
        assert_eq!(whole.len(), 7, "{query}");
        let mut paged = Vec::new();
        let mut next = Some(format!("/api/v1/images?{query}&limit=3"));
        let mut pages = 0;
        while let Some(path) = next.take() {
            let res = app.get(&t, &path).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            next = common::next_page(&res);
            paged.extend(res.json::<Vec<Value>>().await.unwrap());
            pages += 1;
        }
        assert_eq!(pages, 3, "{query}");
        let ids = |list: &[Value]| -> Vec<String> {
            list.iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            ids(&paged),
            ids(&whole),
            "{query}: the pages are the whole, in order"
        );
    }
    let res = app
        .get(&t, "/api/v1/images?limit=5000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn originals_are_checked_again_before_they_are_shown_from_the_cache() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let id = app.photo(&t, "a.jpg", None).await;
    let res = app
        .get(&t, &format!("/api/v1/images/{id}/original"))
        .send()
        .await
        .unwrap();
    let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(
        cache.contains("private") && cache.contains("no-cache"),
        "{cache}"
    );
    assert!(!cache.contains("max-age=86400"));
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .get(&t, &format!("/api/v1/images/{id}/original"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Signed out, the check fails: nothing is shown.
    app.post(&t, "/api/v1/auth/logout").send().await.unwrap();
    let after = app
        .get(&t, &format!("/api/v1/images/{id}/original"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selection_is_acted_on_all_at_once_or_not_at_all() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let mine: Vec<String> = {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(app.photo(&t, &format!("{n}.jpg"), None).await);
        }
        ids
    };
    let other = app.user("bob@example.org").await;
    let theirs = app.photo(&other, "bob.jpg", None).await;
    let b = common::browser();
    common::sign_up_in_browser(&app, &b, "carol@example.org").await;
    // Carol cannot delete photos that are not hers, even mixed in with none of hers.
    let res = common::post_form(
        &b,
        &app.base,
        "/gallery",
        "/images/delete",
        &[
            ("ids", mine[0].as_str()),
            ("ids", theirs.as_str()),
            ("confirmed", "yes"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.rows("images").await, 4);
    // More than a thousand at once is refused with a reason.
    let ids: Vec<String> = (0..1001).map(|n| format!("id{n}")).collect();
    let form: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    let res = common::post_form(&b, &app.base, "/gallery", "/images/reclassify", &form).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("at most 1000"));
}

/// The size of a JPEG the server sent.
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).expect("a JPEG");
    (img.width(), img.height())
}

#[tokio::test(flavor = "multi_thread")]
async fn one_decode_makes_the_viewers_rendition_and_the_thumbnail() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    // 12 MP, turned by EXIF (orientation 6: the stored pixels are landscape, the photo portrait).
    let big = jpeg_with_exif(4000, 3000, 6, "2024:07:14 10:11:12");
    let id = app.photo_bytes(&t, "big.jpg", big.clone()).await;
    let image: Value = fetch(app.get(&t, &format!("/api/v1/images/{id}"))).await;
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(3000), Some(4000))
    );
    assert_eq!(
        image["sha256"],
        hex::encode(Sha256::digest(&big)),
        "hashed as it streamed in"
    );

    let display = app
        .get(&t, &format!("/api/v1/images/{id}/display"))
        .send()
        .await
        .unwrap();
    assert_eq!(display.status(), StatusCode::OK);
    assert_eq!(display.headers()["content-type"], "image/jpeg");
    let display = display.bytes().await.unwrap();
    // Decoded at half scale (the smallest DCT scale that covers about 2 048 px), upright.
    assert_eq!(jpeg_size(&display), (1500, 2000));
    assert!(
        display.len() < big.len() / 2,
        "a rendition, not the original"
    );
    let thumb = app
        .get(&t, &format!("/api/v1/images/{id}/thumbnail"))
        .send()
        .await
        .unwrap();
    assert_eq!(jpeg_size(&thumb.bytes().await.unwrap()), (300, 400));

    // A photo smaller than the rendition is never enlarged; a wide one fits 2 048 px.
    let small = app.photo_bytes(&t, "small.png", png(640, 480)).await;
    let res = app
        .get(&t, &format!("/api/v1/images/{small}/display"))
        .send()
        .await
        .unwrap();
    assert_eq!(jpeg_size(&res.bytes().await.unwrap()), (640, 480));
    let wide = app.photo_bytes(&t, "wide.jpg", jpeg(6000, 1000)).await;
    let res = app
        .get(&t, &format!("/api/v1/images/{wide}/display"))
        .send()
        .await
        .unwrap();
    assert_eq!(jpeg_size(&res.bytes().await.unwrap()), (2048, 341));

    // Another user's rendition is not found, as for anything of theirs.
    let other = app.user("bob@example.org").await;
    let res = app
        .get(&other, &format!("/api/v1/images/{id}/display"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Deleting the photo removes all three objects.
    app.assert_consistent().await;
    let res = app
        .delete(&t, &format!("/api/v1/images/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.assert_consistent().await;
}
