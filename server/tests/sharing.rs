//! Folders shared with people: viewers see, search and download; contributors also add
//! photos, which stay theirs; only the owner changes the folder; a removed person loses it
//! at once on every server; an address without an account waits for one that proves it.
mod common;

use common::mail::{address, wait_letter, with_mail};
use common::{TestApp, error_of, fetch, restart, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Alice's "Hawaii trip" (with a photo) and its sub-folder "Day 1" (with a photo), Bob and
/// Carol with accounts of their own. Alice, the first account, is the gallery's admin.
struct Trip {
    app: TestApp,
    alice: String,
    bob: String,
    carol: String,
    hawaii: String,
    day1: String,
    beach: String,
    sunset: String,
}

async fn trip(app: TestApp) -> Trip {
    let alice = app.user("alice@example.org").await;
    let bob = app.user("bob@example.org").await;
    let carol = app.user("carol@example.org").await;
    let hawaii = app.folder(&alice, "Hawaii trip", None).await;
    let day1 = app.folder(&alice, "Day 1", Some(&hawaii)).await;
    let beach = app.photo(&alice, "beach.jpg", Some(&hawaii)).await;
    let sunset = app.photo(&alice, "sunset.jpg", Some(&day1)).await;
    Trip {
        app,
        alice,
        bob,
        carol,
        hawaii,
        day1,
        beach,
        sunset,
    }
}

async fn share(
    app: &TestApp,
    token: &str,
    folder: &str,
    email: &str,
    role: &str,
) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/folders/{folder}/shares")))
        .bearer_auth(token)
        .json(&json!({ "email": email, "role": role }))
        .send()
        .await
        .unwrap()
}

/// Shares `folder` with `email` as `role`, which must be accepted; the share.
async fn share_ok(app: &TestApp, token: &str, folder: &str, email: &str, role: &str) -> Value {
    let res = share(app, token, folder, email, role).await;
    assert_eq!(res.status(), StatusCode::OK, "sharing with {email}");
    res.json().await.unwrap()
}

