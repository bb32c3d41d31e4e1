//! Links for anyone (`/s/TOKEN`): opened without an account or a cookie, showing only what
//! was linked; revoked or expired they answer as a token that never was; a password is
//! asked for and guessing it meets a limit, as does guessing tokens; downloads and the
//! place and camera follow the owner's choice.
mod common;

use common::{TestApp, fetch, jpeg_with_exif, spawn_app};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// A client with no cookies and no token: anyone holding the link.
fn anyone() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client that keeps cookies (a browser that gave the password).
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Album {
    app: TestApp,
    alice: String,
    trip: String,
    inside: String,
    below: String,
    outside: String,
}

async fn album() -> Album {
    let app = spawn_app().await;
    let alice = app.user("alice@example.org").await;
    let trip = app.folder(&alice, "Lisbon", None).await;
    let sub = app.folder(&alice, "Day two", Some(&trip)).await;
    let inside = app.photo(&alice, "tram.jpg", Some(&trip)).await;
    let below = app.photo(&alice, "castle.jpg", Some(&sub)).await;
    let outside = app.photo(&alice, "private.jpg", None).await;
    Album {
        app,
        alice,
        trip,
        inside,
        below,
        outside,
    }
}

async fn make(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post(token, "/api/v1/links")
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Makes a link and returns its id and path (`/s/TOKEN`).
async fn link(app: &TestApp, token: &str, body: Value) -> (String, String) {
    let res = make(app, token, body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let made: Value = res.json().await.unwrap();
    let url = made["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/s/", app.base)), "{url}");
    let path = url.trim_start_matches(&app.base).to_owned();
    assert!(path.len() >= "/s/".len() + 32, "at least 128 bits: {path}");
    (made["id"].as_str().unwrap().to_owned(), path)
}

/// The body of a GET that must succeed.
async fn bytes(client: &Client, url: String) -> bytes::Bytes {
    let res = client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{url}");
    res.bytes().await.unwrap()
}

