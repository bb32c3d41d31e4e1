//! TLS to PostgreSQL (sqlx with rustls): `sslmode=require` and `sslmode=verify-full` with
//! the CA in `sslrootcert`, against the tests' PostgreSQL, which speaks TLS with a
//! certificate from a test CA (scripts/postgres.sh). Runs in the PostgreSQL pass of
//! scripts/test.sh (GALLERY_TEST_POSTGRES and GALLERY_TEST_PG_CA).
mod common;

use common::{database_url, spawn_app_with};
use reqwest::StatusCode;

/// The tests' PostgreSQL and its CA, or None in the SQLite pass.
fn postgres() -> Option<String> {
    let ca = std::env::var("GALLERY_TEST_PG_CA").ok();
    if std::env::var("GALLERY_TEST_POSTGRES").is_ok() {
        return Some(
            ca.expect("GALLERY_TEST_PG_CA is set with GALLERY_TEST_POSTGRES by scripts/test.sh"),
        );
    }
    eprintln!(
        "no PostgreSQL in this pass (GALLERY_TEST_POSTGRES): TLS to it is tested in the PostgreSQL pass"
    );
    None
}

/// Whether the connection of a pool is encrypted, as the server sees it.
async fn encrypted(db: &gallery::db::Db) -> bool {
    let (ssl,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(db)
            .await
            .unwrap();
    ssl
}

#[tokio::test]
async fn verify_full_with_the_servers_ca_connects_over_tls() {
    let Some(ca) = postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "{}?sslmode=verify-full&sslrootcert={ca}",
        database_url(dir.path()).await
    );
    let app = spawn_app_with(move |c| c.database_url = url).await;
    assert!(encrypted(&app.state.db).await);
    assert_eq!(
        app.signup("ada@example.org").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn require_encrypts_without_checking_the_certificate() {
    let Some(_) = postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}?sslmode=require", database_url(dir.path()).await);
    let db = gallery::db::connect(&url)
        .await
        .expect("sslmode=require connects");
    assert!(encrypted(&db).await);
}

#[tokio::test]
async fn verify_full_refuses_a_server_whose_certificate_it_cannot_trust() {
    let Some(_) = postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Without the test CA the server's certificate chains to nothing the client trusts.
    let url = format!("{}?sslmode=verify-full", database_url(dir.path()).await);
    let err = gallery::db::connect(&url)
        .await
        .expect_err("an untrusted server is refused");
    let text = format!("{err:#}").to_lowercase();
    assert!(
        text.contains("certificate") || text.contains("tls") || text.contains("ssl"),
        "{text}"
    );
}
