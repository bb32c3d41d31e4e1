//! Two-step sign-in with TOTP: setting it up, signing in with a code (the API and the
//! pages), recovery codes, codes that work once, guessing limited in the database, the
//! half-signed-in browser that can reach nothing, and GALLERY_REQUIRE_2FA.
mod common;

use common::{TestApp, browser, error_of, fetch, post_form, restart, spawn_app, spawn_app_with};
use gallery::config::TwoFactorRule;
use reqwest::StatusCode;
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

const PASSWORD: &str = "correct horse battery";

/// The code an authenticator app shows for `secret` at `at` seconds since the epoch.
fn code_at(secret: &str, at: u64) -> String {
    let secret = Secret::try_from_base32(secret).unwrap();
    Builder::new()
        .with_secret(secret)
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Turns two-step sign-in on for the account of `token`: its secret and recovery codes.
async fn turn_on(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let setup: Value = fetch(app.post(token, "/api/v1/me/two-step")).await;
    let secret = setup["secret"].as_str().unwrap().to_owned();
    assert!(
        setup["url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    // The code of the step before: the next sign-in may use the current one.
    let res = app
        .post(token, "/api/v1/me/two-step/confirm")
        .json(&json!({"code": code_at(&secret, now() - 30)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

async fn login(app: &TestApp, email: &str, code: Option<&str>) -> reqwest::Response {
    let mut body = json!({"email": email, "password": PASSWORD});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_code_from_the_app_is_the_second_step_and_works_once() {
    // More sign-ins than the per-account budget of a minute allows.
    let app = spawn_app_with(|c| c.login_per_account = 100).await;
    let token = app.user("ada@example.org").await;
    let (secret, codes) = turn_on(&app, &token).await;
    assert_eq!(codes.len(), 10);
    let me: Value = fetch(app.get(&token, "/api/v1/me")).await;
    assert_eq!(me["two_factor"], true);

    let res = login(&app, "ada@example.org", None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(error_of(res).await.contains("two steps"));
    let res = login(&app, "ada@example.org", Some("000000")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let code = code_at(&secret, now());
    assert_eq!(
        login(&app, "ada@example.org", Some(&code)).await.status(),
        StatusCode::OK
    );
    // The same code again (someone who saw it over a shoulder) is refused.
    assert_eq!(
        login(&app, "ada@example.org", Some(&code)).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A recovery code works once, with or without its dash, in any case.
    let recovery = codes[3].to_uppercase().replace('-', "");
    assert_eq!(
        login(&app, "ada@example.org", Some(&recovery))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "ada@example.org", Some(&codes[3]))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Turning it off takes the password.
    let res = app
        .delete(&token, "/api/v1/me/two-step")
        .json(&json!({"password": "not my password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .delete(&token, "/api/v1/me/two-step")
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        login(&app, "ada@example.org", None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn guessing_codes_is_limited_per_account_on_every_server() {
    let app = spawn_app().await;
    let token = app.user("bo@example.org").await;
    let (secret, codes) = turn_on(&app, &token).await;
    let mut refused = None;
    for i in 0..40 {
        let guess = format!("{:06}", 100_000 + i);
        let res = login(&app, "bo@example.org", Some(&guess)).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(i);
            break;
        }
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = refused.expect("guessing was never limited");
    assert!(refused <= 25, "{refused} guesses were allowed");
    // The limit holds for the right code and a recovery code too, and on another server.
    let other = restart(app, |_| {}).await;
    let res = login(&other, "bo@example.org", Some(&code_at(&secret, now()))).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = login(&other, "bo@example.org", Some(&codes[0])).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_half_signed_in_browser_reaches_nothing_until_the_code() {
    let app = spawn_app().await;
    let token = app.user("cy@example.org").await;
    let (secret, _) = turn_on(&app, &token).await;
    let b = browser();
    let res = post_form(
        &b,
        &app.base,
        "/login",
        "/login",
        &[("email", "cy@example.org"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("Two-step sign-in"), "{page}");
    // Going straight to a page or the API with what the browser holds now: signed out.
    for path in ["/gallery", "/account", "/trash"] {
        let res = b.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], "/login", "{path}");
    }
    let res = b.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A wrong code asks again; the right one signs in.
    let csrf = common::csrf_in(&page);
    let res = b
        .post(app.url("/login/code"))
        .form(&[("csrf", csrf.as_str()), ("code", "123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let csrf = common::csrf_in(&res.text().await.unwrap());
    let res = b
        .post(app.url("/login/code"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", code_at(&secret, now()).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/gallery");
    assert_eq!(
        b.get(app.url("/gallery")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_second_step_of_one_account_does_not_sign_in_another() {
    let app = spawn_app().await;
    let ada = app.user("dee@example.org").await;
    let (ada_secret, _) = turn_on(&app, &ada).await;
    let eve = app.user("eve@example.org").await;
    let (_, eve_codes) = turn_on(&app, &eve).await;
    // Eve's recovery code, or Ada's app's code for Eve: neither is Eve's... nor Ada's.
    let res = login(&app, "dee@example.org", Some(&eve_codes[0])).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = login(&app, "eve@example.org", Some(&code_at(&ada_secret, now()))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn when_the_gallery_requires_two_steps_one_must_set_them_up_first() {
    let app = spawn_app_with(|c| c.require_2fa = TwoFactorRule::All).await;
    let token = app.user("fay@example.org").await;
    let res = app.get(&token, "/api/v1/folders").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(error_of(res).await.contains("two-step"));
    assert_eq!(
        app.get(&token, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::OK
    );
    // The pages send the browser to the account page.
    let b = browser();
    common::sign_in_in_browser(&b, &app.base, "fay@example.org").await;
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/account");
    let page = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("asks you to turn on two-step sign-in"));

    turn_on(&app, &token).await;
    let res = app.get(&token, "/api/v1/folders").send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

#[tokio::test]
async fn setting_up_in_the_account_page_shows_a_qr_code_and_recovery_codes_once() {
    let app = spawn_app().await;
    let b = browser();
    common::sign_up_in_browser(&app, &b, "gil@example.org").await;
    let res = post_form(&b, &app.base, "/account", "/account/two-step", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("<svg"), "a QR code");
    let start = page.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    let secret: String = page[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let csrf = common::form_csrf(&page, "/account/two-step/confirm").unwrap();
    let res = b
        .post(app.url("/account/two-step/confirm"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", code_at(&secret, now() - 30).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"recovery-codes\""));
    assert_eq!(page.matches("<li><code>").count(), 10);
    let again = b
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains("id=\"recovery-codes\""), "shown once");
    assert!(again.contains("Recovery codes left: 10"));
}
