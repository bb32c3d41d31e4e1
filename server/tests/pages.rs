//! The HTML pages, driven like a browser without JavaScript: forms, cookies, CSRF.
mod common;

use common::{
    TestApp, browser, csrf_in, jpeg, post_form, sign_up_in_browser, spawn_app, spawn_app_with,
};
use reqwest::{Client, StatusCode};

async fn page(app: &TestApp, b: &Client, path: &str) -> (StatusCode, String) {
    let res = b.get(app.url(path)).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn sign_up(app: &TestApp, b: &Client, email: &str) -> String {
    sign_up_in_browser(app, b, email).await
}

/// A new account, signed in in the browser `b` and through the API: its bearer token.
async fn signed_in_both_ways(app: &TestApp, b: &Client, email: &str) -> String {
    sign_up(app, b, email).await;
    let login: serde_json::Value = app
        .login(email, "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    let res = browser().get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn session_cookie_is_http_only_lax_and_expires() {
    let app = spawn_app().await;
    let b = browser();
    let res = post_form(
        &b,
        &app.base,
        "/signup",
        "/signup",
        &[
            ("email", "ada@example.org"),
            ("password", "correct horse battery"),
        ],
    )
    .await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("gallery_session="));
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Max-Age=")
    );
    assert!(!cookie.contains("Secure"), "plain http on loopback");
    let token = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
        .bind(token)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored, 0, "the database keeps only a hash of the token");
    // The API does not take the cookie alone.
    let res = b.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_secure_behind_an_https_public_url() {
    let app = spawn_app_with(|c| c.public_url = Some("https://photos.example.org".into())).await;
    let b = browser();
    let res = b.get(app.url("/signup")).send().await.unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Secure"));
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app().await;
    let b = browser();
    let (_, html) = page(&app, &b, "/signup").await;
    assert!(html.contains("name=\"csrf\""));
    let form = [
        ("email", "ada@example.org"),
        ("password", "correct horse battery"),
    ];
    let res = b.post(app.url("/signup")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("reload the page"));
    let res = b
        .post(app.url("/signup"))
        .form(&[form[0], form[1], ("csrf", "0123")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.rows("users").await, 0);

    let csrf = sign_up(&app, &b, "ada@example.org").await;
    let res = b
        .post(app.url("/folders"))
        .form(&[("name", "Trips")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = b
        .post(app.url("/folders"))
        .form(&[("name", "Trips"), ("csrf", "f".repeat(64).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The header that htmx and the page's scripts send works like the field.
    let res = b
        .post(app.url("/folders"))
        .header("X-CSRF-Token", &csrf)
        .form(&[("name", "Trips")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("folders").await, 1);
    // Uploads from the page's script need the header too.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg(8, 8)).file_name("a.jpg"),
    );
    let res = b
        .post(app.url("/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.rows("images").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_on_the_sign_in_page_shows_a_message() {
    let app = spawn_app().await;
    let b = browser();
    sign_up(&app, &b, "ada@example.org").await;
    let other = browser();
    let res = post_form(
        &other,
        &app.base,
        "/login",
        "/login",
        &[("email", "ada@example.org"), ("password", "nope nope nope")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("wrong email or password")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn folders_through_the_pages_with_breadcrumbs() {
    let app = spawn_app().await;
    let b = browser();
    sign_up(&app, &b, "ada@example.org").await;
    let res = post_form(&b, &app.base, "/gallery", "/folders", &[("name", "Trips")]).await;
    assert_eq!(res.headers()["location"], "/gallery");
    let (_, html) = page(&app, &b, "/gallery").await;
    assert!(html.contains("Trips"));
    let (trips,): (String,) = sqlx::query_as("SELECT id FROM folders")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    post_form(
        &b,
        &app.base,
        &format!("/gallery/{trips}"),
        "/folders",
        &[("name", "Rome 2024"), ("parent_id", trips.as_str())],
    )
    .await;
    let (rome,): (String,) = sqlx::query_as("SELECT id FROM folders WHERE name = 'Rome 2024'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let (status, html) = page(&app, &b, &format!("/gallery/{rome}")).await;
    assert_eq!(status, StatusCode::OK);
    let crumbs = &html[html.find("Breadcrumbs").unwrap()..];
    let crumbs = &crumbs[..crumbs.find("</nav>").unwrap()];
    let (a, t, r) = (
        crumbs.find("Your photos").unwrap(),
        crumbs.find("Trips").unwrap(),
        crumbs.find("Rome 2024").unwrap(),
    );
    assert!(a < t && t < r, "breadcrumbs run from the root down");

    // A duplicate name shows the folder page again with the message and a 409.
    let res = post_form(&b, &app.base, "/gallery", "/folders", &[("name", "trips")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("already exists here"));

    // Deleting asks first, then takes the sub-folder with it.
    let (status, html) = page(&app, &b, &format!("/folders/{trips}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1 sub-folder") && html.contains("goes to the Trash"));
    assert_eq!(app.rows("folders").await, 2, "asking deletes nothing");
    let delete = format!("/folders/{trips}/delete");
    let res = post_form(&b, &app.base, &delete, &delete, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("folders").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn change_password_signs_out_other_sessions() {
    let app = spawn_app().await;
    let b = browser();
    sign_up(&app, &b, "ada@example.org").await;
    let api_token = {
        let res = app.login("ada@example.org", "correct horse battery").await;
        res.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let res = post_form(
        &b,
        &app.base,
        "/account",
        "/account/password",
        &[
            ("current_password", "wrong wrong wrong"),
            ("new_password", "a much better secret"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("current password is wrong")
    );
    let res = post_form(
        &b,
        &app.base,
        "/account",
        "/account/password",
        &[
            ("current_password", "correct horse battery"),
            ("new_password", "a much better secret"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("password has been changed")
    );
    assert_eq!(
        app.login("ada@example.org", "correct horse battery")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ada@example.org", "a much better secret")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&api_token, "/api/v1/me")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = page(&app, &b, "/gallery").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session that changed it stays signed in"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_through_the_pages_select_move_and_delete_after_confirming() {
    let app = spawn_app().await;
    let b = browser();
    let csrf = sign_up(&app, &b, "ada@example.org").await;
    for name in ["one.jpg", "two.jpg"] {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(jpeg(40, 30)).file_name(name),
        );
        let res = b
            .post(app.url("/upload"))
            .header("X-CSRF-Token", &csrf)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    post_form(&b, &app.base, "/gallery", "/folders", &[("name", "Keep")]).await;
    let (_, html) = page(&app, &b, "/gallery").await;
    assert_eq!(html.matches("class=\"card\"").count(), 2);
    assert!(html.contains("queued"));
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM images ORDER BY filename")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    let (keep,): (String,) = sqlx::query_as("SELECT id FROM folders")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let thumb = b
        .get(app.url(&format!("/images/{}/thumbnail", ids[0].0)))
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");

    let res = post_form(
        &b,
        &app.base,
        "/gallery",
        "/images/move",
        &[
            ("ids", ids[0].0.as_str()),
            ("folder_id", keep.as_str()),
            ("from", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &b, &format!("/gallery/{keep}")).await;
    assert!(html.contains("one.jpg") && !html.contains("two.jpg"));

    let res = post_form(
        &b,
        &app.base,
        "/gallery",
        "/images/delete",
        &[("ids", ids[1].0.as_str()), ("from", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Delete 1 photo?") && html.contains("two.jpg"));
    assert_eq!(app.rows("images").await, 2, "asking deletes nothing");
    let confirm = csrf_in(&html);
    let res = b
        .post(app.url("/images/delete"))
        .form(&[
            ("csrf", confirm.as_str()),
            ("ids", ids[1].0.as_str()),
            ("from", ""),
            ("confirmed", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("images").await, 1);
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_have_no_inline_scripts_and_a_strict_policy() {
    let app = spawn_app().await;
    let b = browser();
    sign_up(&app, &b, "ada@example.org").await;
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = res.text().await.unwrap();
    assert!(html.contains("name=\"viewport\""));
    assert!(!html.contains("<script>") && !html.contains("onclick="));
    let htmx = b
        .get(app.url("/static/vendor/htmx-2.0.11.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(htmx.status(), StatusCode::OK);
    assert!(htmx.text().await.unwrap().contains("htmx"));
}

#[tokio::test(flavor = "multi_thread")]
async fn private_pages_are_not_cached_and_only_the_page_may_use_the_microphone() {
    let app = spawn_app().await;
    let b = browser();
    sign_up(&app, &b, "ada@example.org").await;
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let policy = res.headers()["permissions-policy"].to_str().unwrap();
    assert!(
        policy.contains("microphone=(self)") && policy.contains("camera=()"),
        "{policy}"
    );
    assert!(
        !res.headers().contains_key("strict-transport-security"),
        "no HSTS over plain http"
    );
    let t = app.user("bob@example.org").await;
    let res = app.get(&t, "/api/v1/me").send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let css = b.get(app.url("/static/app.css")).send().await.unwrap();
    assert_ne!(
        css.headers()["cache-control"],
        "no-store",
        "static files may be cached"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_gallery_asks_browsers_to_keep_to_https() {
    let app = spawn_app_with(|c| c.public_url = Some("https://photos.example.org".into())).await;
    let res = app.client.get(app.url("/login")).send().await.unwrap();
    let hsts = res.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.contains("max-age=31536000"), "{hsts}");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_clears_the_browsers_cache_of_photos() {
    let app = spawn_app().await;
    let b = browser();
    sign_up(&app, &b, "ada@example.org").await;
    let res = post_form(&b, &app.base, "/gallery", "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["clear-site-data"], "\"cache\"");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_link_opens_a_sign_up_form_that_carries_it() {
    let app = spawn_app().await;
    let admin = app.user("admin@example.org").await;
    let app = common::restart(app, |c| c.signup = gallery::config::SignupMode::Invite).await;
    let b = browser();
    let (_, html) = page(&app, &b, "/signup").await;
    assert!(html.contains("by invitation only"));
    let made: serde_json::Value = app
        .post(&admin, "/api/v1/admin/invitations")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = made["token"].as_str().unwrap();
    let signup = format!("/signup?invite={token}");
    let (_, html) = page(&app, &b, &signup).await;
    assert!(html.contains(&format!("name=\"invite\" value=\"{token}\"")));
    let res = post_form(
        &b,
        &app.base,
        &signup,
        "/signup",
        &[
            ("email", "carol@example.org"),
            ("password", "correct horse battery"),
            ("invite", token),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed up and in");
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_with_many_photos_shows_them_a_page_at_a_time() {
    let app = spawn_app().await;
    let b = browser();
    let t = &signed_in_both_ways(&app, &b, "ada@example.org").await;
    let files: Vec<(String, Vec<u8>)> =
        (0..105).map(|n| (format!("{n}.jpg"), jpeg(8, 8))).collect();
    let res = app
        .upload(
            t,
            files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect(),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, html) = page(&app, &b, "/gallery").await;
    // A page of 100 (the API's pages hold 200 by default; the HTML is the heavier).
    assert_eq!(html.matches("class=\"card\"").count(), 100);
    assert!(html.contains("100+ photos"));
    let start = html
        .find("rel=\"next\"")
        .map(|_| html.find("class=\"more\"").unwrap())
        .unwrap();
    let href_at = html[start..].find("href=\"").unwrap() + start + 6;
    let href = &html[href_at..href_at + html[href_at..].find('"').unwrap()];
    let href = href.replace("&amp;", "&").replace("&#38;", "&");
    let (status, rest) = page(&app, &b, &href).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rest.matches("class=\"card\"").count(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_show_vendored_icons_never_emoji() {
    let app = spawn_app().await;
    let b = browser();
    sign_up(&app, &b, "ada@example.org").await;
    post_form(&b, &app.base, "/gallery", "/folders", &[("name", "Trips")]).await;
    let (_, html) = page(&app, &b, "/gallery").await;
    // Emoji and dingbats: fonts may lack them (the microphone showed an empty box).
    let pictographs = |c: char| ('\u{2600}'..='\u{27BF}').contains(&c) || c >= '\u{1F000}';
    let found: String = html.chars().filter(|&c| pictographs(c)).collect();
    assert_eq!(found, "", "no dingbats or emoji on the page");
    let start = html.find("id=\"voice-button\"").expect("the voice button");
    let button = &html[start..start + html[start..].find("</button>").unwrap()];
    // Inline SVG in the text's colour, hidden from screen readers (the word says it all).
    assert!(
        button.contains("<svg") && button.contains("lucide-mic"),
        "{button}"
    );
    assert!(button.contains("aria-hidden=\"true\""), "{button}");
    assert!(
        button.contains("<span class=\"label\">Voice</span>"),
        "{button}"
    );
    for icon in [
        "lucide-folder",
        "lucide-chevron-left",
        "lucide-zoom-in",
        "lucide-play",
        "lucide-x",
    ] {
        assert!(html.contains(icon), "{icon}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photos_text_says_what_is_in_it_once_classified() {
    let app = spawn_app().await;
    let b = browser();
    let t = signed_in_both_ways(&app, &b, "ada@example.org").await;
    let dog = app.photo_bytes(&t, "IMG_0001.jpg", jpeg(64, 48)).await;
    app.photo_bytes(&t, "IMG_0002.jpg", jpeg(64, 48)).await;
    for (rank, label) in ["golden retriever", "tennis ball"].iter().enumerate() {
        sqlx::query(
            "INSERT INTO image_labels (image_id, rank, label, class_index, score) VALUES ($1, $2, $3, 1, 0.5)",
        )
        .bind(&dog)
        .bind(rank as i64)
        .bind(*label)
        .execute(&app.state.db)
        .await
        .unwrap();
    }
    let (_, html) = page(&app, &b, "/gallery").await;
    assert!(
        html.contains("alt=\"Photo: golden retriever, tennis ball\""),
        "the tags, once there"
    );
    assert!(
        html.contains("alt=\"Photo: IMG_0002.jpg\""),
        "the name until then"
    );
    // The link's name is that text (no aria-label over it).
    assert!(!html.contains("aria-label=\"Open "), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_timeline_shows_ones_photos_by_month_taken_and_jumps_to_a_month() {
    let app = spawn_app().await;
    let b = browser();
    let t = &signed_in_both_ways(&app, &b, "ada@example.org").await;
    let folder = app.folder(t, "Trips", None).await;
    // July 2023 (two, one in a folder), December 2021, and one taken when unknown (uploaded
    // now), newest first; 2023-07-31T23:59:59Z is still July.
    let mut ids = Vec::new();
    for (name, in_folder, taken) in [
        ("harbour.jpg", true, Some(1_690_847_999_000_i64)),
        ("picnic.jpg", false, Some(1_688_299_200_000)),
        ("snow.jpg", false, Some(1_640_423_700_000)),
        ("today.jpg", false, None),
    ] {
        let id = app
            .photo(t, name, in_folder.then_some(folder.as_str()))
            .await;
        if let Some(taken) = taken {
            sqlx::query("UPDATE images SET taken_at = $1 WHERE id = $2")
                .bind(taken)
                .bind(&id)
                .execute(&app.state.db)
                .await
                .unwrap();
        }
        ids.push(id);
    }
    // Someone else's photo never shows.
    let eve = app.user("eve@example.org").await;
    app.photo(&eve, "eves.jpg", None).await;

    let (status, html) = page(&app, &b, "/timeline").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("4 photos"), "{html}");
    assert!(!html.contains("eves.jpg"));
    let headings: Vec<&str> = html
        .match_indices("class=\"month-title\"")
        .map(|(at, _)| {
            let start = html[at..].find('>').unwrap() + at + 1;
            &html[start..start + html[start..].find('<').unwrap()]
        })
        .collect();
    assert_eq!(headings.len(), 3, "{headings:?}");
    assert_eq!(&headings[1..], ["July 2023", "December 2021"]);
    let order: Vec<usize> = ["today.jpg", "harbour.jpg", "picnic.jpg", "snow.jpg"]
        .iter()
        .map(|n| html.find(&format!("data-name=\"{n}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "newest first");
    // The scrubber: a year and its months with their counts.
    assert!(html.contains("href=\"/timeline?month=2023-07\" title=\"2 photos\""));
    assert!(html.contains("href=\"/timeline?month=2021-12\" title=\"1 photo\""));

    let (status, html) = page(&app, &b, "/timeline?month=2023-07").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("data-name=\"today.jpg\""));
    assert!(html.contains("data-name=\"harbour.jpg\"") && html.contains("data-name=\"snow.jpg\""));
    let (status, html) = page(&app, &b, "/timeline?month=2021-11").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No photos from then or before"));
    for bad in ["2023-13", "july", "2023-7", "99999-01"] {
        let (status, html) = page(&app, &b, &format!("/timeline?month={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(html.contains("month must look like 2024-06"));
    }
    let (status, _) = page(&app, &b, "/timeline?after=garbage").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_viewers_forms_come_back_to_the_page_they_were_sent_from_and_never_elsewhere() {
    let app = spawn_app().await;
    let b = browser();
    let t = &signed_in_both_ways(&app, &b, "ada@example.org").await;
    let id = app.photo(t, "a.jpg", None).await;
    for (next, expected) in [
        ("/timeline", "/timeline"),
        ("//evil.example/x", "/gallery"),
        ("https://evil.example/", "/gallery"),
        ("/\\evil.example", "/gallery"),
    ] {
        let res = post_form(
            &b,
            &app.base,
            "/timeline",
            "/images/reclassify",
            &[("ids", id.as_str()), ("next", next)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(res.headers()["location"], expected, "{next}");
    }
}
