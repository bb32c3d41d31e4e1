//! The Trash: a delete is not final. Deleted photos and folders leave every listing but
//! keep their files and count towards the quota; they come back where they were, or go for
//! good when their owner says so (or after GALLERY_TRASH_DAYS), a few hundred at a time.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ids_of(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let list: Vec<Value> = fetch(app.get(token, path)).await;
    list.iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn trash(app: &TestApp, token: &str) -> Value {
    fetch(app.get(token, "/api/v1/trash")).await
}

/// POSTs `body` to a Trash route: `restore` or `purge`.
async fn trash_op(app: &TestApp, token: &str, op: &str, body: Value) -> reqwest::Response {
    app.post(token, &format!("/api/v1/trash/{op}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect()
}

/// What counts towards the owner's quota (the admin's figure, on their account row).
async fn bytes_used(app: &TestApp, token: &str) -> i64 {
    let me: Value = fetch(app.get(token, "/api/v1/me")).await;
    let (used,): (i64,) = sqlx::query_as("SELECT bytes_used FROM users WHERE email = $1")
        .bind(me["email"].as_str().unwrap())
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    used
}

#[tokio::test]
async fn a_deleted_photo_waits_in_the_trash_and_comes_back_where_it_was() {
    let app = spawn_app().await;
    let token = app.user("ann@example.com").await;
    let trips = app.folder(&token, "Trips", None).await;
    let kept = app.photo(&token, "kept.jpg", Some(&trips)).await;
    let gone = app.photo(&token, "beach.jpg", Some(&trips)).await;
    let objects = app.object_count();
    let used = bytes_used(&app, &token).await;

    app.to_trash(&token, &format!("/api/v1/images/{gone}"))
        .await;

    // Out of every listing and search, and its page is gone ...
    let listed = ids_of(&app, &token, &format!("/api/v1/images?folder={trips}")).await;
    assert_eq!(listed, vec![kept.clone()]);
    let found = ids_of(&app, &token, "/api/v1/images?q=beach").await;
    assert!(
        found.is_empty(),
        "a trashed photo is not found by its name: {found:?}"
    );
    let res = app
        .get(&token, &format!("/api/v1/images/{gone}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let folder: Value = fetch(app.get(&token, &format!("/api/v1/folders/{trips}"))).await;
    assert_eq!(folder["image_count"], 1, "the folder's count leaves it out");
    // ... but nothing is lost: its files stay, and it still counts towards the quota.
    assert_eq!(app.object_count(), objects);
    assert_eq!(bytes_used(&app, &token).await, used);

    let listing = trash(&app, &token).await;
    assert_eq!(ids(&listing["images"]), vec![gone.as_str()]);
    let item = &listing["images"][0];
    assert_eq!(item["filename"], "beach.jpg");
    let trashed = time::OffsetDateTime::parse(
        item["trashed_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let purge = time::OffsetDateTime::parse(
        item["purge_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        purge - trashed,
        time::Duration::days(30),
        "GALLERY_TRASH_DAYS is 30"
    );
    // Deleting it again is a 404: it is not in the gallery any more.
    let res = app
        .delete(&token, &format!("/api/v1/images/{gone}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = trash_op(&app, &token, "restore", json!({ "image_ids": [gone] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["restored"], 1);
    let mut listed = ids_of(&app, &token, &format!("/api/v1/images?folder={trips}")).await;
    listed.sort();
    let mut both = vec![kept, gone.clone()];
    both.sort();
    assert_eq!(listed, both, "back in its folder");
    assert!(
        trash(&app, &token).await["images"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.assert_consistent().await;
}

#[tokio::test]
async fn a_deleted_folder_comes_back_with_everything_that_was_in_it() {
    let app = spawn_app().await;
    let token = app.user("ben@example.com").await;
    let trips = app.folder(&token, "Trips", None).await;
    let hawaii = app.folder(&token, "Hawaii", Some(&trips)).await;
    app.photo(&token, "a.jpg", Some(&trips)).await;
    app.photo(&token, "b.jpg", Some(&hawaii)).await;

    app.to_trash(&token, &format!("/api/v1/folders/{trips}"))
        .await;
    for folder in [&trips, &hawaii] {
        let res = app
            .get(&token, &format!("/api/v1/folders/{folder}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    assert!(ids_of(&app, &token, "/api/v1/folders").await.is_empty());
    assert!(
        ids_of(&app, &token, "/api/v1/images?q=jpg")
            .await
            .is_empty()
    );
    let listing = trash(&app, &token).await;
    assert_eq!(
        ids(&listing["folders"]),
        vec![trips.as_str()],
        "the folder, not its insides one by one"
    );
    assert_eq!(listing["folders"][0]["image_count"], 2);
    assert!(listing["images"].as_array().unwrap().is_empty());
    // A new folder may take the name meanwhile.
    let again = app.folder(&token, "Trips", None).await;

    let res = trash_op(&app, &token, "restore", json!({ "folder_ids": [trips] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["restored"], 2);
    let restored: Value = fetch(app.get(&token, &format!("/api/v1/folders/{trips}"))).await;
    assert_eq!(
        restored["name"], "Trips (restored)",
        "the name was taken meanwhile"
    );
    assert_eq!(restored["image_count"], 1);
    let inner: Value = fetch(app.get(&token, &format!("/api/v1/folders/{hawaii}"))).await;
    assert_eq!(inner["parent_id"], trips.as_str());
    assert_eq!(inner["image_count"], 1);
    let top = ids_of(&app, &token, "/api/v1/folders").await;
    assert_eq!(top.len(), 2);
    assert!(top.contains(&again));
}

#[tokio::test]
async fn a_photo_whose_folder_is_gone_comes_back_along_the_same_path() {
    let app = spawn_app().await;
    let token = app.user("cy@example.com").await;
    let trips = app.folder(&token, "Trips", None).await;
    let hawaii = app.folder(&token, "Hawaii", Some(&trips)).await;
    let photo = app.photo(&token, "surf.jpg", Some(&hawaii)).await;
    app.to_trash(&token, &format!("/api/v1/images/{photo}"))
        .await;
    // Its folder then goes to the Trash too, and is deleted for good.
    app.to_trash(&token, &format!("/api/v1/folders/{trips}"))
        .await;
    let res = trash_op(&app, &token, "purge", json!({ "folder_ids": [trips] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(ids_of(&app, &token, "/api/v1/folders").await.is_empty());
    assert_eq!(
        ids(&trash(&app, &token).await["images"]),
        vec![photo.as_str()],
        "the photo deleted by itself stays in the Trash"
    );

    let res = trash_op(&app, &token, "restore", json!({ "image_ids": [photo] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let image: Value = fetch(app.get(&token, &format!("/api/v1/images/{photo}"))).await;
    let folder_id = image["folder_id"].as_str().expect("in a folder again");
    let folder: Value = fetch(app.get(&token, &format!("/api/v1/folders/{folder_id}"))).await;
    assert_eq!(folder["name"], "Hawaii");
    let parent: Value = fetch(app.get(
        &token,
        &format!("/api/v1/folders/{}", folder["parent_id"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(parent["name"], "Trips");
    assert_eq!(parent["parent_id"], Value::Null);
    app.assert_consistent().await;
}

#[tokio::test]
async fn a_photo_restored_into_a_folder_moved_and_renamed_since_follows_it() {
    let app = spawn_app().await;
    let token = app.user("di@example.com").await;
    let old = app.folder(&token, "Old", None).await;
    let other = app.folder(&token, "Other", None).await;
    let photo = app.photo(&token, "x.jpg", Some(&old)).await;
    app.to_trash(&token, &format!("/api/v1/images/{photo}"))
        .await;
    let res = app
        .patch(&token, &format!("/api/v1/folders/{old}"))
        .json(&json!({ "name": "Renamed", "parent_id": other }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    trash_op(&app, &token, "restore", json!({ "image_ids": [photo] })).await;
    let image: Value = fetch(app.get(&token, &format!("/api/v1/images/{photo}"))).await;
    assert_eq!(
        image["folder_id"],
        old.as_str(),
        "the same folder, wherever it is now"
    );
}

#[tokio::test]
async fn deleting_for_good_frees_the_space_and_the_files_in_batches() {
    let app = spawn_app().await;
    let token = app.user("ed@example.com").await;
    let before = app.object_count();
    let used_before = bytes_used(&app, &token).await;
    let folder = app.folder(&token, "Many", None).await;
    // More than one batch of 200, in one folder and one by one.
    let photo = common::jpeg(16, 16);
    for chunk in 0..5 {
        let files: Vec<(String, Vec<u8>)> = (0..50)
            .map(|i| (format!("p{chunk}-{i}.jpg"), photo.clone()))
            .collect();
        let res = app
            .upload(
                &token,
                files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect(),
                Some(&folder),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let single = app.photo(&token, "single.jpg", None).await;
    assert!(bytes_used(&app, &token).await > used_before);
    app.to_trash(&token, &format!("/api/v1/folders/{folder}"))
        .await;
    app.to_trash(&token, &format!("/api/v1/images/{single}"))
        .await;
    assert!(app.object_count() > before, "the Trash keeps the files");

    let res = trash_op(&app, &token, "purge", json!({ "all": true })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["purged"], 251);
    assert_eq!(app.object_count(), before, "every file of theirs is gone");
    assert_eq!(app.rows("images").await, 0);
    assert_eq!(
        bytes_used(&app, &token).await,
        used_before,
        "the space is free again"
    );
    let listing = trash(&app, &token).await;
    assert!(listing["images"].as_array().unwrap().is_empty());
    assert!(listing["folders"].as_array().unwrap().is_empty());
    app.assert_consistent().await;
}

#[tokio::test]
async fn nobody_restores_or_purges_what_is_in_someone_elses_trash() {
    let app = spawn_app().await;
    let owner = app.user("fay@example.com").await;
    let stranger = app.user("gus@example.com").await;
    let folder = app.folder(&owner, "Mine", None).await;
    let photo = app.photo(&owner, "mine.jpg", None).await;
    app.to_trash(&owner, &format!("/api/v1/images/{photo}"))
        .await;
    app.to_trash(&owner, &format!("/api/v1/folders/{folder}"))
        .await;

    let listing = trash(&app, &stranger).await;
    assert!(listing["images"].as_array().unwrap().is_empty());
    assert!(listing["folders"].as_array().unwrap().is_empty());
    for (path, body) in [
        ("/api/v1/trash/restore", json!({ "image_ids": [photo] })),
        ("/api/v1/trash/restore", json!({ "folder_ids": [folder] })),
        ("/api/v1/trash/purge", json!({ "image_ids": [photo] })),
        ("/api/v1/trash/purge", json!({ "folder_ids": [folder] })),
    ] {
        let res = app.post(&stranger, path).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path} {body}");
    }
    // Their own "empty the Trash" leaves the owner's alone.
    let res = trash_op(&app, &stranger, "purge", json!({ "all": true })).await;
    assert_eq!(res.json::<Value>().await.unwrap()["purged"], 0);
    let listing = trash(&app, &owner).await;
    assert_eq!(ids(&listing["images"]), vec![photo.as_str()]);
    assert_eq!(ids(&listing["folders"]), vec![folder.as_str()]);
    // A live photo is not in the Trash: restoring or purging it is a 404 too, all or nothing.
    let live = app.photo(&owner, "live.jpg", None).await;
    let res = trash_op(&app, &owner, "purge", json!({ "image_ids": [photo, live] })).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        ids(&trash(&app, &owner).await["images"]),
        vec![photo.as_str()],
        "nothing was purged"
    );
    let res = trash_op(&app, &owner, "restore", json!({})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

/// A photo whose folder went to the Trash after it comes back along the same path, in a
/// folder made again; the folder itself, restored later, does not take the name of the one
/// made again but is called "(restored)".
#[tokio::test]
async fn a_photo_whose_folder_is_in_the_trash_too_comes_back_in_a_folder_made_again() {
    let app = spawn_app().await;
    let token = app.user("di@example.com").await;
    let trips = app.folder(&token, "Trips", None).await;
    let photo = app.photo(&token, "beach.jpg", Some(&trips)).await;
    for path in [
        format!("/api/v1/images/{photo}"),
        format!("/api/v1/folders/{trips}"),
    ] {
        app.to_trash(&token, &path).await;
    }
    let res = trash_op(&app, &token, "restore", json!({ "image_ids": [photo] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let image: Value = fetch(app.get(&token, &format!("/api/v1/images/{photo}"))).await;
    let again = image["folder_id"].as_str().expect("in a folder again");
    assert_ne!(again, trips, "not into the folder in the Trash");
    let folder: Value = fetch(app.get(&token, &format!("/api/v1/folders/{again}"))).await;
    assert_eq!(folder["name"], "Trips");
    assert_eq!(folder["parent_id"], Value::Null);
    assert_eq!(
        ids(&trash(&app, &token).await["folders"]),
        vec![trips.as_str()]
    );

    let res = trash_op(&app, &token, "restore", json!({ "folder_ids": [trips] })).await;
    assert_eq!(res.status(), StatusCode::OK);
    let restored: Value = fetch(app.get(&token, &format!("/api/v1/folders/{trips}"))).await;
    assert_eq!(restored["name"], "Trips (restored)");
    app.assert_consistent().await;
}

#[tokio::test]
async fn housekeeping_deletes_what_has_been_in_the_trash_too_long() {
    let app = spawn_app_with(|c| c.trash_days = 7).await;
    let token = app.user("hal@example.com").await;
    let old = app.photo(&token, "old.jpg", None).await;
    let recent = app.photo(&token, "recent.jpg", None).await;
    for id in [&old, &recent] {
        app.to_trash(&token, &format!("/api/v1/images/{id}")).await;
    }
    // The first went eight days ago.
    let eight_days = 8 * 24 * 3600 * 1000_i64;
    sqlx::query("UPDATE images SET trashed_at = trashed_at - $1 WHERE id = $2")
        .bind(eight_days)
        .bind(&old)
        .execute(&app.state.db)
        .await
        .unwrap();
    let gone = gallery::trash::purge_expired(&app.state.db, &app.state.storage, 7)
        .await
        .unwrap();
    assert_eq!(gone, 1);
    assert_eq!(
        ids(&trash(&app, &token).await["images"]),
        vec![recent.as_str()]
    );
    // Two servers purging at once never both delete one photo's files: the second finds nothing.
    let again = gallery::trash::purge_expired(&app.state.db, &app.state.storage, 7)
        .await
        .unwrap();
    assert_eq!(again, 0);
    app.assert_consistent().await;
}
