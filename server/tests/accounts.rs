mod common;

use common::{error_of, fetch, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_sign_in_and_see_who_i_am() {
    let app = spawn_app().await;
    let res = app.signup("Ada@Example.org").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "ada@example.org");

    let token = {
        let res = app.login("ada@example.org", "correct horse battery").await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let me: Value = fetch(app.get(&token, "/api/v1/me")).await;
    assert_eq!(me["email"], "ada@example.org");
    assert_eq!(me["display_name"], "ada");
    assert_eq!(me["role"], "admin", "the first account becomes admin");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_first_account_is_admin() {
    let app = spawn_app().await;
    app.user("first@example.org").await;
    let second = app.user("second@example.org").await;
    let me: Value = fetch(app.get(&second, "/api/v1/me")).await;
    assert_eq!(me["role"], "user");
    let res = app
        .get(&second, "/api/v1/admin/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.user("ada@example.org").await;
    let wrong = app.login("ada@example.org", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = error_of(wrong).await;
    let unknown = app.login("nobody@example.org", "not the password").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(unknown).await, wrong);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_email_is_a_conflict() {
    let app = spawn_app().await;
    app.user("ada@example.org").await;
    let res = app.signup("ADA@example.org").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(error_of(res).await.contains("already exists"));
    assert_eq!(app.rows("users").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn weak_passwords_and_bad_emails_are_refused() {
    let app = spawn_app().await;
    for password in ["short", "password", "aaaaaaaaaaaa", "ada@example.org"] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/signup"))
            .json(&json!({ "email": "ada@example.org", "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "password {password:?}"
        );
        assert!(error_of(res).await.contains("too weak"));
    }
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({ "email": "not-an-email", "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.rows("users").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_token() {
    let app = spawn_app().await;
    let token = app.user("ada@example.org").await;
    let res = app
        .post(&token, "/api/v1/auth/logout")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get(&token, "/api/v1/me").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_needs_a_bearer_token() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(error_of(res).await.contains("Bearer"));
    let res = app
        .get("made-up-token", "/api/v1/folders")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_attempts_are_limited_per_account() {
    let app = spawn_app_with(|c| {
        c.login_per_account = 3;
        c.login_per_ip = 100;
    })
    .await;
    app.user("ada@example.org").await;
    for _ in 0..2 {
        assert_eq!(
            app.login("ada@example.org", "wrong password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = app.login("ada@example.org", "correct horse battery").await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the budget was used by the earlier attempts"
    );
    assert!(res.headers().contains_key("retry-after"));
    assert!(error_of(res).await.contains("too many sign-in attempts"));
    // Another account from the same address is not affected.
    app.user("bob@example.org").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_attempts_are_limited_per_address() {
    let app = spawn_app_with(|c| {
        c.login_per_account = 100;
        c.login_per_ip = 4;
    })
    .await;
    for i in 0..4 {
        let res = app
            .login(&format!("guess{i}@example.org"), "whatever whatever")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login("guess9@example.org", "whatever whatever").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_promote_command_makes_an_admin() {
    let app = spawn_app().await;
    app.user("first@example.org").await;
    let token = app.user("second@example.org").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"))
        .args(["admin", "promote", "second@example.org"])
        .env("GALLERY_DATABASE_URL", &app.state.config.database_url)
        .env("GALLERY_STORAGE", &app.state.config.storage)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me: Value = fetch(app.get(&token, "/api/v1/me")).await;
    assert_eq!(me["role"], "admin");
    let stats = app.get(&token, "/api/v1/admin/stats").send().await.unwrap();
    assert_eq!(stats.status(), StatusCode::OK);
    let stats: Value = stats.json().await.unwrap();
    assert_eq!(stats["users"], 2);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"))
        .args(["admin", "promote", "nobody@example.org"])
        .env("GALLERY_DATABASE_URL", &app.state.config.database_url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account"));
}