async fn status(req: reqwest::RequestBuilder) -> StatusCode {
    req.send().await.unwrap().status()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_sees_searches_and_downloads_the_folder_and_everything_below_it() {
    let t = trip(spawn_app().await).await;
    let app = &t.app;
    let res = share(app, &t.alice, &t.hawaii, "Bob@Example.org", "viewer").await;
    assert_eq!(res.status(), StatusCode::OK);
    let shared: Value = res.json().await.unwrap();
    assert_eq!(shared["state"], "active", "{shared}");
    assert_eq!(shared["role"], "viewer");

    // The owner sees who has access.
    let shares: Value =
        fetch(app.get(&t.alice, &format!("/api/v1/folders/{}/shares", t.hawaii))).await;
    assert_eq!(shares[0]["email"], "bob@example.org", "{shares}");
    assert_eq!(shares[0]["state"], "active");

    // Bob finds it under "shared with me", with its owner's name.
    let mine: Value = fetch(app.get(&t.bob, "/api/v1/shared")).await;
    assert_eq!(ids(&mine), vec![t.hawaii.as_str()], "{mine}");
    assert_eq!(mine[0]["role"], "viewer");
    assert_eq!(mine[0]["owner"]["display_name"], "alice");
    assert_eq!(mine[0]["parent_id"], Value::Null);
    // Of a sub-folder shared alone, the parent (not shared) does not show.
    let day: Value = fetch(app.get(&t.bob, &format!("/api/v1/folders/{}", t.day1))).await;
    assert_eq!(
        day["parent_id"],
        t.hawaii.as_str(),
        "its parent is shared with him"
    );
    assert!(
        mine[0].get("email").is_none() && !mine.to_string().contains("alice@"),
        "{mine}"
    );

    // Its photos, its sub-folders and theirs.
    let listed: Value =
        fetch(app.get(&t.bob, &format!("/api/v1/images?folder={}", t.hawaii))).await;
    assert_eq!(ids(&listed), vec![t.beach.as_str()]);
    let below: Value =
        fetch(app.get(&t.bob, &format!("/api/v1/folders?parent={}", t.hawaii))).await;
    assert_eq!(ids(&below), vec![t.day1.as_str()]);
    let deeper: Value = fetch(app.get(&t.bob, &format!("/api/v1/images?folder={}", t.day1))).await;
    assert_eq!(ids(&deeper), vec![t.sunset.as_str()]);
    for path in ["", "/original", "/thumbnail", "/display"] {
        let url = format!("/api/v1/images/{}{path}", t.sunset);
        assert_eq!(status(app.get(&t.bob, &url)).await, StatusCode::OK, "{url}");
    }
    let zip = app
        .get(&t.bob, &format!("/api/v1/folders/{}/zip", t.hawaii))
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    assert!(zip.bytes().await.unwrap().len() > 100);

    // Search: within the folder, and across what is shared; not among his own.
    let found: Value = fetch(app.get(
        &t.bob,
        &format!("/api/v1/images?q=sunset&folder={}", t.hawaii),
    ))
    .await;
    assert_eq!(ids(&found), vec![t.sunset.as_str()]);
    let found: Value = fetch(app.get(&t.bob, "/api/v1/images?q=sunset&scope=shared")).await;
    assert_eq!(ids(&found), vec![t.sunset.as_str()]);
    let found: Value = fetch(app.get(&t.bob, "/api/v1/images?q=sunset&scope=all")).await;
    assert_eq!(ids(&found), vec![t.sunset.as_str()]);
    let found: Value = fetch(app.get(&t.bob, "/api/v1/images?q=sunset")).await;
    assert_eq!(ids(&found), Vec::<&str>::new(), "the default is one's own");
    // Listings too: every photo shared with him, and those with his own.
    let own = app.photo(&t.bob, "bobs.jpg", None).await;
    let listed: Value = fetch(app.get(&t.bob, "/api/v1/images?scope=shared")).await;
    let mut want = vec![t.beach.as_str(), t.sunset.as_str()];
    want.sort();
    let mut got = ids(&listed);
    got.sort();
    assert_eq!(got, want);
    let listed: Value = fetch(app.get(&t.bob, "/api/v1/images?scope=all")).await;
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    let listed: Value = fetch(app.get(&t.bob, "/api/v1/images")).await;
    assert_eq!(ids(&listed), vec![own.as_str()], "his top level");
    // A word naming the shared folder finds what is in it.
    let found: Value = fetch(app.get(&t.bob, "/api/v1/images?q=hawaii&scope=all")).await;
    assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
    let found: Value = fetch(app.get(&t.carol, "/api/v1/images?scope=all")).await;
    assert_eq!(found, json!([]));

    // Carol, whom nobody shared anything with, finds nothing of it.
    for url in [
        format!("/api/v1/folders/{}", t.hawaii),
        format!("/api/v1/images?folder={}", t.hawaii),
        format!("/api/v1/folders?parent={}", t.hawaii),
        format!("/api/v1/images/{}", t.beach),
        format!("/api/v1/images/{}/original", t.beach),
        format!("/api/v1/folders/{}/zip", t.hawaii),
        format!("/api/v1/folders/{}/shares", t.hawaii),
    ] {
        assert_eq!(
            status(app.get(&t.carol, &url)).await,
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    let found: Value = fetch(app.get(&t.carol, "/api/v1/images?q=sunset&scope=all")).await;
    assert_eq!(found, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_can_never_write_and_only_the_owner_changes_the_folder() {
    let t = trip(spawn_app().await).await;
    let app = &t.app;
    share_ok(app, &t.alice, &t.hawaii, "bob@example.org", "viewer").await;
    let bobs = app.folder(&t.bob, "Bob's", None).await;
    let forbidden = |what: &str, code: StatusCode| {
        assert_eq!(code, StatusCode::FORBIDDEN, "a viewer: {what}");
    };
    let res = app
        .upload(
            &t.bob,
            vec![("mine.jpg", common::jpeg(40, 30))],
            Some(&t.hawaii),
        )
        .await;
    forbidden("upload", res.status());
    let own = app.photo(&t.bob, "own.jpg", None).await;
    let moved = app
        .patch(&t.bob, &format!("/api/v1/images/{own}"))
        .json(&json!({ "folder_id": t.day1 }));
    forbidden("move one's photo in", status(moved).await);
    let moved = app
        .patch(&t.bob, &format!("/api/v1/images/{}", t.beach))
        .json(&json!({ "folder_id": bobs }));
    forbidden("move a photo out", status(moved).await);
    forbidden(
        "delete a photo",
        status(app.delete(&t.bob, &format!("/api/v1/images/{}", t.beach))).await,
    );
    forbidden(
        "classify again",
        status(app.post(&t.bob, &format!("/api/v1/images/{}/reclassify", t.beach))).await,
    );
    for body in [
        json!({"name": "Mine now"}),
        json!({"parent_id": bobs}),
        json!({"model_id": "default"}),
    ] {
        let res = app
            .patch(&t.bob, &format!("/api/v1/folders/{}", t.day1))
            .json(&body);
        forbidden(&body.to_string(), status(res).await);
    }
    let sub = app
        .post(&t.bob, "/api/v1/folders")
        .json(&json!({ "name": "Inside", "parent_id": t.hawaii }));
    forbidden("make a sub-folder", status(sub).await);
    forbidden(
        "delete the folder",
        status(app.delete(&t.bob, &format!("/api/v1/folders/{}", t.hawaii))).await,
    );
    forbidden(
        "classify the folder again",
        status(app.post(&t.bob, &format!("/api/v1/folders/{}/reclassify", t.hawaii))).await,
    );
    forbidden(
        "see who has access",
        status(app.get(&t.bob, &format!("/api/v1/folders/{}/shares", t.hawaii))).await,
    );
    forbidden(
        "share it on",
        share(app, &t.bob, &t.hawaii, "carol@example.org", "viewer")
            .await
            .status(),
    );
    // A contributor may add, and no more.
    share_ok(app, &t.alice, &t.hawaii, "bob@example.org", "contributor").await;
    forbidden(
        "a contributor renames",
        status(
            app.patch(&t.bob, &format!("/api/v1/folders/{}", t.hawaii))
                .json(&json!({"name": "X"})),
        )
        .await,
    );
    forbidden(
        "a contributor shares",
        share(app, &t.bob, &t.hawaii, "carol@example.org", "contributor")
            .await
            .status(),
    );
    // Nothing changed.
    let folder: Value = fetch(app.get(&t.alice, &format!("/api/v1/folders/{}", t.hawaii))).await;
    assert_eq!(folder["name"], "Hawaii trip");
    let listed: Value =
        fetch(app.get(&t.alice, &format!("/api/v1/images?folder={}", t.hawaii))).await;
    assert_eq!(ids(&listed), vec![t.beach.as_str()]);
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_contributors_photos_stay_theirs_and_the_owner_may_take_them_out() {
    let t = trip(spawn_app().await).await;
    let app = &t.app;
    share_ok(app, &t.alice, &t.hawaii, "bob@example.org", "contributor").await;
    let kept = app.photo(&t.bob, "bobs-view.jpg", Some(&t.hawaii)).await;
    let binned = app.photo(&t.bob, "blurry.jpg", Some(&t.day1)).await;
    let mine = app.photo(&t.bob, "elsewhere.jpg", None).await;
    // Moving one of his own in works too.
    let res = app
        .patch(&t.bob, &format!("/api/v1/images/{mine}"))
        .json(&json!({ "folder_id": t.day1 }));
    assert_eq!(status(res).await, StatusCode::OK);

    // Everyone in the folder sees them; they count towards Bob's quota, not Alice's.
    let listed: Value =
        fetch(app.get(&t.alice, &format!("/api/v1/images?folder={}", t.hawaii))).await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    // Alice, the first account, is the gallery's admin.
    let users: Value = fetch(app.get(&t.alice, "/api/v1/admin/users")).await;
    let images_of = |email: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["images"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(images_of("bob@example.org"), 3);
    assert_eq!(images_of("alice@example.org"), 2);

    // Bob cannot delete or move Alice's photo; he deletes his own to his own Trash.
    assert_eq!(
        status(app.delete(&t.bob, &format!("/api/v1/images/{}", t.beach))).await,
        StatusCode::FORBIDDEN
    );
    let res = app
        .patch(&t.bob, &format!("/api/v1/images/{}", t.beach))
        .json(&json!({ "folder_id": null }));
    assert_eq!(status(res).await, StatusCode::FORBIDDEN);
    app.to_trash(&t.bob, &format!("/api/v1/images/{binned}"))
        .await;
    let trash: Value = fetch(app.get(&t.bob, "/api/v1/trash")).await;
    assert_eq!(ids(&trash["images"]), vec![binned.as_str()]);
    let trash: Value = fetch(app.get(&t.alice, "/api/v1/trash")).await;
    assert_eq!(trash["images"], json!([]));

    // Alice takes Bob's photo out of her folder: back at his root, not lost, not hers.
    app.to_trash(&t.alice, &format!("/api/v1/images/{kept}"))
        .await;
    let root: Value = fetch(app.get(&t.bob, "/api/v1/images")).await;
    assert!(ids(&root).contains(&kept.as_str()), "{root}");
    let trash: Value = fetch(app.get(&t.alice, "/api/v1/trash")).await;
    assert_eq!(trash["images"], json!([]));
    // Alice deletes the folder: what Bob added to it goes back to him.
    app.to_trash(&t.alice, &format!("/api/v1/folders/{}", t.hawaii))
        .await;
    let root: Value = fetch(app.get(&t.bob, "/api/v1/images")).await;
    assert!(ids(&root).contains(&mine.as_str()), "{root}");
    let purge = app
        .post(&t.alice, "/api/v1/trash/purge")
        .json(&json!({ "all": true }));
    assert_eq!(status(purge).await, StatusCode::OK);
    let photo: Value = fetch(app.get(&t.bob, &format!("/api/v1/images/{mine}"))).await;
    assert_eq!(photo["folder_id"], Value::Null);
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_person_loses_the_folder_at_once_on_every_server() {
    let t = trip(spawn_app().await).await;
    share_ok(&t.app, &t.alice, &t.hawaii, "bob@example.org", "viewer").await;
    let first = t.app.base.clone();
    let (alice, bob, hawaii, beach) = (t.alice, t.bob, t.hawaii, t.beach);
    let second = restart(t.app, |_| {}).await;
    let on_first = |path: &str| {
        second
            .client
            .get(format!("{first}{path}"))
            .bearer_auth(&bob)
    };
    let photo = format!("/api/v1/images/{beach}/original");
    assert_eq!(status(on_first(&photo)).await, StatusCode::OK);
    assert_eq!(status(second.get(&bob, &photo)).await, StatusCode::OK);

    let res = second.delete(
        &alice,
        &format!("/api/v1/folders/{hawaii}/shares/bob@example.org"),
    );
    assert_eq!(status(res).await, StatusCode::NO_CONTENT);
    for path in [
        photo.clone(),
        format!("/api/v1/images?folder={hawaii}"),
        format!("/api/v1/folders/{hawaii}"),
    ] {
        assert_eq!(
            status(on_first(&path)).await,
            StatusCode::NOT_FOUND,
            "{path} on the first"
        );
        assert_eq!(
            status(second.get(&bob, &path)).await,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let shared: Value = fetch(second.get(&bob, "/api/v1/shared")).await;
    assert_eq!(shared, json!([]));
    // Removing again: nothing to remove.
    let res = second.delete(
        &alice,
        &format!("/api/v1/folders/{hawaii}/shares/bob@example.org"),
    );
    assert_eq!(status(res).await, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn leaving_moving_and_deleting_end_a_share() {
    let t = trip(spawn_app().await).await;
    let app = &t.app;
    share_ok(app, &t.alice, &t.day1, "bob@example.org", "viewer").await;
    // Only the shared folder and below: not the folder above it, not even its id.
    let day: Value = fetch(app.get(&t.bob, &format!("/api/v1/folders/{}", t.day1))).await;
    assert_eq!(day["parent_id"], Value::Null);
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/folders/{}", t.hawaii))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/images/{}", t.beach))).await,
        StatusCode::NOT_FOUND
    );

    // A sub-folder moved out of a shared folder is no longer shared; moved in, it is.
    let later = app.folder(&t.alice, "Later", Some(&t.day1)).await;
    let night = app.photo(&t.alice, "night.jpg", Some(&later)).await;
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/images/{night}"))).await,
        StatusCode::OK
    );
    let out = app
        .patch(&t.alice, &format!("/api/v1/folders/{later}"))
        .json(&json!({ "parent_id": null }));
    assert_eq!(status(out).await, StatusCode::OK);
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/images/{night}"))).await,
        StatusCode::NOT_FOUND
    );
    let back = app
        .patch(&t.alice, &format!("/api/v1/folders/{later}"))
        .json(&json!({ "parent_id": t.day1 }));
    assert_eq!(status(back).await, StatusCode::OK);
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/images/{night}"))).await,
        StatusCode::OK
    );

    // In the owner's Trash, it is gone for everyone else; restored, it is back.
    app.to_trash(&t.alice, &format!("/api/v1/folders/{}", t.hawaii))
        .await;
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/images/{}", t.sunset))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fetch::<Value>(app.get(&t.bob, "/api/v1/shared")).await,
        json!([])
    );
    let restore = app
        .post(&t.alice, "/api/v1/trash/restore")
        .json(&json!({ "folder_ids": [t.hawaii] }));
    assert_eq!(status(restore).await, StatusCode::OK);
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/images/{}", t.sunset))).await,
        StatusCode::OK
    );

    // Bob leaves it.
    assert_eq!(
        status(app.delete(&t.bob, &format!("/api/v1/shared/{}", t.day1))).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(app.get(&t.bob, &format!("/api/v1/images/{}", t.sunset))).await,
        StatusCode::NOT_FOUND
    );
    let shares: Value =
        fetch(app.get(&t.alice, &format!("/api/v1/folders/{}/shares", t.day1))).await;
    assert_eq!(shares, json!([]));
    assert_eq!(
        status(app.delete(&t.carol, &format!("/api/v1/shared/{}", t.day1))).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_refuses_oneself_bad_roles_and_more_than_five_hundred_people() {
    let t = trip(spawn_app().await).await;
    let app = &t.app;
    let res = share(app, &t.alice, &t.hawaii, " ALICE@example.org ", "viewer").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("yours"));
    for role in ["owner", "admin", ""] {
        let res = share(app, &t.alice, &t.hawaii, "bob@example.org", role).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{role}");
    }
    let res = share(app, &t.alice, &t.hawaii, "not an address", "viewer").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = share(
        app,
        &t.alice,
        &t.hawaii,
        &format!("{}@example.org", "a".repeat(400)),
        "viewer",
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        share(app, &t.alice, "no-such-folder", "bob@example.org", "viewer")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for n in 0..500 {
        let res = share(
            app,
            &t.alice,
            &t.hawaii,
            &format!("friend{n}@example.net"),
            "viewer",
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "share {n}");
    }
    let res = share(app, &t.alice, &t.hawaii, "one-more@example.net", "viewer").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(error_of(res).await.contains("500"));
    // Changing the role of someone already there still works.
    let res = share(
        app,
        &t.alice,
        &t.hawaii,
        "friend7@example.net",
        "contributor",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.rows("folder_shares").await, 500);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_without_an_account_gets_the_folder_once_one_proves_it() {
    let t = trip(spawn_app_with(with_mail).await).await;
    let app = &t.app;
    let dave = address("dave");
    let res = share(app, &t.alice, &t.hawaii, &dave, "contributor").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "pending");
    let letter = wait_letter(&dave, "shared", 1).await;
    assert!(letter.subject.contains("Hawaii trip"), "{}", letter.subject);
    assert!(letter.text.contains("/signup"), "{}", letter.text);

    // Signing up with the address is not enough: it must be proven.
    let token = app.user(&dave).await;
    assert_eq!(
        fetch::<Value>(app.get(&token, "/api/v1/shared")).await,
        json!([])
    );
    assert_eq!(
        status(app.get(&token, &format!("/api/v1/images/{}", t.beach))).await,
        StatusCode::NOT_FOUND
    );
    let link = wait_letter(&dave, "Confirm your email", 1)
        .await
        .token("/verify-email");
    let res = app
        .client
        .post(app.url("/api/v1/auth/email/verify"))
        .json(&json!({ "token": link }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let shared: Value = fetch(app.get(&token, "/api/v1/shared")).await;
    assert_eq!(ids(&shared), vec![t.hawaii.as_str()]);
    assert_eq!(shared[0]["role"], "contributor");
    let shares: Value =
        fetch(app.get(&t.alice, &format!("/api/v1/folders/{}/shares", t.hawaii))).await;
    assert_eq!(shares[0]["state"], "active");

    // Someone with an account is told by letter, with a link to the folder. (An address
    // of this test's own: the tests' mail server keeps every run's letters.)
    let erin = address("erin");
    app.user(&erin).await;
    share_ok(app, &t.alice, &t.day1, &erin, "viewer").await;
    let letter = wait_letter(&erin, "shared", 1).await;
    assert!(
        letter.text.contains(&format!("/gallery/{}", t.day1)),
        "{}",
        letter.text
    );
    // Changing her role sends nothing more.
    share_ok(app, &t.alice, &t.day1, &erin, "contributor").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let shared = common::mail::letters_to(&erin)
        .into_iter()
        .filter(|l| l.subject.contains("shared"))
        .count();
    assert_eq!(shared, 1);
    let _ = (&t.bob, &t.carol);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_leaving_leaves_the_contributors_photos_with_them() {
    // Someone else is the admin (the last admin cannot leave).
    let app = spawn_app().await;
    app.user("root@example.org").await;
    let t = trip(app).await;
    let app = &t.app;
    share_ok(app, &t.alice, &t.hawaii, "bob@example.org", "contributor").await;
    let bobs = app.photo(&t.bob, "bobs.jpg", Some(&t.day1)).await;
    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&t.alice)
        .json(&json!({ "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let photo: Value = fetch(app.get(&t.bob, &format!("/api/v1/images/{bobs}"))).await;
    assert_eq!(photo["folder_id"], Value::Null);
    assert_eq!(
        fetch::<Value>(app.get(&t.bob, "/api/v1/shared")).await,
        json!([])
    );
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_disabled_account_shared_is_out_of_reach() {
    let app = spawn_app().await;
    let root = app.user("root@example.org").await;
    let t = trip(app).await;
    let app = &t.app;
    share_ok(app, &t.alice, &t.hawaii, "bob@example.org", "viewer").await;
    let made: Value = fetch(
        app.post(&t.alice, "/api/v1/links")
            .json(&json!({ "folder_id": t.hawaii })),
    )
    .await;
    let link = made["url"].as_str().unwrap().to_owned();
    let photo = format!("/api/v1/images/{}", t.beach);
    assert_eq!(status(app.get(&t.bob, &photo)).await, StatusCode::OK);
    assert_eq!(
        app.client.get(&link).send().await.unwrap().status(),
        StatusCode::OK
    );

    let me: Value = fetch(app.get(&t.alice, "/api/v1/me")).await;
    let disable = app
        .patch(
            &root,
            &format!("/api/v1/admin/users/{}", me["id"].as_str().unwrap()),
        )
        .json(&json!({ "disabled": true }));
    assert_eq!(status(disable).await, StatusCode::OK);
    assert_eq!(status(app.get(&t.bob, &photo)).await, StatusCode::NOT_FOUND);
    assert_eq!(
        fetch::<Value>(app.get(&t.bob, "/api/v1/shared")).await,
        json!([])
    );
    let found: Value = fetch(app.get(&t.bob, "/api/v1/images?scope=shared")).await;
    assert_eq!(found, json!([]));
    assert_eq!(
        app.client.get(&link).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
