//! Voice commands through the server: the committed intent model interprets, and each
//! intent does what shared/intents.md says in the page's context.
mod common;

use common::SignedInTwice as Page;
use common::fetch;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn page() -> Page {
    Page::ada().await
}

impl Page {
    async fn say(&self, text: &str, context: Value) -> Value {
        let mut body = context;
        body["text"] = json!(text);
        self.say_in_page(body).await
    }

    async fn folder(&self, name: &str, parent: Option<&str>) -> String {
        self.app.folder(&self.token, name, parent).await
    }

    async fn photo(&self, name: &str, folder: Option<&str>) -> String {
        self.app.photo(&self.token, name, folder).await
    }
}

fn navigate(answer: &Value) -> &str {
    assert_eq!(answer["action"]["kind"], "navigate", "{answer}");
    answer["action"]["url"].as_str().unwrap()
}

fn page_op(answer: &Value) -> (&str, Option<i64>) {
    assert_eq!(answer["action"]["kind"], "page", "{answer}");
    (
        answer["action"]["op"].as_str().unwrap(),
        answer["action"]["index"].as_i64(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_interprets_free_phrasing() {
    let p = page().await;
    let cases = [
        (
            "could you show me the ones with dogs",
            "search",
            json!({"query": "dogs"}),
        ),
        (
            "um open the third picture please",
            "open_image",
            json!({"ordinal": 3}),
        ),
        (
            "put these in the vacation folder",
            "move_images",
            json!({"folder": "vacation"}),
        ),
        (
            "newest first",
            "sort",
            json!({"sort_key": "date", "order": "desc"}),
        ),
        ("what's the weather like", "none", json!({})),
    ];
    for (text, intent, slots) in cases {
        let res = p
            .app
            .post(&p.token, "/api/v1/voice/interpret")
            .json(&json!({ "text": text }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["intent"], intent, "{text}: {answer}");
        assert_eq!(answer["slots"], slots, "{text}: {answer}");
        assert!(answer["confidence"].as_f64().unwrap() > 0.0);
        assert!(!answer["say"].as_str().unwrap().is_empty());
    }
    for bad in [
        json!({"text": ""}),
        json!({"text": "x".repeat(10_000)}),
        json!({}),
    ] {
        let res = p
            .app
            .post(&p.token, "/api/v1/voice/interpret")
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn search_show_all_and_sort_change_the_view() {
    let p = page().await;
    let trips = p.folder("Trips", None).await;
    let answer = p.say("show me pictures of dogs", json!({})).await;
    assert_eq!(navigate(&answer), "/gallery?q=dogs");
    let answer = p
        .say("find photos of the beach", json!({"folder_id": trips}))
        .await;
    assert_eq!(navigate(&answer), format!("/gallery/{trips}?q=beach"));
    let answer = p
        .say(
            "clear the search",
            json!({"folder_id": trips, "query": "beach"}),
        )
        .await;
    assert_eq!(navigate(&answer), format!("/gallery/{trips}"));
    let answer = p.say("sort them alphabetically", json!({})).await;
    assert_eq!(navigate(&answer), "/gallery?sort=name&order=asc");
    let answer = p.say("show the oldest first", json!({})).await;
    assert_eq!(navigate(&answer), "/gallery?sort=date&order=asc");
}

/// Sets when a photo was taken (epoch ms).
async fn taken(p: &Page, id: &str, ms: i64) {
    sqlx::query("UPDATE images SET taken_at = $1 WHERE id = $2")
        .bind(ms)
        .bind(id)
        .execute(&p.app.state.db)
        .await
        .unwrap();
}

/// The photos (file names) a page's address lists, through the API's same search.
async fn listed(p: &Page, url: &str) -> Vec<String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let found: Vec<Value> = fetch(p.app.get(&p.token, &format!("/api/v1/images?{query}"))).await;
    let mut names: Vec<String> = found
        .iter()
        .map(|i| i["filename"].as_str().unwrap().to_owned())
        .collect();
    names.sort_unstable();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_said_with_a_time_shows_the_photos_taken_then() {
    let p = page().await;
    let today = time::OffsetDateTime::now_utc().date();
    let span = |said: &str| gallery::when::extract(said, today).1.unwrap();
    let (summer, july) = (span("last summer"), span("in july"));
    let day = 86_400_000;
    // A dog of last summer's first days, one of a year before, and a cat of the latest July.
    let dog = p.photo("dog-a.jpg", None).await;
    taken(&p, &dog, summer.start.unwrap() + day).await;
    let older = p.photo("dog-b.jpg", None).await;
    taken(&p, &older, summer.start.unwrap() + day - 365 * day).await;
    let cat = p.photo("cat-c.jpg", None).await;
    taken(&p, &cat, july.start.unwrap() + day).await;

    let answer = p.say("show me the dogs from last summer", json!({})).await;
    assert_eq!(answer["intent"], "search", "{answer}");
    assert_eq!(
        answer["slots"],
        json!({"query": "dogs", "when": "last summer"}),
        "the time is not part of the query"
    );
    assert_eq!(answer["say"], "Searching for dogs, taken last summer.");
    let url = navigate(&answer);
    assert_eq!(url, "/gallery?q=dogs+last+summer");
    assert_eq!(listed(&p, url).await, ["dog-a.jpg"]);
    let html = common::text(p.browser.get(p.app.url(url))).await;
    assert!(
        html.contains(&format!("· taken {} ·", summer.said)),
        "the page says how it read the time: {html}"
    );

    // A time alone is every photo taken then; "show me everything" is still all of them.
    let answer = p.say("what did i take in july", json!({})).await;
    assert_eq!(answer["intent"], "search", "{answer}");
    assert_eq!(answer["slots"], json!({"when": "in july"}));
    assert_eq!(answer["say"], "Showing the photos taken in july.");
    let url = navigate(&answer);
    assert_eq!(url, "/gallery?q=in+july");
    assert_eq!(listed(&p, url).await, ["cat-c.jpg"]);
    let answer = p
        .say("show me everything", json!({"query": "in july"}))
        .await;
    assert_eq!(answer["intent"], "show_all", "{answer}");
    assert_eq!(navigate(&answer), "/gallery");
}

#[tokio::test(flavor = "multi_thread")]
async fn folders_are_opened_created_renamed_and_left_by_voice() {
    let p = page().await;
    let vacation = p.folder("Vacation", None).await;
    let rome = p.folder("Rome 2024", Some(&vacation)).await;
    let answer = p.say("open the vacation folder", json!({})).await;
    assert_eq!(navigate(&answer), format!("/gallery/{vacation}"));
    let answer = p.say("go to rome", json!({})).await;
    assert_eq!(
        navigate(&answer),
        format!("/gallery/{rome}"),
        "closest match among the folders"
    );
    let answer = p.say("open the folder called atlantis", json!({})).await;
    assert_eq!(answer["action"]["kind"], "none");
    assert!(answer["say"].as_str().unwrap().contains("could not find"));
    let answer = p.say("go back", json!({"folder_id": rome})).await;
    assert_eq!(navigate(&answer), format!("/gallery/{vacation}"));
    let answer = p.say("take me home", json!({"folder_id": rome})).await;
    assert_eq!(navigate(&answer), "/gallery");

    let answer = p
        .say(
            "create a folder called beach days",
            json!({"folder_id": vacation}),
        )
        .await;
    assert_eq!(navigate(&answer), format!("/gallery/{vacation}"));
    let inside: Vec<Value> = fetch(
        p.app
            .get(&p.token, &format!("/api/v1/folders?parent={vacation}")),
    )
    .await;
    let names: Vec<&str> = inside.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["beach days", "Rome 2024"]);

    let answer = p
        .say("rename this folder to italy", json!({"folder_id": rome}))
        .await;
    assert!(
        answer["say"].as_str().unwrap().contains("italy"),
        "{answer}"
    );
    let folder: Value = fetch(p.app.get(&p.token, &format!("/api/v1/folders/{rome}"))).await;
    assert_eq!(folder["name"], "italy");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_asks_first_and_yes_deletes_while_no_keeps() {
    let p = page().await;
    let junk = p.folder("Junk", None).await;
    let answer = p
        .say("delete this folder", json!({"folder_id": junk}))
        .await;
    assert_eq!(answer["action"]["kind"], "confirm");
    assert!(
        answer["action"]["question"]
            .as_str()
            .unwrap()
            .contains("Junk")
    );
    assert_eq!(
        p.app.rows("folders").await,
        1,
        "nothing deleted before the answer"
    );
    let answer = p.say("no", json!({"folder_id": junk})).await;
    assert_eq!(answer["intent"], "cancel");
    assert_eq!(p.app.rows("folders").await, 1);
    let answer = p.say("yes", json!({"folder_id": junk})).await;
    assert!(
        answer["say"]
            .as_str()
            .unwrap()
            .contains("nothing to confirm"),
        "the no ended the question"
    );

    p.say("delete the junk folder", json!({})).await;
    let answer = p.say("yes do it", json!({})).await;
    assert_eq!(answer["intent"], "confirm");
    assert_eq!(navigate(&answer), "/gallery");
    assert_eq!(p.app.rows("folders").await, 0);

    let a = p.photo("a.jpg", None).await;
    let b = p.photo("b.jpg", None).await;
    let answer = p.say("delete this photo", json!({"open_image": a})).await;
    assert_eq!(answer["action"]["kind"], "confirm");
    // The click on "Yes" answers as well as the voice does.
    let res = p
        .browser
        .post(p.app.url("/voice"))
        .header("X-CSRF-Token", &p.csrf)
        .json(&json!({"answer": "confirm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let left: Vec<Value> = fetch(p.app.get(&p.token, "/api/v1/images")).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["id"], b.as_str());
    p.app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filler_answers_nothing_and_another_command_withdraws_the_question() {
    let p = page().await;
    let a = p.photo("a.jpg", None).await;
    p.photo("b.jpg", None).await;
    let answer = p.say("delete this photo", json!({"open_image": a})).await;
    assert_eq!(answer["action"]["kind"], "confirm");
    // A filler or a noise alone is no answer: nothing deleted, and the question still waits.
    for filler in ["um", "Uh...", "hmm", "okay so", "mm-hmm", "could you"] {
        let answer = p.say(filler, json!({"open_image": a})).await;
        assert_eq!(answer["intent"], "none", "{filler}: {answer}");
        assert_eq!(answer["action"]["kind"], "confirm", "{filler}: {answer}");
        assert_eq!(
            answer["action"]["question"],
            "Delete 1 photo? Say yes or no."
        );
        assert!(
            answer["say"]
                .as_str()
                .unwrap()
                .contains("not a yes or a no"),
            "{answer}"
        );
        assert_eq!(p.app.rows("images").await, 2, "{filler} deleted nothing");
    }

    // Another command instead of the answer: the question is gone, and a "yes" after it
    // settles nothing.
    let answer = p.say("open the second one", json!({})).await;
    assert_eq!(page_op(&answer), ("open", Some(2)));
    let answer = p.say("yes", json!({"open_image": a})).await;
    assert_eq!(answer["intent"], "confirm");
    assert!(
        answer["say"]
            .as_str()
            .unwrap()
            .contains("nothing to confirm"),
        "{answer}"
    );
    assert_eq!(p.app.rows("images").await, 2);

    // Something outside the gallery does not withdraw it either: the "yes" after it deletes.
    p.say("delete this photo", json!({"open_image": a})).await;
    let answer = p
        .say("what's the weather like", json!({"open_image": a}))
        .await;
    assert_eq!(answer["intent"], "none");
    assert_eq!(answer["action"]["kind"], "confirm", "{answer}");
    let answer = p.say("yes", json!({"open_image": a})).await;
    assert_eq!(navigate(&answer), "/gallery");
    assert_eq!(p.app.rows("images").await, 1);
    p.app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn selected_photos_move_to_the_named_folder() {
    let p = page().await;
    let vacation = p.folder("Vacation", None).await;
    let a = p.photo("a.jpg", None).await;
    let b = p.photo("b.jpg", None).await;
    p.photo("c.jpg", None).await;
    let answer = p
        .say(
            "put these in the vacation folder",
            json!({"selected": [a, b]}),
        )
        .await;
    assert!(
        answer["say"].as_str().unwrap().contains("Moved 2 photos"),
        "{answer}"
    );
    let moved: Vec<Value> = fetch(
        p.app
            .get(&p.token, &format!("/api/v1/images?folder={vacation}")),
    )
    .await;
    assert_eq!(moved.len(), 2);
    let answer = p.say("move them to vacation", json!({})).await;
    assert!(
        answer["say"]
            .as_str()
            .unwrap()
            .contains("Select the photos"),
        "nothing selected, nothing moved"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn viewer_selection_and_microphone_commands_go_to_the_page() {
    let p = page().await;
    let cases = [
        ("open the second one", "open", Some(2)),
        ("open the last one", "open", Some(-1)),
        ("next photo", "next", None),
        ("go to the previous picture", "previous", None),
        ("close the viewer", "close", None),
        ("zoom in", "zoom_in", None),
        ("zoom out a bit", "zoom_out", None),
        ("start the slideshow", "play", None),
        ("stop the slideshow", "pause", None),
        ("select everything", "select_all", None),
        ("deselect all", "select_none", None),
        ("select number four", "select", Some(4)),
        ("upload some photos", "choose_files", None),
        ("what can i say", "show_help", None),
        ("sign me out", "sign_out", None),
        ("stop listening", "stop_listening", None),
    ];
    for (text, op, index) in cases {
        let answer = p.say(text, json!({})).await;
        assert_eq!(page_op(&answer), (op, index), "{text}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_says_what_the_tags_are_and_other_requests_do_nothing() {
    let p = page().await;
    let id = p.photo("a.jpg", None).await;
    sqlx::query("INSERT INTO image_labels (image_id, rank, label, class_index, score) VALUES ($1, 0, 'espresso', 967, 0.95)")
        .bind(&id)
        .execute(&p.app.state.db)
        .await
        .unwrap();
    sqlx::query("UPDATE images SET status = 'done'")
        .execute(&p.app.state.db)
        .await
        .unwrap();
    let answer = p
        .say("what's in this picture", json!({"open_image": id}))
        .await;
    assert_eq!(answer["intent"], "describe_image");
    assert!(
        answer["say"].as_str().unwrap().contains("espresso (95%)"),
        "{answer}"
    );
    for text in [
        "what's the weather like",
        "order a pizza",
        "play some music",
    ] {
        let answer = p.say(text, json!({})).await;
        assert_eq!(answer["intent"], "none", "{text}");
        assert_eq!(answer["action"]["kind"], "none");
        assert!(answer["say"].as_str().unwrap().contains("help"));
    }
    assert_eq!(p.app.rows("images").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_things_cannot_be_reached_by_voice() {
    let p = page().await;
    let other = p.app.user("eve@example.org").await;
    let theirs = p.app.folder(&other, "Secret", None).await;
    let photo = p.app.photo(&other, "x.jpg", None).await;
    let answer = p.say("open the secret folder", json!({})).await;
    assert_eq!(answer["action"]["kind"], "none", "{answer}");
    let res = p
        .browser
        .post(p.app.url("/voice"))
        .header("X-CSRF-Token", &p.csrf)
        .json(&json!({"text": "delete this photo", "open_image": photo}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = p
        .browser
        .post(p.app.url("/voice"))
        .header("X-CSRF-Token", &p.csrf)
        .json(&json!({"text": "create a folder called x", "folder_id": theirs}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = p
        .browser
        .post(p.app.url("/voice"))
        .json(&json!({"text": "go home"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "CSRF applies to voice too"
    );
}
