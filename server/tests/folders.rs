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
    assert_eq!(app.object_count(), 16, "four objects a photo");
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

/// Deletes a folder; the test fails if that takes the server more than ten seconds.
async fn delete_promptly(app: &common::TestApp, t: &str, id: &str) -> StatusCode {
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.delete(t, &format!("/api/v1/folders/{id}")).send(),
    )
    .await
    .expect("the deletion ends")
    .unwrap()
    .status()
}

/// A chain of folders `depth` deep under the root; their ids, top first.
async fn chain(app: &common::TestApp, t: &str, depth: usize) -> Vec<String> {
    let mut ids: Vec<String> = Vec::with_capacity(depth);
    for level in 0..depth {
        let id = app
            .folder(
                t,
                &format!("level {}", level + 1),
                ids.last().map(String::as_str),
            )
            .await;
        ids.push(id);
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn the_top_of_the_deepest_chain_cannot_move_under_its_bottom() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let ids = chain(&app, &t, 64).await;
    let (top, bottom) = (&ids[0], &ids[63]);
    let res = app
        .patch(&t, &format!("/api/v1/folders/{top}"))
        .json(&json!({"parent_id": bottom}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("into itself"));
    let got: Value = fetch(app.get(&t, &format!("/api/v1/folders/{top}"))).await;
    assert_eq!(got["parent_id"], Value::Null, "nothing moved");
    // Deleting the chain ends promptly and takes all 64 folders.
    assert_eq!(delete_promptly(&app, &t, top).await, StatusCode::NO_CONTENT);
    assert_eq!(app.rows("folders").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn folders_nest_at_most_64_levels_deep() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let ids = chain(&app, &t, 64).await;
    let res = app
        .post(&t, "/api/v1/folders")
        .json(&json!({"name": "one too deep", "parent_id": ids[63]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("64 levels"));

    // A folder with one inside it spans two levels: it fits under level 62, not 63.
    let outer = app.folder(&t, "Outer", None).await;
    app.folder(&t, "Inner", Some(&outer)).await;
    let res = app
        .patch(&t, &format!("/api/v1/folders/{outer}"))
        .json(&json!({"parent_id": ids[62]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("64 levels"));
    let res = app
        .patch(&t, &format!("/api/v1/folders/{outer}"))
        .json(&json!({"parent_id": ids[61]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// Puts `child` under `parent` behind the API's back, as versions without the check in
/// the move's transaction could.
async fn force_parent(app: &common::TestApp, child: &str, parent: &str) {
    sqlx::query("UPDATE folders SET parent_id = $1 WHERE id = $2")
        .bind(parent)
        .bind(child)
        .execute(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_loop_never_makes_a_request_run_forever_and_is_broken_at_start_up() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let a = app.folder(&t, "A", None).await;
    let b = app.folder(&t, "B", Some(&a)).await;
    let c = app.folder(&t, "C", Some(&b)).await;
    app.photo(&t, "in-c.jpg", Some(&c)).await;
    force_parent(&app, &a, &c).await;

    // Everything that walks the tree still answers, and promptly.
    let within = std::time::Duration::from_secs(10);
    for path in [
        format!("/api/v1/folders/{b}"),
        format!("/api/v1/folders?parent={a}"),
        format!("/api/v1/images?folder={a}&q=jpg"),
    ] {
        let res = tokio::time::timeout(within, app.get(&t, &path).send())
            .await
            .unwrap_or_else(|_| panic!("{path} never answered"))
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }
    // Another user can sign up meanwhile: the database is not held.
    assert_eq!(
        app.signup("bob@example.org").await.status(),
        StatusCode::CREATED
    );

    // A new server on the same database breaks the loop: one of the three is at the top
    // again, the other two as they were below it.
    let app = common::restart(app, |_| {}).await;
    let top: Vec<Value> = fetch(app.get(&t, "/api/v1/folders")).await;
    assert_eq!(top.len(), 1, "{top:?}");
    let top = top[0]["id"].as_str().unwrap().to_owned();
    for (id, parent) in [(&a, &c), (&b, &a), (&c, &b)] {
        if *id != top {
            let got: Value = fetch(app.get(&t, &format!("/api/v1/folders/{id}"))).await;
            assert_eq!(got["parent_id"], parent.as_str(), "{got}");
        }
    }
    assert_eq!(
        delete_promptly(&app, &t, &top).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.rows("folders").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repaired_loop_gets_a_new_name_when_its_own_is_taken_at_the_top() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    app.folder(&t, "Trips", None).await;
    let other = app.folder(&t, "Other", None).await;
    let trips = app.folder(&t, "Trips", Some(&other)).await;
    let inner = app.folder(&t, "Inner", Some(&trips)).await;
    force_parent(&app, &other, &inner).await;
    // Other → Inner → Trips → Other: the loop's first folder by id goes to the top.
    let app = common::restart(app, |_| {}).await;
    let top: Vec<Value> = fetch(app.get(&t, "/api/v1/folders")).await;
    let names: Vec<&str> = top.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Trips"));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_opposite_moves_at_once_never_make_a_loop() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let x = app.folder(&t, "X", None).await;
    let y = app.folder(&t, "Y", None).await;
    for _ in 0..25 {
        let move_under = |child: &str, parent: &str| {
            app.patch(&t, &format!("/api/v1/folders/{child}"))
                .json(&json!({"parent_id": parent}))
                .send()
        };
        let (one, two) = tokio::join!(move_under(&x, &y), move_under(&y, &x));
        let (one, two) = (one.unwrap().status(), two.unwrap().status());
        assert!(
            [one, two]
                .iter()
                .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST),
            "{one} {two}"
        );
        let xp: Value = fetch(app.get(&t, &format!("/api/v1/folders/{x}"))).await;
        let yp: Value = fetch(app.get(&t, &format!("/api/v1/folders/{y}"))).await;
        assert!(
            !(xp["parent_id"] == y.as_str() && yp["parent_id"] == x.as_str()),
            "X and Y ended up inside each other"
        );
        for id in [&x, &y] {
            app.patch(&t, &format!("/api/v1/folders/{id}"))
                .json(&json!({"parent_id": null}))
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reordering_marks_are_taken_out_of_folder_names() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let res = app
        .post(&t, "/api/v1/folders")
        .json(&json!({"name": "holiday\u{202E}gpj.exe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "holidaygpj.exe");
    let res = app
        .post(&t, "/api/v1/folders")
        .json(&json!({"name": "\u{2067}\u{2069}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "nothing left of it");
}

#[tokio::test(flavor = "multi_thread")]
async fn folder_listings_come_in_pages() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    for name in ["e", "B", "a", "D", "c"] {
        app.folder(&t, name, None).await;
    }
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/folders?limit=2".to_owned());
    while let Some(path) = next.take() {
        let res = app.get(&t, &path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        next = common::next_page(&res);
        let page: Vec<Value> = res.json().await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|f| f["name"].as_str().unwrap().to_owned()));
    }
    assert_eq!(seen, ["a", "B", "c", "D", "e"]);
    for bad in ["limit=0", "limit=1001", "limit=x", "after=nonsense"] {
        let res = app
            .get(&t, &format!("/api/v1/folders?{bad}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}
