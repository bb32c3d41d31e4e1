//! Sign-in with OpenID Connect against a real provider: npm oidc-provider (OpenID
//! Certified), started by scripts/test.sh, which sets GALLERY_TEST_OIDC to its issuer. Each
//! test registers its own client there (Dynamic Client Registration) and drives the whole
//! code flow over HTTP, like a browser without JavaScript.
mod common;

use common::{TestApp, post_form, sign_in_in_browser, spawn_app, spawn_app_on, text};
use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};

const PROVIDER_NAME: &str = "Test ID";

fn provider() -> String {
    std::env::var("GALLERY_TEST_OIDC")
        .expect("GALLERY_TEST_OIDC is not set: run the tests with scripts/test.sh")
}

/// A gallery signing in with the test provider, as a client registered for its address.
async fn oidc_app() -> (TestApp, String) {
    oidc_app_with(|_| {}).await
}

async fn oidc_app_with(
    tweak: impl FnOnce(&mut gallery::Config) + Send + 'static,
) -> (TestApp, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client: Value = reqwest::Client::new()
        .post(format!("{}/reg", provider()))
        .json(&json!({
            "redirect_uris": [format!("{base}/auth/callback")],
            "post_logout_redirect_uris": [format!("{base}/login")],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = client["client_id"].as_str().unwrap().to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    let client_id = id.clone();
    let app = spawn_app_on(listener, move |c| {
        c.oidc_issuer = Some(provider());
        c.oidc_client_id = Some(client_id);
        c.oidc_client_secret = Some(secret);
        c.oidc_name = Some(PROVIDER_NAME.into());
        tweak(c);
    })
    .await;
    (app, id)
}

fn location(res: &reqwest::Response, base: &str) -> String {
    let to = res.headers()["location"].to_str().unwrap();
    if to.starts_with('/') {
        format!("{base}{to}")
    } else {
        to.to_owned()
    }
}

/// Starts a sign-in in this browser and signs in at the provider as `account`; returns
/// the callback address the provider sends the browser back to (not yet visited).
async fn at_provider(app: &TestApp, b: &Client, account: &str) -> String {
    let res = b.get(app.url("/auth/oidc")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut url = location(&res, &app.base);
    assert!(url.starts_with(&provider()), "{url}");
    loop {
        if url.starts_with(&app.base) {
            return url;
        }
        let res = if url.contains("/interaction/") {
            let form = b.get(&url).send().await.unwrap();
            assert_eq!(form.status(), StatusCode::OK, "the provider's sign-in form");
            b.post(&url)
                .form(&[("account", account)])
                .send()
                .await
                .unwrap()
        } else {
            b.get(&url).send().await.unwrap()
        };
        assert!(res.status().is_redirection(), "{} at {url}", res.status());
        url = location(&res, &provider());
    }
}

/// A browser that keeps cookies and shows every redirect.
fn new_browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

async fn signed_in(app: &TestApp, b: &Client) -> bool {
    b.get(app.url("/gallery")).send().await.unwrap().status() == StatusCode::OK
}

#[tokio::test]
async fn the_first_sign_in_makes_the_account_from_the_id_token() {
    let (app, _) = oidc_app().await;
    let b = new_browser();
    let login = text(b.get(app.url("/login"))).await;
    assert!(login.contains(&format!("Sign in with {PROVIDER_NAME}")));

    let callback = at_provider(&app, &b, "alice").await;
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(res.headers()["location"], "/gallery");
    let page = text(b.get(app.url("/gallery"))).await;
    assert!(page.contains("Alice Example"), "the name from the ID token");
    let (email, has_password): (String, i64) = sqlx::query_as(
        "SELECT email, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END FROM users",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!((email.as_str(), has_password), ("alice@example.org", 0));
    // The provider verified the address, so it counts as confirmed here.
    let (verified,): (Option<i64>,) = sqlx::query_as("SELECT email_verified_at FROM users")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert!(verified.is_some());
    let (issuer, subject): (String, String) =
        sqlx::query_as("SELECT issuer, subject FROM identities")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(
        (issuer.trim_end_matches('/'), subject.as_str()),
        (provider().as_str(), "alice")
    );

    // Signing in again finds the same account.
    let again = new_browser();
    let callback = at_provider(&app, &again, "alice").await;
    assert_eq!(
        again.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(signed_in(&app, &again).await);
    assert_eq!(app.rows("users").await, 1);
}

#[tokio::test]
async fn without_a_provider_there_is_no_button_and_no_route() {
    let app = spawn_app().await;
    let b = new_browser();
    let login = text(b.get(app.url("/login"))).await;
    assert!(!login.contains("/auth/oidc"));
    assert_eq!(
        b.get(app.url("/auth/oidc")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn linking_a_verified_email_ends_what_a_squatter_set_up_before() {
    let (app, _) = oidc_app().await;
    // Someone signs up with the victim's address before the victim first uses SSO.
    let squatter = app.user("alice@example.org").await;
    let squatter_browser = new_browser();
    let res = sign_in_in_browser(&squatter_browser, &app.base, "alice@example.org").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(signed_in(&app, &squatter_browser).await);

    // The owner signs in through the provider, which vouches for the address.
    let b = new_browser();
    let callback = at_provider(&app, &b, "alice").await;
    assert_eq!(
        b.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(signed_in(&app, &b).await);
    assert_eq!(app.rows("users").await, 1);
    assert_eq!(app.rows("identities").await, 1);

    // Everything the squatter had is gone: the token, the browser session, the password.
    let res = app.get(&squatter, "/api/v1/me").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!signed_in(&app, &squatter_browser).await);
    let res = app
        .login("alice@example.org", "correct horse battery")
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The owner can set a password of their own without knowing the old one.
    let res = post_form(
        &b,
        &app.base,
        "/account",
        "/account/password",
        &[("new_password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .login("alice@example.org", "a brand new passphrase")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn linking_an_account_whose_address_was_confirmed_keeps_its_password_and_sessions() {
    let (app, _) = oidc_app_with(common::mail::with_mail).await;
    // The provider's test account is alice@example.org: the letter is the next one to it
    // (the PostgreSQL pass runs this test again with the same mail server).
    let before = common::mail::letters_to("alice@example.org").len();
    let token = app.user("alice@example.org").await;
    let letter =
        common::mail::wait_letter("alice@example.org", "Confirm your email", before + 1).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/email/verify"))
        .json(&json!({"token": letter.token("/verify-email")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let b = new_browser();
    let callback = at_provider(&app, &b, "alice").await;
    assert_eq!(
        b.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(signed_in(&app, &b).await);
    assert_eq!(app.rows("users").await, 1);
    assert_eq!(app.rows("identities").await, 1);
    // The same person proved the address twice: nothing of theirs ended.
    let me = app.get(&token, "/api/v1/me").send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let res = app
        .login("alice@example.org", "correct horse battery")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn starting_sign_ins_is_limited_per_address() {
    let (app, _) = oidc_app_with(|c| c.login_per_ip = 3).await;
    let b = new_browser();
    for _ in 0..3 {
        let res = b.get(app.url("/auth/oidc")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let res = b.get(app.url("/auth/oidc")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.rows("oidc_logins").await,
        3,
        "no row for the refused one"
    );
}

#[tokio::test]
async fn a_gallery_by_invitation_makes_no_account_for_a_stranger_from_the_provider() {
    let (app, _) = oidc_app_with(|c| c.signup = gallery::config::SignupMode::Invite).await;
    let (_, invite) = gallery::auth::invitations::create(&app.state.db, None, None, 1)
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": "carol@example.org", "password": "correct horse battery", "invite": invite}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let b = new_browser();
    let callback = at_provider(&app, &b, "alice").await;
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("invitation"));
    assert_eq!(app.rows("users").await, 1);
    // Someone who has an account still signs in with the provider.
    let b = new_browser();
    let callback = at_provider(&app, &b, "carol").await;
    assert_eq!(
        b.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(signed_in(&app, &b).await);
}

#[tokio::test]
async fn an_unverified_email_is_not_linked_to_an_existing_account() {
    let (app, _) = oidc_app().await;
    app.user("bob@example.org").await;
    let b = new_browser();
    let callback = at_provider(&app, &b, "bob").await;
    let res = b.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(page.contains("has not verified"), "{page}");
    assert!(!signed_in(&app, &b).await);
    assert_eq!(app.rows("identities").await, 0);
}

#[tokio::test]
async fn a_wrong_or_missing_state_is_refused() {
    let (app, _) = oidc_app().await;
    let b = new_browser();
    let callback = at_provider(&app, &b, "alice").await;
    let url = reqwest::Url::parse(&callback).unwrap();
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    for bad in [
        format!("/auth/callback?code={code}&state=forged"),
        format!("/auth/callback?code={code}"),
        "/auth/callback?state=x".to_owned(),
    ] {
        let res = b.get(app.url(&bad)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(res.text().await.unwrap().contains("start again"));
        assert!(!signed_in(&app, &b).await);
    }
    // The right state, but from another browser: refused too.
    let other = new_browser();
    let res = other.get(&callback).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(!signed_in(&app, &other).await);
    assert_eq!(app.rows("sessions").await, 0);
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let (app, _) = oidc_app().await;
    let b = new_browser();
    let first = at_provider(&app, &b, "alice").await;
    assert_eq!(
        b.get(&first).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let old_code = reqwest::Url::parse(&first)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();

    // The same callback again, from a browser that starts afresh: its state is used up.
    let thief = new_browser();
    let res = thief.get(&first).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A fresh, valid state with the old code: the provider refuses the code.
    let res = thief.get(app.url("/auth/oidc")).send().await.unwrap();
    let authorize = reqwest::Url::parse(&location(&res, &app.base)).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let res = thief
        .get(app.url(&format!("/auth/callback?code={old_code}&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("refused the sign-in code")
    );
    assert!(!signed_in(&app, &thief).await);
}

#[tokio::test]
async fn id_tokens_that_do_not_verify_are_refused() {
    let (app, client_id) = oidc_app().await;
    for (mode, why) in [
        ("wrong-nonce", "nonce"),
        ("other-issuer", "issuer"),
        ("other-audience", "audience"),
        ("expired", "expired"),
        ("bad-signature", "signature"),
    ] {
        reqwest::Client::new()
            .post(format!("{}/__test/tamper", provider()))
            .json(&json!({"client_id": client_id, "mode": mode}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let b = new_browser();
        let callback = at_provider(&app, &b, "carol").await;
        let res = b.get(&callback).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{mode}");
        let page = res.text().await.unwrap().to_lowercase();
        assert!(page.contains("could not be verified"), "{mode}: {page}");
        assert!(page.contains(why), "{mode} names the reason: {page}");
        assert!(!signed_in(&app, &b).await, "{mode}");
    }
    assert_eq!(app.rows("users").await, 0);
}

#[tokio::test]
async fn a_provider_that_is_down_gets_a_clear_page() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = common::spawn_app_with(move |c| {
        c.oidc_issuer = Some(issuer);
        c.oidc_client_id = Some("gallery".into());
        c.oidc_client_secret = Some("secret".into());
    })
    .await;
    let b = new_browser();
    let res = b.get(app.url("/auth/oidc")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = res.text().await.unwrap();
    assert!(page.contains("cannot be reached"), "{page}");
    assert!(page.contains("sign in with your password"));
}

#[tokio::test]
async fn signing_out_ends_the_session_and_offers_the_providers_sign_out() {
    let (app, client_id) = oidc_app().await;
    let b = new_browser();
    let callback = at_provider(&app, &b, "alice").await;
    b.get(&callback).send().await.unwrap();
    let res = post_form(&b, &app.base, "/gallery", "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&app, &b).await);
    let login = text(b.get(app.url(&location(&res, "")))).await;
    assert!(login.contains("You are signed out of the gallery"));
    let end = format!("{}/session/end?client_id={client_id}", provider());
    assert!(login.contains(&end), "{login}");
}
