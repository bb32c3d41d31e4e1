//! Finding photos by what is in them: WordNet meanings of the stored ImageNet labels, file
//! and folder names, ranking, sorting, scope, and queries that are not searches at all.
//!
//! Most photos here get their labels written as the classifier would store them, so that a
//! test can lay out many kinds of things; one test runs the real classifier end to end.
mod common;

use common::{
    TestApp, browser, fetch, settled, sign_up_in_browser, spawn_app, spawn_app_with, testdata, text,
};
use reqwest::StatusCode;
use serde_json::Value;

/// The class names of the shipped model, by index.
fn class_name(index: i64) -> String {
    let labels: Value = serde_json::from_str(include_str!(
        "../../classifier-lambda/models/efficientnet-lite0/labels.json"
    ))
    .unwrap();
    labels[index as usize]["name"].as_str().unwrap().to_owned()
}

const GOLDEN_RETRIEVER: i64 = 207;
const BEAGLE: i64 = 162;
const TABBY: i64 = 281;
const PERSIAN: i64 = 283;
const SPORTS_CAR: i64 = 817;
const SPEEDBOAT: i64 = 814;
const ROBIN: i64 = 15;
const HOT_DOG: i64 = 934;
const ESPRESSO: i64 = 967;

/// Uploads a photo and stores `labels` (class, confidence) as its classification.
async fn photo(
    app: &TestApp,
    token: &str,
    name: &str,
    folder: Option<&str>,
    labels: &[(i64, f64)],
) -> String {
    let id = app.photo(token, name, folder).await;
    for (rank, (class, score)) in labels.iter().enumerate() {
        sqlx::query(
            "INSERT INTO image_labels (image_id, rank, label, class_index, score) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(rank as i64)
        .bind(class_name(*class))
        .bind(class)
        .bind(score)
        .execute(&app.state.db)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE images SET status = 'done' WHERE id = $1")
        .bind(&id)
        .execute(&app.state.db)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET state = 'done' WHERE image_id = $1")
        .bind(&id)
        .execute(&app.state.db)
        .await
        .unwrap();
    id
}

/// An API token of an account made in the browser.
async fn api_token(app: &TestApp, email: &str) -> String {
    let body: Value = app
        .login(email, "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn search(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let url = format!("/api/v1/images?q={}", urlencode(query));
    fetch(app.get(token, &url)).await
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).unwrap()[1..].to_owned()
}

fn names(images: &[Value]) -> Vec<&str> {
    images
        .iter()
        .map(|i| i["filename"].as_str().unwrap())
        .collect()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

/// A gallery of many kinds of things, one photo each (file names say what they show).
async fn zoo(app: &TestApp, token: &str) {
    for (name, class, score) in [
        ("golden.jpg", GOLDEN_RETRIEVER, 0.91),
        ("beagle.jpg", BEAGLE, 0.84),
        ("tabby.jpg", TABBY, 0.77),
        ("persian.jpg", PERSIAN, 0.66),
        ("roadster.jpg", SPORTS_CAR, 0.88),
        ("boat.jpg", SPEEDBOAT, 0.81),
        ("robin.jpg", ROBIN, 0.95),
        ("lunch.jpg", HOT_DOG, 0.93),
        ("coffee.jpg", ESPRESSO, 0.97),
    ] {
        photo(app, token, name, None, &[(class, score), (ESPRESSO, 0.01)]).await;
    }
}

#[tokio::test]
async fn a_general_word_finds_every_kind_below_it_in_wordnet() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    zoo(&app, &t).await;
    let cases: &[(&str, &[&str])] = &[
        ("dog", &["beagle.jpg", "golden.jpg"]),
        ("Dogs", &["beagle.jpg", "golden.jpg"]),
        ("cat", &["persian.jpg", "tabby.jpg"]),
        ("vehicle", &["boat.jpg", "roadster.jpg"]),
        ("bird", &["robin.jpg"]),
        ("BIRDS", &["robin.jpg"]),
        ("golden retriever", &["golden.jpg"]),
        ("retrievers", &["golden.jpg"]),
        ("hound", &["beagle.jpg"]),
        ("car", &["roadster.jpg"]),
        ("boats", &["boat.jpg"]),
        ("hotdog", &["lunch.jpg"]),
        ("hot dog", &["lunch.jpg"]),
        // Every photo here has a 1% espresso guess: too weak for a general word…
        ("food", &["coffee.jpg", "lunch.jpg"]),
        // …but naming the label itself finds it at any confidence.
        (
            "espresso",
            &[
                "beagle.jpg",
                "boat.jpg",
                "coffee.jpg",
                "golden.jpg",
                "lunch.jpg",
                "persian.jpg",
                "roadster.jpg",
                "robin.jpg",
                "tabby.jpg",
            ],
        ),
        (
            "animal",
            &[
                "beagle.jpg",
                "golden.jpg",
                "persian.jpg",
                "robin.jpg",
                "tabby.jpg",
            ],
        ),
    ];
    for (query, expected) in cases {
        let found = search(&app, &t, query).await;
        assert_eq!(
            sorted(names(&found)),
            expected.to_vec(),
            "searching {query:?}"
        );
    }
    // Each result says which label matched.
    let dogs = search(&app, &t, "dog").await;
    let golden = dogs.iter().find(|i| i["filename"] == "golden.jpg").unwrap();
    assert_eq!(golden["matched"]["label"], class_name(GOLDEN_RETRIEVER));
    assert_eq!(golden["matched"]["score"], 0.91);
    // A plain listing has no "matched".
    let all: Vec<Value> = fetch(app.get(&t, "/api/v1/images")).await;
    assert!(all.iter().all(|i| i.get("matched").is_none()));
}

#[tokio::test]
async fn best_matches_come_first_then_the_newest() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    photo(&app, &t, "unsure.jpg", None, &[(TABBY, 0.6), (BEAGLE, 0.3)]).await;
    photo(&app, &t, "sure.jpg", None, &[(GOLDEN_RETRIEVER, 0.95)]).await;
    photo(&app, &t, "older-middle.jpg", None, &[(BEAGLE, 0.7)]).await;
    photo(&app, &t, "newer-middle.jpg", None, &[(BEAGLE, 0.7)]).await;
    let found = search(&app, &t, "dog").await;
    assert_eq!(
        names(&found),
        [
            "sure.jpg",
            "newer-middle.jpg",
            "older-middle.jpg",
            "unsure.jpg"
        ]
    );
    // The label that matched, not the photo's best label, decides and is shown.
    assert_eq!(found[3]["matched"]["label"], class_name(BEAGLE));
    assert_eq!(found[3]["labels"][0]["label"], class_name(TABBY));
    // The same order can be asked for the other way round.
    let reversed: Vec<Value> =
        fetch(app.get(&t, "/api/v1/images?q=dog&sort=relevance&order=asc")).await;
    assert_eq!(names(&reversed)[0], "unsure.jpg");
}

#[tokio::test]
async fn several_words_narrow_the_result_and_names_match_too() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let beach = app.folder(&t, "Beach 2024", None).await;
    let trip = app.folder(&t, "Vacation", None).await;
    let day = app.folder(&t, "Day 1", Some(&trip)).await;
    photo(
        &app,
        &t,
        "waves.jpg",
        Some(&beach),
        &[(GOLDEN_RETRIEVER, 0.9)],
    )
    .await;
    photo(&app, &t, "sand.jpg", Some(&beach), &[(TABBY, 0.9)]).await;
    photo(&app, &t, "park.jpg", None, &[(BEAGLE, 0.9)]).await;
    photo(&app, &t, "beach-day.jpg", None, &[(TABBY, 0.8)]).await;
    photo(&app, &t, "morning.jpg", Some(&day), &[(BEAGLE, 0.8)]).await;
    photo(&app, &t, "unsorted.jpg", Some(&day), &[(ESPRESSO, 0.8)]).await;

    assert_eq!(names(&search(&app, &t, "dog beach").await), ["waves.jpg"]);
    assert_eq!(
        sorted(names(&search(&app, &t, "beach").await)),
        ["beach-day.jpg", "sand.jpg", "waves.jpg"],
        "file and folder names"
    );
    assert_eq!(
        sorted(names(&search(&app, &t, "cat beach").await)),
        ["beach-day.jpg", "sand.jpg"]
    );
    // A folder's name covers what is in the folders below it.
    assert_eq!(
        names(&search(&app, &t, "vacation dogs").await),
        ["morning.jpg"]
    );
    assert_eq!(names(&search(&app, &t, "unsorted").await), ["unsorted.jpg"]);
    assert!(search(&app, &t, "dog giraffe").await.is_empty());
}

