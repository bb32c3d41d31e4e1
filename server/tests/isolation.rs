//! Nothing of one user reaches another: every attempt answers 404, as for nothing at all.
mod common;

use common::{TestApp, browser, fetch, jpeg, sign_up_in_browser, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Two {
    app: TestApp,
    mallory: String,
    folder: String,
    image: String,
}

async fn alice_and_mallory() -> Two {
    let app = spawn_app().await;
    let alice = app.user("alice@example.org").await;
    let mallory = app.user("mallory@example.org").await;
    let folder = app.folder(&alice, "Private", None).await;
    let image = app.photo(&alice, "secret.jpg", Some(&folder)).await;
    Two {
        app,
        mallory,
        folder,
        image,
    }
}

async fn status(req: reqwest::RequestBuilder) -> StatusCode {
    req.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_folder_is_not_found() {
    let Two {
        app,
        mallory: m,
        folder,
        ..
    } = alice_and_mallory().await;
    let path = format!("/api/v1/folders/{folder}");
    assert_eq!(status(app.get(&m, &path)).await, StatusCode::NOT_FOUND);
    assert_eq!(
        status(app.get(&m, &format!("/api/v1/folders?parent={folder}"))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(app.get(&m, &format!("/api/v1/images?folder={folder}"))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(app.patch(&m, &path).json(&json!({"name": "Mine now"}))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(app.patch(&m, &path).json(&json!({"parent_id": null}))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(app.delete(&m, &path)).await, StatusCode::NOT_FOUND);
    let own = app.folder(&m, "Mine", None).await;
    let into_theirs = app
        .patch(&m, &format!("/api/v1/folders/{own}"))
        .json(&json!({"parent_id": folder}));
    assert_eq!(status(into_theirs).await, StatusCode::NOT_FOUND);
    let create_inside = app
        .post(&m, "/api/v1/folders")
        .json(&json!({"name": "x", "parent_id": folder}));
    assert_eq!(status(create_inside).await, StatusCode::NOT_FOUND);
    let upload = app
        .upload(&m, vec![("a.jpg", jpeg(10, 10))], Some(&folder))
        .await;
    assert_eq!(upload.status(), StatusCode::NOT_FOUND);
    let root: Vec<Value> = fetch(app.get(&m, "/api/v1/folders")).await;
    assert_eq!(root.len(), 1, "only Mallory's own folder");
    let unknown = app
        .get(&m, "/api/v1/folders/does-not-exist")
        .send()
        .await
        .unwrap();
    let theirs = app.get(&m, &path).send().await.unwrap();
    assert_eq!(
        unknown.text().await.unwrap(),
        theirs.text().await.unwrap(),
        "indistinguishable from nothing"
    );
    let (name,): (String,) = sqlx::query_as("SELECT name FROM folders WHERE id = $1")
        .bind(&folder)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(name, "Private");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_photo_is_not_found() {
    let Two {
        app,
        mallory: m,
        image,
        ..
    } = alice_and_mallory().await;
    for path in [
        format!("/api/v1/images/{image}"),
        format!("/api/v1/images/{image}/original"),
        format!("/api/v1/images/{image}/thumbnail"),
    ] {
        assert_eq!(
            status(app.get(&m, &path)).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let path = format!("/api/v1/images/{image}");
    assert_eq!(
        status(app.patch(&m, &path).json(&json!({"folder_id": null}))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status(app.delete(&m, &path)).await, StatusCode::NOT_FOUND);
    assert_eq!(
        status(app.post(&m, &format!("{path}/reclassify"))).await,
        StatusCode::NOT_FOUND
    );
    let own = app.photo(&m, "mine.jpg", None).await;
    let listed: Vec<Value> = fetch(app.get(&m, "/api/v1/images")).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], own.as_str());
    assert_eq!(app.rows("images").await, 2, "Alice's photo is untouched");
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_things_are_not_found_through_the_pages() {
    let Two {
        app, folder, image, ..
    } = alice_and_mallory().await;
    let b = browser();
    let token = sign_up_in_browser(&app, &b, "eve@example.org").await;
    for path in [
        format!("/gallery/{folder}"),
        format!("/folders/{folder}/delete"),
        format!("/images/{image}/original"),
        format!("/images/{image}/thumbnail"),
    ] {
        assert_eq!(
            b.get(app.url(&path)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for (path, form) in [
        (format!("/folders/{folder}/rename"), vec![("name", "x")]),
        (format!("/folders/{folder}/move"), vec![("parent_id", "")]),
        (format!("/folders/{folder}/delete"), vec![]),
        (
            "/images/move".to_owned(),
            vec![("ids", image.as_str()), ("folder_id", "")],
        ),
        (
            "/images/delete".to_owned(),
            vec![("ids", image.as_str()), ("confirmed", "yes")],
        ),
    ] {
        let mut form = form;
        form.push(("csrf", token.as_str()));
        let res = b.post(app.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.rows("folders").await, 1);
    assert_eq!(app.rows("images").await, 1);
    app.assert_consistent().await;
}