async fn status(client: &Client, url: String) -> StatusCode {
    client.get(url).send().await.unwrap().status()
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folders_link_shows_it_to_anyone_and_nothing_else() {
    let a = album().await;
    let app = &a.app;
    let (id, path) = link(app, &a.alice, json!({ "folder_id": a.trip })).await;
    let client = anyone();
    let page = client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers().get("set-cookie").is_none(), "no cookie");
    assert!(
        page.headers()["x-robots-tag"]
            .to_str()
            .unwrap()
            .contains("noindex")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("noindex"));
    assert!(html.contains(&format!("{path}/images/{}/thumbnail", a.inside)));
    for secret in ["alice@example.org", "private.jpg", "Lisbon", "Day two"] {
        assert!(!html.contains(secret), "the page shows {secret}");
    }

    let listed: Value = fetch(client.get(app.url(&format!("{path}/images")))).await;
    let mut want = vec![a.inside.clone(), a.below.clone()];
    want.sort();
    assert_eq!(ids(&listed), want);
    let text = listed.to_string();
    for secret in ["alice", "labels", "folder", "camera", "owner"] {
        assert!(!text.contains(secret), "the JSON shows {secret}: {text}");
    }
    for variant in ["thumbnail", "display", "original"] {
        let url = app.url(&format!("{path}/images/{}/{variant}", a.below));
        assert_eq!(status(&client, url).await, StatusCode::OK, "{variant}");
        let url = app.url(&format!("{path}/images/{}/{variant}", a.outside));
        assert_eq!(
            status(&client, url).await,
            StatusCode::NOT_FOUND,
            "outside: {variant}"
        );
    }

    // The owner sees how often it was opened (the page, not each photo).
    client.get(app.url(&path)).send().await.unwrap();
    let links: Value = fetch(app.get(&a.alice, "/api/v1/links")).await;
    assert_eq!(links[0]["id"], id.as_str());
    assert_eq!(links[0]["opened"], 2);
    assert_eq!(links[0]["image_count"], 2);
    assert!(
        !links.to_string().contains(&path[3..]),
        "never the token again"
    );
    // Nor do the metrics or the admin's audit log name it.
    let metrics = client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains(&path[3..]));
    assert!(metrics.contains("/s/{token}"), "by route");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_or_expired_link_answers_as_one_that_never_was() {
    let a = album().await;
    let app = &a.app;
    let (id, path) = link(app, &a.alice, json!({ "folder_id": a.trip })).await;
    let client = anyone();
    let never = format!("/s/{}", "ab".repeat(32));
    let nothing = client.get(app.url(&never)).send().await.unwrap();
    assert_eq!(nothing.status(), StatusCode::NOT_FOUND);
    let nothing = nothing.text().await.unwrap();

    let revoke = app.delete(&a.alice, &format!("/api/v1/links/{id}"));
    assert_eq!(
        revoke.send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    for tail in [
        String::new(),
        "/images".to_owned(),
        format!("/images/{}/thumbnail", a.inside),
        format!("/images/{}/original", a.inside),
    ] {
        let res = client
            .get(app.url(&format!("{path}{tail}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{tail}");
        if tail.is_empty() {
            assert_eq!(res.text().await.unwrap(), nothing, "the same answer");
        }
    }
    let again = app.delete(&a.alice, &format!("/api/v1/links/{id}"));
    assert_eq!(again.send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // Expired: in the past at once (made so in the database: a link cannot be made so).
    let res = make(
        app,
        &a.alice,
        json!({ "folder_id": a.trip, "expires_at": "2001-01-01" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (id, path) = link(
        app,
        &a.alice,
        json!({ "folder_id": a.trip, "expires_at": "2999-01-01" }),
    )
    .await;
    assert_eq!(status(&client, app.url(&path)).await, StatusCode::OK);
    sqlx::query("UPDATE links SET expires_at = 1 WHERE id = $1")
        .bind(&id)
        .execute(&app.state.db)
        .await
        .unwrap();
    let url = app.url(&format!("{path}/images/{}/display", a.inside));
    assert_eq!(status(&client, url).await, StatusCode::NOT_FOUND);
    assert_eq!(status(&client, app.url(&path)).await, StatusCode::NOT_FOUND);

    // Another account cannot revoke Alice's link.
    let (id, _) = link(app, &a.alice, json!({ "folder_id": a.trip })).await;
    let mallory = app.user("mallory@example.org").await;
    let res = app
        .delete(&mallory, &format!("/api/v1/links/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_is_asked_for_and_guessing_it_meets_a_limit() {
    let a = album().await;
    let app = &a.app;
    let body = json!({ "folder_id": a.trip, "password": "open sesame please" });
    let (_, path) = link(app, &a.alice, body).await;
    let b = browser();
    let page = b
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("type=\"password\""), "a password form");
    assert!(!page.contains(&a.inside));
    let listing = b
        .get(app.url(&format!("{path}/images")))
        .send()
        .await
        .unwrap();
    assert_eq!(listing.status(), StatusCode::UNAUTHORIZED);
    let photo = app.url(&format!("{path}/images/{}/thumbnail", a.inside));
    assert_eq!(status(&b, photo.clone()).await, StatusCode::UNAUTHORIZED);

    let wrong = b
        .post(app.url(&path))
        .form(&[("password", "not it")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = b
        .post(app.url(&path))
        .form(&[("password", "open sesame please")])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    // A script may send it as JSON.
    let script = browser();
    let res = script
        .post(app.url(&path))
        .json(&json!({ "password": "open sesame please" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let listed = script
        .get(app.url(&format!("{path}/images")))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let cookie = right.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains(&format!("Path={path}")),
        "{cookie}"
    );
    assert_eq!(status(&b, photo.clone()).await, StatusCode::OK);
    assert!(
        b.get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(&a.inside)
    );

    // Someone guessing: a few tries, then 429 even for the right one.
    let guesser = browser();
    let mut limited = false;
    for n in 0..30 {
        let res = guesser
            .post(app.url(&path))
            .form(&[("password", format!("guess {n}"))])
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert!(limited, "guessing meets a limit");
    let res = guesser
        .post(app.url(&path))
        .form(&[("password", "open sesame please")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_tokens_meets_a_limit() {
    let a = album().await;
    let app = &a.app;
    let (_, path) = link(app, &a.alice, json!({ "folder_id": a.trip })).await;
    let client = anyone();
    let mut limited_at = None;
    for n in 0..1000u32 {
        let token = format!("{:064x}", u128::from(n) * 7919 + 12345);
        let res = client
            .get(app.url(&format!("/s/{token}")))
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited_at = Some(n);
            break;
        }
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let at = limited_at.expect("1 000 wrong tokens from one address meet a limit");
    assert!(at < 200, "limited after {at}");
    // Only tokens that open nothing count: the real link still opens.
    assert_eq!(status(&client, app.url(&path)).await, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_and_place_follow_the_owners_choice() {
    let a = album().await;
    let app = &a.app;
    let exif = jpeg_with_exif(64, 48, 1, "2024:05:01 10:00:00");
    let tagged = app
        .photo_bytes_in(&a.alice, "tagged.jpg", exif, &a.trip)
        .await;
    let client = anyone();

    let (_, plain) = link(app, &a.alice, json!({ "folder_id": a.trip })).await;
    let original = bytes(
        &client,
        app.url(&format!("{plain}/images/{tagged}/original")),
    )
    .await;
    assert!(
        original.windows(4).any(|w| w == b"Exif"),
        "the original as it was"
    );

    let (_, hidden) = link(
        app,
        &a.alice,
        json!({ "folder_id": a.trip, "hide_place": true }),
    )
    .await;
    let served = client
        .get(app.url(&format!("{hidden}/images/{tagged}/original")))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let served = served.bytes().await.unwrap();
    assert!(
        !served.windows(4).any(|w| w == b"Exif"),
        "no EXIF: no place, no camera"
    );
    assert!(served.starts_with(&[0xFF, 0xD8]), "a JPEG still");

    // A photo stored before the viewer's renditions has none: such a link never gives out
    // its original in their place, the thumbnail stands in.
    sqlx::query("UPDATE images SET display_key = NULL WHERE id = $1")
        .bind(&tagged)
        .execute(&app.state.db)
        .await
        .unwrap();
    let thumbnail = bytes(
        &client,
        app.url(&format!("{plain}/images/{tagged}/thumbnail")),
    )
    .await;
    for variant in ["original", "display"] {
        let served = bytes(
            &client,
            app.url(&format!("{hidden}/images/{tagged}/{variant}")),
        )
        .await;
        assert_eq!(served, thumbnail, "{variant} of an old photo");
    }

    let (_, view_only) = link(
        app,
        &a.alice,
        json!({ "folder_id": a.trip, "allow_download": false }),
    )
    .await;
    let url = app.url(&format!("{view_only}/images/{tagged}/original"));
    assert_eq!(status(&client, url).await, StatusCode::FORBIDDEN);
    let url = app.url(&format!("{view_only}/images/{tagged}/display"));
    let shown = bytes(&client, url).await;
    assert_eq!(shown, thumbnail, "never the original in its place");
    let page = client
        .get(app.url(&view_only))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/original"), "no download button");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selections_link_holds_only_ones_own_photos_and_loses_what_is_trashed() {
    let a = album().await;
    let app = &a.app;
    let bob = app.user("bob@example.org").await;
    let bobs = app.photo(&bob, "bobs.jpg", None).await;
    // Another's photo, a folder not one's own, nothing at all, both at once.
    let res = make(app, &a.alice, json!({ "image_ids": [a.inside, bobs] })).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = make(app, &bob, json!({ "folder_id": a.trip })).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = make(app, &a.alice, json!({})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = make(
        app,
        &a.alice,
        json!({ "folder_id": a.trip, "image_ids": [a.inside] }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A photo shared through a link and a share, then trashed: gone from both.
    let (_, path) = link(app, &a.alice, json!({ "image_ids": [a.inside, a.outside] })).await;
    let share = app
        .client
        .put(app.url(&format!("/api/v1/folders/{}/shares", a.trip)))
        .bearer_auth(&a.alice)
        .json(&json!({ "email": "bob@example.org", "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(share.status(), StatusCode::OK);
    let client = anyone();
    let listed: Value = fetch(client.get(app.url(&format!("{path}/images")))).await;
    let mut want = vec![a.inside.clone(), a.outside.clone()];
    want.sort();
    assert_eq!(ids(&listed), want);
    let url = app.url(&format!("{path}/images/{}/display", a.below));
    assert_eq!(
        status(&client, url).await,
        StatusCode::NOT_FOUND,
        "not selected"
    );
    let shared_photo = format!("/api/v1/images/{}", a.inside);
    assert_eq!(
        app.get(&bob, &shared_photo).send().await.unwrap().status(),
        StatusCode::OK
    );

    app.to_trash(&a.alice, &shared_photo).await;
    let listed: Value = fetch(client.get(app.url(&format!("{path}/images")))).await;
    assert_eq!(ids(&listed), vec![a.outside.clone()]);
    let url = app.url(&format!("{path}/images/{}/original", a.inside));
    assert_eq!(status(&client, url).await, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&bob, &shared_photo).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
