//! Where one is signed in, personal access tokens, and leaving: the list with the device
//! and address, signing one session out, tokens that may only read (403 on every write
//! route of the API document), revoked and expired tokens, and "delete my account".
mod common;

use common::{TestApp, browser, error_of, fetch, post_form, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn login_as(app: &TestApp, email: &str, agent: &str) -> String {
    let body: Value = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("User-Agent", agent)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn make_token(app: &TestApp, token: &str, scope: &str) -> (String, String) {
    let res = app
        .post(token, "/api/v1/me/tokens")
        .json(&json!({"name": format!("{scope} script"), "scope": scope}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_list_of_sessions_says_where_and_signs_one_out() {
    let app = spawn_app().await;
    app.signup("ada@example.org").await;
    let laptop = login_as(
        &app,
        "ada@example.org",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
    )
    .await;
    let phone = login_as(
        &app,
        "ada@example.org",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1",
    )
    .await;
    let list: Vec<Value> = fetch(app.get(&laptop, "/api/v1/me/sessions")).await;
    assert_eq!(list.len(), 2);
    let me = list.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(me["device"], "Firefox on Linux");
    assert_eq!(me["address"], "127.0.0.1");
    assert!(me["last_seen_at"].is_string());
    let other = list.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["device"], "Safari on iPhone");

    // Someone else cannot end Ada's session.
    let eve = app.user("eve@example.org").await;
    let id = other["id"].as_str().unwrap();
    let res = app
        .delete(&eve, &format!("/api/v1/me/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&phone, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    // Ada can.
    let res = app
        .delete(&laptop, &format!("/api/v1/me/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&phone, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&laptop, "/api/v1/me")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_everywhere_else_from_the_account_page() {
    let app = spawn_app().await;
    let b = browser();
    common::sign_up_in_browser(&app, &b, "bo@example.org").await;
    let api = app.token("bo@example.org").await;
    let (_, script) = make_token(&app, &api, "read").await;
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("This browser"));
    let res = post_form(
        &b,
        &app.base,
        "/account",
        "/account/sessions/end-others",
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get(&api, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // Tokens for scripts stay; the browser stays signed in.
    assert_eq!(
        app.get(&script, "/api/v1/me")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        b.get(app.url("/gallery")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_read_only_token_is_refused_on_every_write_route() {
    let app = spawn_app().await;
    let owner = app.user("cy@example.org").await;
    let folder = app.folder(&owner, "Trips", None).await;
    let (_, reader) = make_token(&app, &owner, "read").await;
    // It reads, also a ZIP of photos (asked for with POST).
    assert_eq!(
        app.get(&reader, "/api/v1/folders")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let photo = app.photo(&owner, "a.png", Some(&folder)).await;
    let res = app
        .post(&reader, "/api/v1/images/zip")
        .json(&json!({"ids": [photo]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get(&reader, &format!("/api/v1/folders/{folder}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // Every route of the API document that changes something: 403 before anything else.
    let doc: Value = fetch(app.client.get(app.url("/api/v1/openapi.json"))).await;
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let by_token = op
                .get("security")
                .is_none_or(|s| s.to_string().contains("bearer"));
            if !by_token {
                continue; // sign-up, sign-in, the mailed links, the Lambda's callback
            }
            if path == "/images/zip" || path == "/auth/logout" {
                continue; // reading with POST, and ending itself
            }
            let url = format!(
                "/api/v1{}",
                path.replace("{id}", &folder)
                    .replace("{email}", "x@example.org")
            );
            let res = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&url))
                .bearer_auth(&reader)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {url}");
            tried += 1;
        }
    }
    assert!(tried >= 20, "only {tried} write routes were found");
    // Nothing changed.
    let folders: Vec<Value> = fetch(app.get(&owner, "/api/v1/folders")).await;
    assert_eq!(folders.len(), 1);
}

#[tokio::test]
async fn tokens_are_shown_once_listed_revoked_and_expire() {
    let app = spawn_app().await;
    let owner = app.user("dee@example.org").await;
    let (id, writer) = make_token(&app, &owner, "write").await;
    assert_eq!(
        app.post(&writer, "/api/v1/folders")
            .json(&json!({"name": "By script"}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    let list: Vec<Value> = fetch(app.get(&owner, "/api/v1/me/tokens")).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "write script");
    assert_eq!(list[0]["scope"], "write");
    assert!(
        !list[0].to_string().contains(&writer),
        "the list never shows a secret"
    );
    // A token cannot make tokens or delete the account.
    let res = app
        .post(&writer, "/api/v1/me/tokens")
        .json(&json!({"name": "x", "scope": "write"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .delete(&writer, "/api/v1/me")
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Someone else cannot revoke it; the owner can.
    let eve = app.user("eve@example.org").await;
    assert_eq!(
        app.delete(&eve, &format!("/api/v1/me/tokens/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&owner, &format!("/api/v1/me/tokens/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&writer, "/api/v1/me")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // An expiry in the past is refused; one that passes ends the token.
    let res = app
        .post(&owner, "/api/v1/me/tokens")
        .json(&json!({"name": "old", "scope": "read", "expires_at": "2020-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .post(&owner, "/api/v1/me/tokens")
        .json(&json!({"name": "soon", "scope": "read", "expires_at": "2999-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    let soon: Value = res.json().await.unwrap();
    let soon = soon["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&soon, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    sqlx::query("UPDATE sessions SET expires_at = 1 WHERE name = 'soon'")
        .execute(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        app.get(&soon, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post(&owner, "/api/v1/me/tokens")
        .json(&json!({"name": "bad", "scope": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deleting_ones_account_takes_the_password_and_removes_everything() {
    let app = spawn_app().await;
    let admin = app.user("root@example.org").await;
    // The only admin cannot leave.
    let res = app
        .delete(&admin, "/api/v1/me")
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let token = app.user("eli@example.org").await;
    let folder = app.folder(&token, "Family", None).await;
    app.photo(&token, "a.png", Some(&folder)).await;
    let keeper = app.user("kay@example.org").await;
    app.photo(&keeper, "b.png", None).await;
    let before = app.object_count();

    let res = app
        .delete(&token, "/api/v1/me")
        .json(&json!({"password": "not it at all"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(error_of(res).await.contains("password"));
    let res = app
        .delete(&token, "/api/v1/me")
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.get(&token, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("eli@example.org", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (users,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = 'eli@example.org'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(users, 0);
    assert_eq!(app.rows("folders").await, 0);
    assert_eq!(
        app.rows("images").await,
        1,
        "only the other account's photo is left"
    );
    assert!(
        app.object_count() < before,
        "the photo's stored objects are gone"
    );
    let kept: Vec<Value> = fetch(app.get(&keeper, "/api/v1/images")).await;
    assert_eq!(kept.len(), 1);
}

#[tokio::test]
async fn deleting_ones_account_in_the_browser_signs_out() {
    let app = spawn_app().await;
    app.user("root@example.org").await;
    let b = browser();
    common::sign_up_in_browser(&app, &b, "flo@example.org").await;
    let res = post_form(
        &b,
        &app.base,
        "/account",
        "/account/delete",
        &[("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?deleted=1");
    assert_eq!(
        b.get(app.url("/gallery")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.login("flo@example.org", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn changing_the_password_takes_the_current_one_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    app.signup("gus@example.org").await;
    let here = login_as(&app, "gus@example.org", "Firefox/130.0").await;
    let there = login_as(&app, "gus@example.org", "Safari/604.1").await;
    let res = app
        .post(&here, "/api/v1/me/password")
        .json(&json!({"current_password": "not my password", "new_password": "a much better passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .post(&here, "/api/v1/me/password")
        .json(&json!({"current_password": PASSWORD, "new_password": "a much better passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&here, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&there, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("gus@example.org", "a much better passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_admin_ends_every_session_and_token_of_an_account() {
    let app = spawn_app().await;
    let b = browser();
    common::sign_up_in_browser(&app, &b, "root@example.org").await;
    let token = app.user("hal@example.org").await;
    let (_, script) = make_token(&app, &token, "read").await;
    let (id,): (String,) = sqlx::query_as("SELECT id FROM users WHERE email = 'hal@example.org'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let page = format!("/admin/users/{id}");
    let res = post_form(&b, &app.base, &page, &page, &[("action", "sign-out")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Signed out everywhere"));
    for gone in [&token, &script] {
        assert_eq!(
            app.get(gone, "/api/v1/me").send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Someone who is not an admin cannot.
    let eve = browser();
    common::sign_up_in_browser(&app, &eve, "eve@example.org").await;
    let res = eve.get(app.url(&page)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
