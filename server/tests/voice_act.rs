//! Voice commands carried out through the JSON API (`POST /api/v1/voice/act`): the same
//! executor as the page's, so a search shows what the page would show, a deletion asks
//! first and happens only on a clear answer from the same token, and another user's
//! photos and folders are out of reach.
mod common;

use common::SignedInTwice as Ada;
use common::{TestApp, fetch};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Ada, signed in twice: in a browser (the page) and with a bearer token (the API).
async fn ada() -> Ada {
    Ada::ada().await
}

/// Says `text` through the API with `token`, where `context` says: the answer, which must
/// be a 200.
async fn act_as(app: &TestApp, token: &str, text: &str, context: Value) -> Value {
    let mut body = context;
    body["text"] = json!(text);
    let res = app
        .post(token, "/api/v1/voice/act")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{text}");
    res.json().await.unwrap()
}

impl Ada {
    async fn act(&self, text: &str, context: Value) -> Value {
        act_as(&self.app, &self.token, text, context).await
    }

    /// A click on the API's "Yes" or "No": `answer` instead of words.
    async fn answer(&self, answer: &str) -> Value {
        fetch(
            self.app
                .post(&self.token, "/api/v1/voice/act")
                .json(&json!({ "answer": answer })),
        )
        .await
    }

    /// The file names of the photos an API path lists.
    async fn listed(&self, path: &str) -> Vec<String> {
        names(&self.app, &self.token, path).await
    }
}

