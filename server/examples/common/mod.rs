//! What the benchmarks share: accounts made through the API, and percentiles.

use std::time::Duration;

use serde_json::{Value, json};

/// A server's settings for a benchmark in `dir`: the database of `BENCH_DATABASE_URL` (a
/// SQLite file there otherwise), files there, no classifier, and sign-in and sign-up limits
/// high enough for many accounts from one address.
pub fn bench_config(dir: &std::path::Path) -> gallery::Config {
    use clap::Parser;
    let mut config = gallery::config::Cli::parse_from(["gallery"]).config;
    config.database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/gallery.db", dir.display()));
    config.storage = format!("fs:{}/objects", dir.display());
    config.login_per_ip = 10_000;
    config.signup_per_ip = 10_000;
    config.classifier = "off".into();
    config
}

/// The `p` percentile (0 to 1) of sorted durations, in milliseconds: the nearest rank, as
/// the dashboard reports it (`gallery::stats::percentile`).
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    gallery::stats::percentile(sorted, p).as_secs_f64() * 1000.0
}

/// A new account, signed up and in through the API at `api`: its id and bearer token.
pub async fn account(
    client: &reqwest::Client,
    api: &str,
    email: &str,
) -> anyhow::Result<(String, String)> {
    let creds = json!({"email": email, "password": "correct horse battery"});
    let made: Value = client
        .post(format!("{api}/auth/signup"))
        .json(&creds)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let login: Value = client
        .post(format!("{api}/auth/login"))
        .json(&creds)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = made["user"]["id"].as_str().unwrap_or_default().to_owned();
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    Ok((id, token))
}
