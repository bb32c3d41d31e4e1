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

#[tokio::test(flavor = "multi_thread")]
async fn spaces_and_capitals_do_not_buy_more_sign_in_attempts() {
    let app = spawn_app_with(|c| {
        c.login_per_account = 5;
        c.login_per_ip = 1000;
    })
    .await;
    app.user("victim@example.org").await;
    let mut statuses = Vec::new();
    for n in 0..12 {
        let email = format!("{}{}", " ".repeat(n), "VICTIM@example.org");
        statuses.push(app.login(&email, "not the password").await.status());
    }
    // The sign-in of app.user() counted too: four wrong guesses, then refusals.
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        4,
        "{statuses:?}"
    );
    assert!(
        statuses[4..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_longer_than_any_address_is_refused_before_anything_else() {
    let app = spawn_app().await;
    let long = format!("{}@example.org", "a".repeat(1024 * 1024));
    let res = app.login(&long, "whatever whatever").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("254"));
    let res = app.signup(&long).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.rows("rate_limits").await, 0, "no limiter key was kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_ups_are_limited_per_address() {
    let app = spawn_app_with(|c| c.signup_per_ip = 5).await;
    let mut statuses = Vec::new();
    for n in 0..40 {
        statuses.push(app.signup(&format!("user{n}@example.org")).await.status());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 5, "{statuses:?}");
    assert!(
        statuses[5..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
    let res = app.signup("late@example.org").await;
    assert!(res.headers().contains_key("retry-after"));
    assert!(error_of(res).await.contains("too many accounts"));
    assert_eq!(app.rows("users").await, 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_sign_up_limit_stops_a_flood_from_one_address() {
    let app = spawn_app_with(|c| {
        c.signup_per_ip = gallery::config::DEFAULT_SIGNUP_PER_IP;
    })
    .await;
    let mut refused = 0;
    for n in 0..40 {
        if app.signup(&format!("user{n}@example.org")).await.status()
            == StatusCode::TOO_MANY_REQUESTS
        {
            refused += 1;
        }
    }
    assert!(refused >= 20, "only {refused} of 40 refused");
}

async fn admin_and_user(app: &common::TestApp) -> (String, String) {
    (
        app.user("admin@example.org").await,
        app.user("user@example.org").await,
    )
}

async fn invite(app: &common::TestApp, admin: &str) -> Value {
    let res = app
        .post(admin, "/api/v1/admin/invitations")
        .json(&json!({"note": "for Carol", "days": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn signup_with(
    app: &common::TestApp,
    email: &str,
    invite: Option<&str>,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": email, "password": "correct horse battery", "invite": invite}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn by_invitation_each_link_signs_up_one_account_once() {
    let app = spawn_app().await;
    let (admin, user) = admin_and_user(&app).await;
    let app = common::restart(app, |c| c.signup = gallery::config::SignupMode::Invite).await;

    let res = signup_with(&app, "carol@example.org", None).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(error_of(res).await.contains("invitation"));
    let res = signup_with(&app, "carol@example.org", Some("made-up")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = app
        .post(&user, "/api/v1/admin/invitations")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "only admins invite");

    let made = invite(&app, &admin).await;
    let token = made["token"].as_str().unwrap();
    assert!(
        made["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/signup?invite={token}"))
    );
    let res = signup_with(&app, "carol@example.org", Some(token)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = signup_with(&app, "dave@example.org", Some(token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "used once only");
    assert_eq!(app.rows("users").await, 3);

    // Withdrawn and expired links do not work either.
    let withdrawn = invite(&app, &admin).await;
    let res = app
        .delete(
            &admin,
            &format!(
                "/api/v1/admin/invitations/{}",
                withdrawn["invitation"]["id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = signup_with(&app, "erin@example.org", withdrawn["token"].as_str()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let expired = invite(&app, &admin).await;
    sqlx::query("UPDATE invitations SET expires_at = 1 WHERE id = $1")
        .bind(expired["invitation"]["id"].as_str().unwrap())
        .execute(&app.state.db)
        .await
        .unwrap();
    let res = signup_with(&app, "erin@example.org", expired["token"].as_str()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let list: Vec<Value> = fetch(app.get(&admin, "/api/v1/admin/invitations")).await;
    assert_eq!(list.len(), 2, "the used one and the expired one");
    assert!(list.iter().any(|i| i["used_at"].is_i64()));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sign_ups_racing_with_one_invitation_make_one_account() {
    let app = spawn_app_with(|c| c.signup = gallery::config::SignupMode::Invite).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"))
        .args(["admin", "invite", "--days", "1"])
        .env("GALLERY_DATABASE_URL", &app.state.config.database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = String::from_utf8(out.stdout).unwrap();
    let token = link.trim().rsplit("invite=").next().unwrap().to_owned();
    let (a, b) = tokio::join!(
        signup_with(&app, "first@example.org", Some(&token)),
        signup_with(&app, "second@example.org", Some(&token))
    );
    let winner = if a.status() == StatusCode::CREATED {
        "first@example.org"
    } else {
        "second@example.org"
    };
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::FORBIDDEN]);
    assert_eq!(app.rows("users").await, 1);
    let login: Value = app
        .login(winner, "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    let me: Value = fetch(app.get(login["token"].as_str().unwrap(), "/api/v1/me")).await;
    assert_eq!(
        me["role"], "admin",
        "the first account of a gallery is its admin"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_gallery_takes_no_sign_ups() {
    let app = spawn_app_with(|c| c.signup = gallery::config::SignupMode::Closed).await;
    let res = app.signup("ada@example.org").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(error_of(res).await.contains("closed"));
    let page = common::text(app.client.get(app.url("/signup"))).await;
    assert!(page.contains("Sign-up is closed"));
    let page = common::text(app.client.get(app.url("/login"))).await;
    assert!(!page.contains("Create an account"));
}

async fn login_from(app: &common::TestApp, forwarded_for: &str, email: &str) -> StatusCode {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": "wrong guess here"}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let app = spawn_app_with(|c| {
        c.login_per_ip = 3;
        c.login_per_account = 1000;
        c.trusted_proxies = Some("127.0.0.1/32, ::1".into());
    })
    .await;
    for n in 0..3 {
        let status = login_from(&app, "198.51.100.7", &format!("u{n}@example.org")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&app, "198.51.100.7", "u9@example.org").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged first hop does not help: the proxy appended the real address last.
    assert_eq!(
        login_from(&app, "10.9.9.9, 198.51.100.7", "u9@example.org").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "198.51.100.8", "u9@example.org").await,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy"
    );
    // IPv6 clients count per /64.
    for n in 0..3 {
        let status = login_from(&app, &format!("2001:db8:1:2::{n}"), "v6@example.org").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&app, "2001:db8:1:2:ffff::1", "v6@example.org").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "2001:db8:1:3::1", "v6@example.org").await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(|c| {
        c.login_per_ip = 3;
        c.login_per_account = 1000;
    })
    .await;
    for n in 0..3 {
        let status = login_from(&app, &format!("203.0.113.{n}"), "x@example.org").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_from(&app, "203.0.113.99", "x@example.org").await,
        StatusCode::TOO_MANY_REQUESTS,
        "every guess came from the same peer"
    );
}