async fn names(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let found: Vec<Value> = fetch(app.get(token, path)).await;
    let mut names: Vec<String> = found
        .iter()
        .map(|i| i["filename"].as_str().unwrap().to_owned())
        .collect();
    names.sort_unstable();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_shows_what_the_page_would_show() {
    let a = ada().await;
    a.app.photo(&a.token, "dog-a.jpg", None).await;
    a.app.photo(&a.token, "cat-b.jpg", None).await;
    let trips = a.app.folder(&a.token, "Trips", None).await;
    a.app.photo(&a.token, "dog-c.jpg", Some(&trips)).await;

    let answer = a.act("show me photos of dogs", json!({})).await;
    assert_eq!(answer["intent"], "search", "{answer}");
    assert_eq!(answer["say"], "Searching for dogs.");
    assert_eq!(answer["needs_confirmation"], false);
    assert_eq!(answer["done"], Value::Null, "a search changes nothing");
    let page = a
        .say_in_page(json!({"text": "show me photos of dogs"}))
        .await;
    assert_eq!(
        answer["action"], page["action"],
        "the API and the page go to the same view"
    );
    assert_eq!(answer["action"]["url"], "/gallery?q=dogs");
    assert_eq!(answer["view"]["q"], "dogs");
    let listing = answer["images_url"].as_str().unwrap();
    assert_eq!(listing, "/api/v1/images?q=dogs");
    assert_eq!(a.listed(listing).await, ["dog-a.jpg", "dog-c.jpg"]);

    // In a folder, the search covers that folder, as the page's does.
    let answer = a.act("find the dogs", json!({ "folder_id": trips })).await;
    assert_eq!(answer["action"]["url"], format!("/gallery/{trips}?q=dogs"));
    let listing = answer["images_url"].as_str().unwrap();
    assert_eq!(a.listed(listing).await, ["dog-c.jpg"]);

    // What the page does itself comes back as the page gets it.
    let answer = a.act("open the second one", json!({})).await;
    assert_eq!(
        answer["action"],
        json!({"kind": "page", "op": "open", "index": 2})
    );
    assert_eq!(answer["images_url"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_is_made_or_moved_is_answered() {
    let a = ada().await;
    let answer = a.act("create a folder called vacation", json!({})).await;
    assert_eq!(answer["intent"], "create_folder", "{answer}");
    assert_eq!(answer["done"]["kind"], "created_folder", "{answer}");
    let vacation = answer["done"]["folder_id"].as_str().unwrap().to_owned();
    let folder: Value = fetch(a.app.get(&a.token, &format!("/api/v1/folders/{vacation}"))).await;
    assert_eq!(folder["name"], "vacation");

    let one = a.app.photo(&a.token, "one.jpg", None).await;
    let two = a.app.photo(&a.token, "two.jpg", None).await;
    a.app.photo(&a.token, "three.jpg", None).await;
    let answer = a
        .act(
            "put these in the vacation folder",
            json!({ "selected": [one, two] }),
        )
        .await;
    assert_eq!(answer["say"], "Moved 2 photos to vacation.");
    assert_eq!(
        answer["done"],
        json!({"kind": "moved_images", "image_ids": [one, two], "folder_id": vacation})
    );
    assert_eq!(
        a.listed(&format!("/api/v1/images?folder={vacation}")).await,
        ["one.jpg", "two.jpg"]
    );
    assert_eq!(a.listed("/api/v1/images").await, ["three.jpg"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deletion_asks_first_and_only_a_clear_yes_deletes() {
    let a = ada().await;
    let one = a.app.photo(&a.token, "one.jpg", None).await;
    let two = a.app.photo(&a.token, "two.jpg", None).await;
    let three = a.app.photo(&a.token, "three.jpg", None).await;

    let answer = a
        .act("delete this photo", json!({ "open_image": one }))
        .await;
    assert_eq!(answer["intent"], "delete_images", "{answer}");
    assert_eq!(answer["needs_confirmation"], true);
    assert_eq!(answer["say"], "Delete 1 photo? Say yes or no.");
    assert_eq!(answer["action"]["kind"], "confirm");
    assert_eq!(
        answer["pending"],
        json!({"kind": "delete_images", "ids": [one]})
    );
    assert_eq!(answer["done"], Value::Null);
    assert_eq!(
        a.listed("/api/v1/images").await,
        ["one.jpg", "three.jpg", "two.jpg"],
        "nothing deleted before the answer"
    );

    // A filler is no answer: the question is asked again, nothing deleted.
    let answer = a.act("um", json!({ "open_image": one })).await;
    assert_eq!(answer["intent"], "none");
    assert_eq!(answer["needs_confirmation"], true, "{answer}");
    assert_eq!(a.listed("/api/v1/images").await.len(), 3);

    // The "yes" of another session (the same user's page) answers nothing of the API's.
    let page = a.say_in_page(json!({"answer": "confirm"})).await;
    assert!(
        page["say"].as_str().unwrap().contains("nothing to confirm"),
        "{page}"
    );
    assert_eq!(a.listed("/api/v1/images").await.len(), 3);

    // The click's answer deletes what was asked about, and only that.
    let answer = a.answer("confirm").await;
    assert_eq!(answer["intent"], "confirm");
    assert_eq!(answer["needs_confirmation"], false);
    assert_eq!(answer["say"], "Moved 1 photo to the Trash.");
    assert_eq!(
        answer["done"],
        json!({"kind": "deleted_images", "image_ids": [one]})
    );
    assert_eq!(answer["action"]["url"], "/gallery");
    assert_eq!(a.listed("/api/v1/images").await, ["three.jpg", "two.jpg"]);

    // "No" keeps them, and a "yes" after it settles nothing.
    let answer = a
        .act("delete the photos", json!({ "selected": [two, three] }))
        .await;
    assert_eq!(answer["needs_confirmation"], true, "{answer}");
    assert_eq!(answer["say"], "Delete 2 photos? Say yes or no.");
    let answer = a.act("no", json!({})).await;
    assert_eq!(answer["intent"], "cancel");
    assert_eq!(answer["say"], "Cancelled; nothing was deleted.");
    let answer = a.act("yes", json!({})).await;
    assert_eq!(answer["intent"], "confirm");
    assert!(
        answer["say"]
            .as_str()
            .unwrap()
            .contains("nothing to confirm"),
        "{answer}"
    );
    assert_eq!(answer["done"], Value::Null);
    assert_eq!(a.listed("/api/v1/images").await, ["three.jpg", "two.jpg"]);

    // Asked again, a spoken "yes" deletes both.
    a.act("delete the photos", json!({ "selected": [two, three] }))
        .await;
    let answer = a.act("yes do it", json!({})).await;
    assert_eq!(answer["say"], "Moved 2 photos to the Trash.", "{answer}");
    assert_eq!(a.listed("/api/v1/images").await, Vec::<String>::new());

    // A folder too, with what is in it, on to its parent when it was the one shown.
    let junk = a.app.folder(&a.token, "Junk", None).await;
    a.app.photo(&a.token, "old.jpg", Some(&junk)).await;
    let answer = a
        .act("delete this folder", json!({ "folder_id": junk }))
        .await;
    assert_eq!(answer["needs_confirmation"], true);
    assert_eq!(
        answer["pending"],
        json!({"kind": "delete_folder", "id": junk, "name": "Junk"})
    );
    let folders: Vec<Value> = fetch(a.app.get(&a.token, "/api/v1/folders")).await;
    assert_eq!(folders.len(), 1, "nothing deleted before the answer");
    let answer = a.answer("confirm").await;
    assert_eq!(answer["done"]["kind"], "deleted_folder", "{answer}");
    assert_eq!(answer["action"]["url"], "/gallery");
    let folders: Vec<Value> = fetch(a.app.get(&a.token, "/api/v1/folders")).await;
    assert!(folders.is_empty());
}

/// "Undo that" takes back the last deletion or move, once; "show the trash" opens the Trash.
#[tokio::test(flavor = "multi_thread")]
async fn undo_puts_back_the_last_deletion_or_move_and_the_trash_is_shown() {
    let a = ada().await;
    let answer = a.act("undo that", json!({})).await;
    assert_eq!(answer["intent"], "undo", "{answer}");
    assert_eq!(answer["say"], "There is nothing to undo.");
    assert_eq!(answer["done"], Value::Null);

    let one = a.app.photo(&a.token, "one.jpg", None).await;
    let two = a.app.photo(&a.token, "two.jpg", None).await;
    a.act("delete these photos", json!({ "selected": [one, two] }))
        .await;
    let answer = a.act("yes", json!({})).await;
    assert_eq!(answer["say"], "Moved 2 photos to the Trash.", "{answer}");
    assert!(a.listed("/api/v1/images").await.is_empty());

    let answer = a.act("show me the trash", json!({})).await;
    assert_eq!(answer["intent"], "show_trash", "{answer}");
    assert_eq!(
        answer["action"],
        json!({"kind": "navigate", "url": "/trash"})
    );

    let answer = a.act("put them back", json!({})).await;
    assert_eq!(answer["intent"], "undo", "{answer}");
    assert_eq!(answer["say"], "Undone: moved 2 photos to Trash.");
    assert_eq!(answer["done"]["kind"], "undone", "{answer}");
    assert_eq!(a.listed("/api/v1/images").await, ["one.jpg", "two.jpg"]);
    let trash: Value = fetch(a.app.get(&a.token, "/api/v1/trash")).await;
    assert!(trash["images"].as_array().unwrap().is_empty(), "{trash}");

    // A move, then undo: back where they were; a second undo has nothing left.
    let trips = a.app.folder(&a.token, "Trips", None).await;
    let answer = a
        .act("move this to trips", json!({ "selected": [one] }))
        .await;
    assert_eq!(answer["done"]["kind"], "moved_images", "{answer}");
    assert_eq!(a.listed("/api/v1/images").await, ["two.jpg"]);
    let answer = a.act("undo", json!({})).await;
    assert_eq!(answer["say"], "Undone: moved 1 photo to Trips.", "{answer}");
    assert_eq!(a.listed("/api/v1/images").await, ["one.jpg", "two.jpg"]);
    assert!(
        a.listed(&format!("/api/v1/images?folder={trips}"))
            .await
            .is_empty()
    );
    let answer = a.act("undo that", json!({})).await;
    assert_eq!(answer["say"], "There is nothing to undo.");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_photos_and_folders_are_out_of_reach() {
    let a = ada().await;
    let eve = a.app.user("eve@example.org").await;
    let secret = a.app.folder(&eve, "Secret", None).await;
    let hers = a.app.photo(&eve, "hers.jpg", Some(&secret)).await;
    let mine = a.app.photo(&a.token, "mine.jpg", None).await;

    for body in [
        json!({"text": "delete this photo", "open_image": hers}),
        json!({"text": "delete the photos", "selected": [mine, hers]}),
        json!({"text": "what is this", "open_image": hers}),
        json!({"text": "create a folder called x", "folder_id": secret}),
    ] {
        let res = a
            .app
            .post(&a.token, "/api/v1/voice/act")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{body}");
        assert!(!common::error_of(res).await.is_empty());
    }
    // Nothing waits for a "yes" after those.
    let answer = a.answer("confirm").await;
    assert!(
        answer["say"]
            .as_str()
            .unwrap()
            .contains("nothing to confirm"),
        "{answer}"
    );
    // Her folder is not found by its name either.
    let answer = a.act("delete the secret folder", json!({})).await;
    assert_eq!(answer["needs_confirmation"], false, "{answer}");
    let answer = a.act("open the secret folder", json!({})).await;
    assert_eq!(answer["action"]["kind"], "none", "{answer}");

    // Ada's question is Ada's: Eve's "yes" deletes nothing of hers.
    let answer = a
        .act("delete this photo", json!({ "open_image": mine }))
        .await;
    assert_eq!(answer["needs_confirmation"], true);
    let theirs = act_as(&a.app, &eve, "yes", json!({})).await;
    assert!(
        theirs["say"]
            .as_str()
            .unwrap()
            .contains("nothing to confirm"),
        "{theirs}"
    );
    assert_eq!(a.listed("/api/v1/images").await, ["mine.jpg"]);
    assert_eq!(
        names(&a.app, &eve, &format!("/api/v1/images?folder={secret}")).await,
        ["hers.jpg"],
        "her photo is untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_refused_in_the_apis_words() {
    let a = ada().await;
    let res = a
        .app
        .client
        .post(a.app.url("/api/v1/voice/act"))
        .json(&json!({"text": "go home"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a token is needed");
    assert!(!common::error_of(res).await.is_empty());
    // The page's cookie alone is not enough either.
    let res = a
        .browser
        .post(a.app.url("/api/v1/voice/act"))
        .header("X-CSRF-Token", &a.csrf)
        .json(&json!({"text": "go home"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    for bad in [
        json!({}),
        json!({"text": ""}),
        json!({"text": "x".repeat(10_000)}),
        json!({"answer": "maybe"}),
        json!({"text": "go home", "selected": "not a list"}),
    ] {
        let res = a
            .app
            .post(&a.token, "/api/v1/voice/act")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(!common::error_of(res).await.is_empty(), "{bad}");
    }
    let res = a
        .app
        .post(&a.token, "/api/v1/voice/act")
        .body("go home")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // The served OpenAPI document describes the endpoint.
    let doc: Value = fetch(a.app.client.get(a.app.url("/api/v1/openapi.json"))).await;
    let act = &doc["paths"]["/voice/act"]["post"];
    assert!(act.is_object(), "documented: {}", doc["paths"]);
    assert!(
        doc["components"]["schemas"]["Acted"]["properties"]["needs_confirmation"].is_object(),
        "{}",
        doc["components"]["schemas"]["Acted"]
    );
}
