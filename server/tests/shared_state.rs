//! What must hold for any number of servers behind a load balancer: every limit and every
//! question waiting for an answer is kept in the database, so two servers on one database
//! (one PostgreSQL in the PostgreSQL pass of scripts/test.sh, one SQLite file otherwise)
//! count and remember as one.
mod common;

use common::{TestApp, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Two servers on one database and one storage folder.
async fn two_servers(tweak: fn(&mut gallery::Config)) -> (TestApp, TestApp) {
    let a = spawn_app_with(tweak).await;
    let (database, storage) = (
        a.state.config.database_url.clone(),
        a.state.config.storage.clone(),
    );
    let b = spawn_app_with(move |c| {
        tweak(c);
        c.database_url = database;
        c.storage = storage;
    })
    .await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_attempts_count_the_same_on_every_server() {
    let (a, b) = two_servers(|c| {
        c.login_per_account = 5;
        c.login_per_ip = 1000;
    })
    .await;
    assert_eq!(
        a.signup("ada@example.org").await.status(),
        StatusCode::CREATED
    );
    let mut statuses = Vec::new();
    for n in 0..8 {
        let server = if n % 2 == 0 { &a } else { &b };
        statuses.push(
            server
                .login("ada@example.org", "a wrong guess")
                .await
                .status(),
        );
    }
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5], "{statuses:?}");
    assert_eq!(
        statuses[5..],
        [StatusCode::TOO_MANY_REQUESTS; 3],
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spoken_yes_may_reach_another_server() {
    let (a, b) = two_servers(|_| {}).await;
    let browser = common::browser();
    let csrf = common::sign_up_in_browser(&a, &browser, "ada@example.org").await;
    let login: Value = a
        .login("ada@example.org", "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    a.folder(token, "Junk", None).await;
    let say = |server: &TestApp, text: &str| {
        browser
            .post(server.url("/voice"))
            .header("X-CSRF-Token", &csrf)
            .json(&json!({"text": text}))
            .send()
    };
    let asked: Value = say(&a, "delete the junk folder")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(asked["action"]["kind"], "confirm", "{asked}");
    assert_eq!(
        a.rows("folders").await,
        1,
        "nothing deleted before the answer"
    );
    let answered: Value = say(&b, "yes").await.unwrap().json().await.unwrap();
    assert_eq!(answered["intent"], "confirm");
    assert!(
        answered["say"]
            .as_str()
            .unwrap()
            .contains("Moved the folder Junk to the Trash"),
        "{answered}"
    );
    assert_eq!(a.rows("folders").await, 0);
    // The question was answered once; a second "yes" anywhere finds nothing.
    let again: Value = say(&a, "yes").await.unwrap().json().await.unwrap();
    assert!(
        again["say"]
            .as_str()
            .unwrap()
            .contains("nothing to confirm")
    );
}
