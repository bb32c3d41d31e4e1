mod common;

use common::{error_of, fetch, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn nested_folders_are_listed_per_parent() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let trips = app.folder(&t, "Trips", None).await;
    app.folder(&t, "Rome", Some(&trips)).await;
    app.folder(&t, "Oslo", Some(&trips)).await;
    let root: Vec<Value> = fetch(app.get(&t, "/api/v1/folders")).await;
    assert_eq!(root.len(), 1);
    assert_eq!(root[0]["name"], "Trips");
    assert_eq!(root[0]["parent_id"], Value::Null);
    let inside: Vec<Value> = fetch(app.get(&t, &format!("/api/v1/folders?parent={trips}"))).await;
    let names: Vec<&str> = inside.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Oslo", "Rome"]);
    assert!(
        inside
            .iter()
            .all(|f| f["parent_id"] == trips.as_str() && f["image_count"] == 0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_unique_within_a_parent_only() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let a = app.folder(&t, "A", None).await;
    let b = app.folder(&t, "B", None).await;
    app.folder(&t, "Beach", Some(&a)).await;
    app.folder(&t, "Beach", Some(&b)).await;
    let res = app
        .post(&t, "/api/v1/folders")
        .json(&json!({"name": "beach", "parent_id": a}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(error_of(res).await.contains("already exists"));
    let res = app
        .post(&t, "/api/v1/folders")
        .json(&json!({"name": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT, "at the root too");
    let res = app
        .patch(&t, &format!("/api/v1/folders/{b}"))
        .json(&json!({"name": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "renaming onto a sibling's name"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_folder_names_get_a_clear_message() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let cases = [
        ("../etc", "cannot contain"),
        ("..", "cannot contain"),
        ("<b>bold</b>", "cannot contain"),
        ("<script>alert(1)</script>", "cannot contain"),
        ("   ", "cannot be empty"),
        (&"x".repeat(300), "too long"),
    ];
    for (name, message) in cases {
        let res = app
            .post(&t, "/api/v1/folders")
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{name:?}");
        assert!(error_of(res).await.contains(message), "{name:?}");
    }
    assert_eq!(app.rows("folders").await, 0);
    let res = app
        .post(&t, "/api/v1/folders")
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(!error_of(res).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn rename_and_move_folders() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let a = app.folder(&t, "A", None).await;
    let b = app.folder(&t, "B", None).await;
    let c = app.folder(&t, "C", Some(&a)).await;
    let res = app
        .patch(&t, &format!("/api/v1/folders/{c}"))
        .json(&json!({"name": "Sea", "parent_id": b}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let moved: Value = res.json().await.unwrap();
    assert_eq!(moved["name"], "Sea");
    assert_eq!(moved["parent_id"], b.as_str());
    let res = app
        .patch(&t, &format!("/api/v1/folders/{c}"))
        .json(&json!({"parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["parent_id"],
        Value::Null,
        "null moves to the root"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_cannot_move_into_itself_or_below_itself() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let a = app.folder(&t, "A", None).await;
    let b = app.folder(&t, "B", Some(&a)).await;
    let c = app.folder(&t, "C", Some(&b)).await;
    for target in [&a, &c] {
        let res = app
            .patch(&t, &format!("/api/v1/folders/{a}"))
            .json(&json!({"parent_id": target}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(error_of(res).await.contains("into itself"));
    }
    let got: Value = fetch(app.get(&t, &format!("/api/v1/folders/{a}"))).await;
    assert_eq!(got["parent_id"], Value::Null, "nothing changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_folder_takes_everything_inside() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let a = app.folder(&t, "A", None).await;
    let b = app.folder(&t, "B", Some(&a)).await;
    let keep = app.folder(&t, "Keep", None).await;
    app.photo(&t, "a.jpg", Some(&a)).await;
    app.photo(&t, "b.jpg", Some(&b)).await;
    let kept = app.photo(&t, "keep.jpg", Some(&keep)).await;
    app.photo(&t, "root.jpg", None).await;
    assert_eq!(app.object_count(), 8);
    let res = app
        .delete(&t, &format!("/api/v1/folders/{a}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.rows("folders").await, 1);
    assert_eq!(app.rows("images").await, 2);
    assert_eq!(
        app.get(&t, &format!("/api/v1/folders/{b}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&t, &format!("/api/v1/images/{kept}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.assert_consistent().await;
}
