//! Mail and getting back in, against a real SMTP server (aiosmtpd, started by
//! scripts/test.sh): the link that confirms an address, "forgot password?" and its
//! single-use link, a change of address, an admin sending a reset link, a mail server that
//! is down, and the log that stands in for mail on the embedded default.
mod common;

use std::time::{Duration, Instant};

use common::mail::{self, address, wait_letter, with_mail};
use common::{TestApp, browser, error_of, fetch, post_form, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn mail_app() -> TestApp {
    spawn_app_with(with_mail).await
}

async fn signup(app: &TestApp, email: &str) -> Value {
    let res = app.signup(email).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn me(app: &TestApp, token: &str) -> Value {
    fetch(app.get(token, "/api/v1/me")).await
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/email/verify"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap()
}

async fn forgot(app: &TestApp, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/password/forgot"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap()
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/password/reset"))
        .json(&json!({ "token": token, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_up_mails_a_link_that_confirms_the_address_once() {
    let app = mail_app().await;
    let email = address("ada");
    let made = signup(&app, &email).await;
    assert_eq!(made["user"]["email_verified"], false);
    let token = app.token(&email).await;
    assert_eq!(me(&app, &token).await["email_verified"], false);

    let letter = wait_letter(&email, "Confirm your email address", 1).await;
    // Plain text and HTML, the link built from the server's own address.
    assert!(
        letter
            .link()
            .starts_with(&format!("{}/verify-email?token=", app.base)),
        "{}",
        letter.text
    );
    assert!(
        letter.html.contains("Confirm my address"),
        "{}",
        letter.html
    );
    let link_token = letter.token("/verify-email");
    assert!(letter.html.contains(&link_token));

    // The link's page asks before it uses the token up (a mail scanner's GET does nothing).
    let b = browser();
    let page = b.get(letter.link()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(me(&app, &token).await["email_verified"], false);

    assert_eq!(
        verify(&app, &link_token).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(me(&app, &token).await["email_verified"], true);
    // A link works once.
    let again = verify(&app, &link_token).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(again).await.contains("already used"));
}

#[tokio::test]
async fn an_older_or_expired_confirmation_link_does_nothing() {
    let app = mail_app().await;
    let email = address("bo");
    signup(&app, &email).await;
    let token = app.token(&email).await;
    let first = wait_letter(&email, "Confirm your email", 1)
        .await
        .token("/verify-email");
    let res = app
        .post(&token, "/api/v1/me/email/verify")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let second = wait_letter(&email, "Confirm your email", 2)
        .await
        .token("/verify-email");
    // The newer link replaced the older one.
    assert_eq!(verify(&app, &first).await.status(), StatusCode::BAD_REQUEST);
    sqlx::query("UPDATE account_tokens SET expires_at = 0")
        .execute(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        verify(&app, &second).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(me(&app, &token).await["email_verified"], false);
}

#[tokio::test]
async fn with_confirmed_addresses_required_an_unconfirmed_account_cannot_sign_in() {
    let app = spawn_app_with(|c| {
        with_mail(c);
        c.require_verified_email = true;
    })
    .await;
    let email = address("cy");
    signup(&app, &email).await;
    let res = app.login(&email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(error_of(res).await.contains("confirm your email address"));
    // Nor in a browser.
    let b = browser();
    let res = post_form(
        &b,
        &app.base,
        "/login",
        "/login",
        &[("email", &email), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let link = wait_letter(&email, "Confirm your email", 1)
        .await
        .token("/verify-email");
    assert_eq!(verify(&app, &link).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.login(&email, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session_and_token() {
    let app = mail_app().await;
    let email = address("di");
    signup(&app, &email).await;
    let session = app.token(&email).await;
    let made: Value = fetch(
        app.post(&session, "/api/v1/me/tokens")
            .json(&json!({"name": "backup script", "scope": "write"})),
    )
    .await;
    let script = made["token"].as_str().unwrap().to_owned();
    let b = browser();
    assert_eq!(
        common::sign_in_in_browser(&b, &app.base, &email)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let res = forgot(&app, &email).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let letter = wait_letter(&email, "Choose a new password", 1).await;
    assert!(
        letter
            .link()
            .starts_with(&format!("{}/reset-password?token=", app.base))
    );
    let token = letter.token("/reset-password");

    // Too weak a password is refused, and the link still works after that.
    assert_eq!(
        reset(&app, &token, "short").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        reset(&app, &token, "a brand new passphrase").await.status(),
        StatusCode::NO_CONTENT
    );

    // Everything signed in before is signed out: the API session, the token, the browser.
    for old in [&session, &script] {
        assert_eq!(
            app.get(old, "/api/v1/me").send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the browser is signed out"
    );
    assert_eq!(
        app.login(&email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.login(&email, "a brand new passphrase").await;
    assert_eq!(res.status(), StatusCode::OK);
    // Opening the mailed link proved the address.
    let fresh: Value = res.json().await.unwrap();
    assert_eq!(fresh["user"]["email_verified"], true);

    // The link works once.
    let again = reset(&app, &token, "yet another passphrase").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.login(&email, "yet another passphrase").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_reset_link_is_refused_when_old_replaced_expired_or_for_something_else() {
    let app = mail_app().await;
    let email = address("ed");
    signup(&app, &email).await;
    let verify_token = wait_letter(&email, "Confirm your email", 1)
        .await
        .token("/verify-email");
    forgot(&app, &email).await;
    let first = wait_letter(&email, "Choose a new password", 1)
        .await
        .token("/reset-password");
    forgot(&app, &email).await;
    let second = wait_letter(&email, "Choose a new password", 2)
        .await
        .token("/reset-password");
    assert_ne!(first, second);
    // An older link, after a newer one was sent.
    assert_eq!(
        reset(&app, &first, "a brand new passphrase").await.status(),
        StatusCode::BAD_REQUEST
    );
    // A link of another kind: the address confirmation cannot set a password, nor the
    // reset link confirm an address.
    assert_eq!(
        reset(&app, &verify_token, "a brand new passphrase")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        verify(&app, &second).await.status(),
        StatusCode::BAD_REQUEST
    );
    // A link past its 30 minutes.
    sqlx::query("UPDATE account_tokens SET expires_at = 0 WHERE purpose = 'reset'")
        .execute(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        reset(&app, &second, "a brand new passphrase")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // Another account's link resets that account only.
    let other = address("fay");
    signup(&app, &other).await;
    forgot(&app, &other).await;
    let theirs = wait_letter(&other, "Choose a new password", 1)
        .await
        .token("/reset-password");
    assert_eq!(
        reset(&app, &theirs, "a brand new passphrase")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.login(&email, PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(
        app.login(&other, "a brand new passphrase").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_links_come_from_the_public_address_never_from_the_host_header() {
    let app = spawn_app_with(|c| {
        with_mail(c);
        c.public_url = Some("https://photos.example.test".into());
    })
    .await;
    let email = address("gus");
    signup(&app, &email).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/password/forgot"))
        .header("Host", "evil.example.com")
        .header("X-Forwarded-Host", "evil.example.com")
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let letter = wait_letter(&email, "Choose a new password", 1).await;
    assert!(
        letter
            .link()
            .starts_with("https://photos.example.test/reset-password?token="),
        "{}",
        letter.text
    );
    assert!(!letter.text.contains("evil") && !letter.html.contains("evil"));
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_a_missing_address_and_sends_nothing() {
    let app = spawn_app_with(|c| {
        with_mail(c);
        c.reset_per_hour = 1000;
    })
    .await;
    let email = address("hal");
    signup(&app, &email).await;
    let missing = address("nobody");
    let known = forgot(&app, &email).await;
    let unknown = forgot(&app, &missing).await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    wait_letter(&email, "Choose a new password", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(mail::letters_to(&missing).is_empty());

    // In time too: 200 tries each, interleaved; the medians are printed for the record.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        for (address, times) in [(&email, &mut known), (&missing, &mut unknown)] {
            let start = Instant::now();
            assert_eq!(forgot(&app, address).await.status(), StatusCode::ACCEPTED);
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    println!(
        "forgot password, median of 200: existing address {k:.2} ms, missing address {u:.2} ms"
    );
    assert!(
        (k - u).abs() < 2.0 + 0.3 * k.max(u),
        "existing {k:.2} ms, missing {u:.2} ms"
    );
}

#[tokio::test]
async fn forgot_password_is_limited_per_address_and_per_client() {
    let app = spawn_app_with(|c| {
        with_mail(c);
        c.reset_per_hour = 3;
    })
    .await;
    let email = address("ivy");
    for _ in 0..3 {
        assert_eq!(forgot(&app, &email).await.status(), StatusCode::ACCEPTED);
    }
    let res = forgot(&app, &address("someone-else")).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the client's budget is spent"
    );
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn changing_the_address_is_confirmed_at_the_new_one_and_told_to_the_old_one() {
    let app = mail_app().await;
    let old = address("jo");
    let new = address("jo-new");
    signup(&app, &old).await;
    let token = app.token(&old).await;
    let res = app
        .post(&token, "/api/v1/me/email")
        .json(&json!({"email": new, "password": "wrong password!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .post(&token, "/api/v1/me/email")
        .json(&json!({"email": new, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    // Nothing changes until the link is opened.
    assert_eq!(me(&app, &token).await["email"], old.as_str());
    let link = wait_letter(&new, "Confirm your new email address", 1)
        .await
        .token("/verify-email");
    assert_eq!(verify(&app, &link).await.status(), StatusCode::NO_CONTENT);
    let now = me(&app, &token).await;
    assert_eq!(now["email"], new.as_str());
    assert_eq!(now["email_verified"], true);
    let notice = wait_letter(&old, "has a new email address", 1).await;
    assert!(notice.text.contains(&new));
    assert_eq!(app.login(&new, PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(
        app.login(&old, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_admin_sends_a_reset_link_from_the_dashboard_and_the_command_line() {
    let app = mail_app().await;
    let admin = address("root");
    let b = browser();
    common::sign_up_in_browser(&app, &b, &admin).await;
    let email = address("kim");
    signup(&app, &email).await;
    let (id,): (String,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let page = format!("/admin/users/{id}");
    let res = post_form(&b, &app.base, &page, &page, &[("action", "reset")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("was sent"));
    wait_letter(&email, "Choose a new password", 1).await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"))
        .args(["admin", "reset", &email])
        .env("GALLERY_DATABASE_URL", &app.state.config.database_url)
        .env("GALLERY_STORAGE", &app.state.config.storage)
        .env("GALLERY_SMTP_URL", format!("smtp://{}", mail::smtp_addr()))
        .env("GALLERY_PUBLIC_URL", "https://photos.example.test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let letter = wait_letter(&email, "Choose a new password", 2).await;
    assert!(
        letter
            .link()
            .starts_with("https://photos.example.test/reset-password?token=")
    );
    let token = letter.token("/reset-password");
    assert_eq!(
        reset(&app, &token, "chosen after a call").await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_mail_server_that_is_down_delays_mail_and_never_a_page() {
    // A port nothing listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let email = address("lou");
    let start = Instant::now();
    signup(&app, &email).await;
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "sign-up waited for the mail server"
    );
    // The letter waits in the outbox, tried and failed.
    let waited = Instant::now();
    loop {
        let row: Option<(i64, Option<String>)> =
            sqlx::query_as("SELECT attempts, last_error FROM mail_outbox WHERE recipient = $1")
                .bind(&email)
                .fetch_optional(&app.state.db)
                .await
                .unwrap();
        if let Some((attempts, Some(_))) = row {
            assert!(attempts >= 1);
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "no failed attempt recorded: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The mail server comes up; the letter goes out on a later try.
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _) = mail_server(dir.path(), &["--port", &port.to_string()]);
    let found = kept_letter(dir.path()).await.unwrap_or_default();
    let _ = server.kill();
    let _ = server.wait();
    assert!(found.contains(&email), "the letter never arrived");
    assert_eq!(
        app.rows("mail_outbox").await,
        0,
        "a sent letter leaves the outbox"
    );
}

#[tokio::test]
async fn without_a_mail_server_each_letter_is_written_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr");
    let mut server = common::Binary::start_with_log(
        &[
            ("GALLERY_CLASSIFIER", "off".into()),
            // No mail server, whatever this machine's environment says.
            ("GALLERY_SMTP_URL", "off".into()),
            (
                "GALLERY_DATABASE_URL",
                format!("sqlite://{}/g.db", dir.path().display()),
            ),
            (
                "GALLERY_STORAGE",
                format!("fs:{}/objects", dir.path().display()),
            ),
        ],
        std::fs::File::create(&log).unwrap(),
    );
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"email": "mo@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let start = Instant::now();
    let written = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("verify-email?token=") || start.elapsed() > Duration::from_secs(15) {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    server.kill();
    assert!(written.contains("MAIL NOT SENT"), "{written}");
    assert!(written.contains("To: mo@example.org"), "{written}");
    assert!(
        written.contains(&format!("{base}/verify-email?token=")),
        "{written}"
    );
}

/// A test CA and a certificate for localhost signed by it (openssl): (ca, cert, key).
fn private_ca(dir: &std::path::Path) -> (String, String, String) {
    let path = |name: &str| dir.join(name).display().to_string();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Mail test CA",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.crt"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &path("mail.key"),
        "-out",
        &path("mail.csr"),
    ]);
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &path("mail.csr"),
        "-CA",
        &path("ca.crt"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &path("ext"),
        "-out",
        &path("mail.crt"),
    ]);
    (path("ca.crt"), path("mail.crt"), path("mail.key"))
}

/// A mail server of the test's own (tests/mail/server.py with `args`), keeping letters in
/// `dir/mail`: the process and its port.
fn mail_server(dir: &std::path::Path, args: &[&str]) -> (std::process::Child, u16) {
    let python =
        std::env::var("GALLERY_TEST_PYTHON").expect("GALLERY_TEST_PYTHON: run scripts/test.sh");
    let mut child = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/mail/server.py"
        ))
        .args(["--dir", dir.join("mail").to_str().unwrap()])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .expect("the server's port");
    (child, port)
}

/// Waits (up to 20 s) for a letter in the folder a TLS mail server of the test keeps.
async fn kept_letter(dir: &std::path::Path) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let found = std::fs::read_dir(dir.join("mail"))
            .ok()
            .and_then(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .find(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| std::fs::read_to_string(e.path()).unwrap())
            });
        if found.is_some() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn letters_go_over_starttls_and_implicit_tls_checking_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(dir.path());
    for (mode, scheme, query) in [
        ("--starttls", "smtp", "?tls=required"),
        ("--tls", "smtps", ""),
    ] {
        let here = tempfile::tempdir().unwrap();
        let (mut server, port) = mail_server(here.path(), &[mode, &cert, &key]);
        let url = format!("{scheme}://localhost:{port}{query}");
        // Without the CA, the server's certificate is not trusted: nothing is sent.
        let untrusting = spawn_app_with({
            let url = url.clone();
            move |c| c.smtp_url = Some(url)
        })
        .await;
        let email = address("tls");
        signup(&untrusting, &email).await;
        let start = Instant::now();
        let error = loop {
            let row: Option<(Option<String>,)> =
                sqlx::query_as("SELECT last_error FROM mail_outbox WHERE recipient = $1")
                    .bind(&email)
                    .fetch_optional(&untrusting.state.db)
                    .await
                    .unwrap();
            if let Some((Some(error),)) = row {
                break error;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{mode}: no failed attempt: {row:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            error.to_lowercase().contains("certificate"),
            "{mode}: {error}"
        );
        let kept = std::fs::read_dir(here.path().join("mail")).map_or(0, |e| e.count());
        assert_eq!(
            kept, 0,
            "{mode}: a letter went to a server whose certificate was not trusted"
        );

        // With it, the letter goes through TLS.
        let trusting = spawn_app_with({
            let (url, ca) = (url.clone(), ca.clone());
            move |c| {
                c.smtp_url = Some(url);
                c.smtp_ca_file = Some(ca.into());
            }
        })
        .await;
        let email = address("tls-ok");
        signup(&trusting, &email).await;
        let letter = kept_letter(here.path()).await;
        let _ = server.kill();
        let _ = server.wait();
        assert!(
            letter.is_some_and(|l| l.contains(&email)),
            "{mode}: the letter did not arrive"
        );
    }
}