#[tokio::test]
async fn a_search_covers_a_folder_and_below_or_the_whole_gallery() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let trip = app.folder(&t, "Trip", None).await;
    let day = app.folder(&t, "Day 2", Some(&trip)).await;
    photo(&app, &t, "top.jpg", None, &[(BEAGLE, 0.9)]).await;
    photo(&app, &t, "trip.jpg", Some(&trip), &[(BEAGLE, 0.9)]).await;
    photo(&app, &t, "day.jpg", Some(&day), &[(BEAGLE, 0.9)]).await;
    let whole = search(&app, &t, "dog").await;
    assert_eq!(sorted(names(&whole)), ["day.jpg", "top.jpg", "trip.jpg"]);
    let below: Vec<Value> =
        fetch(app.get(&t, &format!("/api/v1/images?q=dog&folder={trip}"))).await;
    assert_eq!(sorted(names(&below)), ["day.jpg", "trip.jpg"]);

    // Another user's photos never show.
    let b = browser();
    sign_up_in_browser(&app, &b, "grace@example.org").await;
    let page = b.get(app.url("/gallery?q=dog")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("0 photos matching"),
        "another user's photos never show"
    );
}

#[tokio::test]
async fn the_page_searches_live_counts_and_can_be_cleared() {
    let app = spawn_app().await;
    let b = browser();
    sign_up_in_browser(&app, &b, "ada@example.org").await;
    let token = api_token(&app, "ada@example.org").await;
    let trip = app.folder(&token, "Trip", None).await;
    photo(
        &app,
        &token,
        "rover.jpg",
        Some(&trip),
        &[(GOLDEN_RETRIEVER, 0.93)],
    )
    .await;
    photo(&app, &token, "rex.jpg", None, &[(BEAGLE, 0.81)]).await;
    photo(&app, &token, "kitty.jpg", None, &[(TABBY, 0.9)]).await;

    // htmx asks for the page and swaps in its #results part: the count and the cards.
    let html = text(
        b.get(app.url("/gallery?q=dogs"))
            .header("HX-Request", "true"),
    )
    .await;
    assert!(
        html.contains("2 photos matching “dogs” in all your photos"),
        "{html}"
    );
    let matched = format!("Matched: {} 93%", class_name(GOLDEN_RETRIEVER));
    assert!(html.contains(&matched), "{html}");
    assert!(
        html.find("rover.jpg").unwrap() < html.find("rex.jpg").unwrap(),
        "best first"
    );
    assert!(!html.contains("kitty.jpg"));
    assert!(
        html.contains(r#"hx-trigger="input changed delay:300ms"#),
        "searches as you type"
    );
    assert!(html.contains(r#"id="search-clear""#));

    // In a folder: this folder and below, or everything.
    let here = text(b.get(app.url(&format!("/gallery/{trip}?q=dog")))).await;
    assert!(here.contains("1 photo matching “dog” in this folder and below"));
    let everywhere = text(b.get(app.url(&format!("/gallery/{trip}?q=dog&scope=all")))).await;
    assert!(everywhere.contains("2 photos matching “dog” in all your photos"));

    // Sorting a search by name.
    let by_name = text(b.get(app.url("/gallery?q=dog&sort=name&order=asc"))).await;
    assert!(by_name.find("rex.jpg").unwrap() < by_name.find("rover.jpg").unwrap());
}

#[tokio::test]
async fn queries_that_are_not_searches_get_a_clear_answer() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    photo(&app, &t, "rex.jpg", None, &[(BEAGLE, 0.81)]).await;
    let other = app.user("mallory@example.org").await;
    photo(&app, &other, "secret.jpg", None, &[(BEAGLE, 0.99)]).await;

    for (query, status) in [
        ("", StatusCode::BAD_REQUEST),
        ("   ", StatusCode::BAD_REQUEST),
        (&"dog ".repeat(2_500), StatusCode::BAD_REQUEST),
        ("' OR 1=1 --", StatusCode::OK),
        ("%", StatusCode::BAD_REQUEST),
        ("_", StatusCode::BAD_REQUEST),
        ("100%", StatusCode::OK),
        ("dog'; DROP TABLE images; --", StatusCode::OK),
        ("<script>alert(1)</script>", StatusCode::OK),
    ] {
        let res = app
            .get(&t, &format!("/api/v1/images?q={}", urlencode(query)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{query:.40}");
        let body: Value = res.json().await.unwrap();
        if status == StatusCode::OK {
            let found = body.as_array().unwrap();
            assert!(
                found.iter().all(|i| i["filename"] != "secret.jpg"),
                "{query}"
            );
            assert!(found.len() <= 1, "{query:?} found {found:?}");
        } else {
            assert!(body["error"].as_str().unwrap().len() > 10, "{body}");
        }
    }
    assert_eq!(app.rows("images").await, 2, "nothing dropped");

    // In the page: the gallery with a message, never an error page; HTML stays text.
    let b = browser();
    sign_up_in_browser(&app, &b, "grace@example.org").await;
    for query in [
        &"x".repeat(10_000),
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "",
    ] {
        let res = b
            .get(app.url(&format!("/gallery?q={}", urlencode(query))))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{query:.40}");
        let html = res.text().await.unwrap();
        assert!(html.contains(r#"id="search-input""#), "the gallery page");
        assert!(!html.contains("<script>alert(1)</script>"));
    }
    let long = b
        .get(app.url(&format!("/gallery?q={}", "x".repeat(10_000))))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(long.contains("the search is too long"));
}

#[tokio::test]
async fn any_listing_sorts_by_date_taken_upload_date_name_or_tag_confidence() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let b_id = photo(&app, &t, "b.jpg", None, &[(BEAGLE, 0.5)]).await;
    let a_id = photo(&app, &t, "a.jpg", None, &[(BEAGLE, 0.9)]).await;
    let c_id = photo(&app, &t, "C.jpg", None, &[(BEAGLE, 0.7)]).await;
    // Taken in the order c, a, b; uploaded b, a, c.
    for (id, taken) in [(&c_id, 1_000), (&a_id, 2_000), (&b_id, 3_000)] {
        sqlx::query("UPDATE images SET taken_at = $1 WHERE id = $2")
            .bind(taken as i64)
            .bind(id)
            .execute(&app.state.db)
            .await
            .unwrap();
    }
    let cases = [
        ("date", "asc", ["C.jpg", "a.jpg", "b.jpg"]),
        ("date", "desc", ["b.jpg", "a.jpg", "C.jpg"]),
        ("uploaded", "asc", ["b.jpg", "a.jpg", "C.jpg"]),
        ("uploaded", "desc", ["C.jpg", "a.jpg", "b.jpg"]),
        ("name", "asc", ["a.jpg", "b.jpg", "C.jpg"]),
        ("name", "desc", ["C.jpg", "b.jpg", "a.jpg"]),
        ("tag", "desc", ["a.jpg", "C.jpg", "b.jpg"]),
        ("tag", "asc", ["b.jpg", "C.jpg", "a.jpg"]),
    ];
    for (sort, order, expected) in cases {
        for q in ["", "&q=dog"] {
            let url = format!("/api/v1/images?sort={sort}&order={order}{q}");
            let found: Vec<Value> = fetch(app.get(&t, &url)).await;
            assert_eq!(names(&found), expected, "{url}");
        }
    }
    let bad = app
        .get(&t, "/api/v1/images?sort=colour")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_classified_for_real_are_found_by_meaning() {
    let app = spawn_app_with(|c| {
        c.classifier = "local".into();
        c.classifier_workers = Some(2);
    })
    .await;
    let t = app.user("ada@example.org").await;
    let cat = app
        .photo_bytes(&t, "IMG_0001.jpg", testdata("chelsea.jpg"))
        .await;
    let cup = app
        .photo_bytes(&t, "IMG_0002.png", testdata("coffee.png"))
        .await;
    settled(&app, &t, &cat).await;
    settled(&app, &t, &cup).await;
    assert_eq!(names(&search(&app, &t, "cats").await), ["IMG_0001.jpg"]);
    assert_eq!(names(&search(&app, &t, "animal").await), ["IMG_0001.jpg"]);
    assert_eq!(names(&search(&app, &t, "coffee").await), ["IMG_0002.png"]);
    assert!(search(&app, &t, "dog").await.is_empty());
}

/// Sets when a photo was taken (epoch ms).
async fn taken(app: &TestApp, id: &str, ms: i64) {
    sqlx::query("UPDATE images SET taken_at = $1 WHERE id = $2")
        .bind(ms)
        .bind(id)
        .execute(&app.state.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_search_understands_when_the_photos_were_taken() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    // 2023-07-14, 2023-12-31T23:59:59Z, 2024-01-01, 2024-04-10 and 2021-06-01.
    for (name, class, ms) in [
        ("dog-july-2023.jpg", BEAGLE, 1_689_292_800_000_i64),
        ("dog-new-years-eve.jpg", GOLDEN_RETRIEVER, 1_704_067_199_000),
        ("dog-new-year.jpg", BEAGLE, 1_704_067_200_000),
        ("cat-april-2024.jpg", TABBY, 1_712_707_200_000),
        ("dog-2021.jpg", BEAGLE, 1_622_505_600_000),
    ] {
        let id = photo(&app, &t, name, None, &[(class, 0.9)]).await;
        taken(&app, &id, ms).await;
    }
    let found = |q: &'static str| {
        let (app, t) = (&app, &t);
        async move {
            let mut names: Vec<String> = search(app, t, q)
                .await
                .iter()
                .map(|i| i["filename"].as_str().unwrap().to_owned())
                .collect();
            names.sort_unstable();
            names
        }
    };
    assert_eq!(
        found("dogs 2023").await,
        ["dog-july-2023.jpg", "dog-new-years-eve.jpg"]
    );
    assert_eq!(
        found("dog photos from july 2023").await,
        ["dog-july-2023.jpg"]
    );
    assert_eq!(
        found("2024").await,
        ["cat-april-2024.jpg", "dog-new-year.jpg"],
        "a year alone lists all of it"
    );
    assert_eq!(
        found("what did I take between march and may 2024").await,
        ["cat-april-2024.jpg"]
    );
    assert_eq!(found("summer 2021").await, ["dog-2021.jpg"]);
    assert_eq!(found("dogs before 2022").await, ["dog-2021.jpg"]);
    assert_eq!(found("cats since 2024").await, ["cat-april-2024.jpg"]);
    assert!(found("dogs 1999").await.is_empty());

    // The same explicitly; the query's own words narrow it further.
    let explicit = |query: &str| format!("/api/v1/images?{query}");
    let all: Vec<Value> = fetch(app.get(&t, &explicit("q=dog&taken_after=2024-01-01"))).await;
    assert_eq!(names(&all), ["dog-new-year.jpg"]);
    let all: Vec<Value> = fetch(app.get(
        &t,
        &explicit("q=dog&taken_after=2023-01-01&taken_before=2024-01-01T00:00:00Z"),
    ))
    .await;
    assert_eq!(
        sorted(names(&all)),
        ["dog-july-2023.jpg", "dog-new-years-eve.jpg"]
    );
    let all: Vec<Value> =
        fetch(app.get(&t, &explicit("q=dog%202023&taken_after=2023-12-01"))).await;
    assert_eq!(names(&all), ["dog-new-years-eve.jpg"]);
    // A listing takes them too (the top level here).
    let all: Vec<Value> = fetch(app.get(&t, &explicit("taken_before=2022-01-01"))).await;
    assert_eq!(names(&all), ["dog-2021.jpg"]);
    for bad in [
        "taken_after=yesterday",
        "taken_before=2024-02-30",
        "taken_after=2024-13-01",
    ] {
        let res = app.get(&t, &explicit(bad)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains("like 2024-03-01"),
            "{body}"
        );
    }
    // Words that only look like time stay words: a file name with a year in it.
    let id = photo(&app, &t, "img_2019_party.jpg", None, &[]).await;
    taken(&app, &id, 1_704_067_200_000).await;
    assert_eq!(found("img_2019_party").await, ["img_2019_party.jpg"]);

    // The page says how it read the query.
    let b = browser();
    sign_up_in_browser(&app, &b, "pages@example.org").await;
    let html = text(b.get(app.url("/gallery?q=dogs%20summer%202023"))).await;
    assert!(
        html.contains("· taken summer 2023 (June–August) ·"),
        "{html}"
    );
}

#[tokio::test]
async fn names_match_whole_words_not_parts_of_words() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    for name in [
        "cat.jpg",
        "my cat 2.png",
        "cats_on_the_sofa.jpg",
        "catalog.jpg",
        "bobcat.jpg",
        "Cat-(1).JPG",
    ] {
        photo(&app, &t, name, None, &[]).await;
    }
    let folder = app.folder(&t, "Catalogue", None).await;
    photo(&app, &t, "inside.jpg", Some(&folder), &[]).await;
    let cat_folder = app.folder(&t, "the cat", None).await;
    photo(&app, &t, "sofa.jpg", Some(&cat_folder), &[]).await;
    assert_eq!(
        sorted(names(&search(&app, &t, "cat").await)),
        [
            "Cat-(1).JPG",
            "cat.jpg",
            "cats_on_the_sofa.jpg",
            "my cat 2.png",
            "sofa.jpg"
        ]
    );
    assert_eq!(names(&search(&app, &t, "catalog").await), ["catalog.jpg"]);
    assert_eq!(names(&search(&app, &t, "png").await), ["my cat 2.png"]);
    assert!(search(&app, &t, "alog").await.is_empty());
}

#[tokio::test]
async fn the_search_box_suggests_words_for_ones_photos_folders_and_times() {
    let app = spawn_app().await;
    let b = browser();
    sign_up_in_browser(&app, &b, "ada@example.org").await;
    let t = api_token(&app, "ada@example.org").await;
    photo(&app, &t, "rex.jpg", None, &[(BEAGLE, 0.9)]).await;
    app.folder(&t, "Dolomites", None).await;
    let suggest = |q: &str| b.get(app.url(&format!("/search/suggest?q={}", urlencode(q))));
    let html = text(suggest("do")).await;
    // "dog" means the beagle; "dome" would find nothing here and is not offered.
    assert!(html.contains("<option value=\"dog\">"), "{html}");
    assert!(!html.contains("value=\"dome\""), "{html}");
    assert!(html.contains("<option value=\"dolomites\">"), "{html}");
    let html = text(suggest("beagles last sum")).await;
    assert!(
        html.contains("<option value=\"beagles last summer\">"),
        "{html}"
    );
    assert!(!html.contains("last last"), "{html}");
    let html = text(suggest("dogs ju")).await;
    assert!(
        html.contains("<option value=\"dogs june\">")
            && html.contains("<option value=\"dogs july\">"),
        "{html}"
    );
    // Someone else's labels and folders are never suggested.
    let eve = app.user("eve@example.org").await;
    photo(&app, &eve, "tabby.jpg", None, &[(TABBY, 0.9)]).await;
    app.folder(&eve, "Catskills", None).await;
    let html = text(suggest("ca")).await;
    assert!(!html.contains("cat"), "{html}");
    assert_eq!(text(suggest("")).await, "");
}

/// The index of a class of the shipped model, by name.
fn class_index(name: &str) -> i64 {
    let labels: Value = serde_json::from_str(include_str!(
        "../../classifier-lambda/models/efficientnet-lite0/labels.json"
    ))
    .unwrap();
    labels
        .as_array()
        .unwrap()
        .iter()
        .position(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no class {name}")) as i64
}

#[tokio::test]
async fn everyday_words_find_what_wordnet_does_not_know() {
    let app = spawn_app().await;
    let b = browser();
    sign_up_in_browser(&app, &b, "ada@example.org").await;
    let t = api_token(&app, "ada@example.org").await;
    zoo(&app, &t).await;
    let cases: &[(&str, &[&str])] = &[
        ("puppies", &["beagle.jpg", "golden.jpg"]),
        ("show me the doggos", &["beagle.jpg", "golden.jpg"]),
        ("kitty", &["persian.jpg", "tabby.jpg"]),
        // Not every photo, though each has a 1% espresso guess.
        ("something to eat", &["coffee.jpg", "lunch.jpg"]),
        // Nothing here is near enough.
        ("giraffe", &[]),
        ("xyzzy", &[]),
    ];
    for (query, expected) in cases {
        let found = search(&app, &t, query).await;
        assert_eq!(sorted(names(&found)), expected.to_vec(), "{query}");
    }
    // Each result says which label matched, and how.
    let found = search(&app, &t, "puppies").await;
    let beagle = found
        .iter()
        .find(|i| i["filename"] == "beagle.jpg")
        .unwrap();
    assert_eq!(beagle["matched"]["label"], class_name(BEAGLE));
    assert_eq!(beagle["matched_by"]["how"], "similar");
    assert_eq!(beagle["matched_by"]["term"], "puppy");
    let near = beagle["matched_by"]["near"].as_str().unwrap();
    assert!(near.contains("dog") || near.contains("canine"), "{near}");
    let found = search(&app, &t, "dog").await;
    assert_eq!(found[0]["matched_by"]["how"], "wordnet");
    assert!(found[0]["matched_by"].get("near").is_none());
    let found = search(&app, &t, "beagle").await;
    assert_eq!(found[0]["matched_by"]["how"], "label");
    // The page says how it read the word.
    let html = text(b.get(app.url("/gallery?q=puppies"))).await;
    assert!(
        html.contains("2 photos matching “puppies” · “puppies” as "),
        "{html}"
    );
    assert!(html.contains("· in all your photos"));
}

#[tokio::test]
async fn wordnet_matches_rank_above_everyday_words_and_names_mean_what_they_say() {
    let app = spawn_app().await;
    let t = app.user("ada@example.org").await;
    let (labrador, beach) = (class_index("Labrador Retriever"), class_index("beach"));
    // A sure dog on a doubtful beach, and a doubtful dog on a sure beach: for "puppy
    // beach", the beach WordNet names outranks the dog only near "puppy" in meaning.
    photo(
        &app,
        &t,
        "sure-dog.jpg",
        None,
        &[(labrador, 0.9), (beach, 0.06)],
    )
    .await;
    photo(
        &app,
        &t,
        "sure-beach.jpg",
        None,
        &[(beach, 0.6), (labrador, 0.3)],
    )
    .await;
    let found = search(&app, &t, "puppy beach").await;
    assert_eq!(names(&found), ["sure-beach.jpg", "sure-dog.jpg"]);
    assert_eq!(found[1]["matched_by"]["how"], "label");
    assert_eq!(found[1]["matched"]["label"], "beach");

    // A word that names one of one's folders means the folder, not what it is near.
    let hawaii = app.folder(&t, "Hawaii", None).await;
    photo(&app, &t, "IMG_1.jpg", Some(&hawaii), &[(labrador, 0.7)]).await;
    let found = search(&app, &t, "hawaii").await;
    assert_eq!(names(&found), ["IMG_1.jpg"]);
    assert_eq!(found[0]["matched_by"]["how"], "folder");

    // A file name typed whole is that name, not a cat and a JPEG.
    photo(&app, &t, "cat.jpg", None, &[(TABBY, 0.8)]).await;
    photo(&app, &t, "tabby.jpg", None, &[(TABBY, 0.8)]).await;
    photo(&app, &t, "catalog.jpg", None, &[(TABBY, 0.8)]).await;
    let found = search(&app, &t, "cat.jpg").await;
    assert_eq!(names(&found), ["cat.jpg"]);
    assert_eq!(found[0]["matched_by"]["how"], "name");
}
