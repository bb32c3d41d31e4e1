//! Benchmark (not a test): the admin dashboard with 1 000 users and 100 000 photos (100
//! each, every one with its finished job; a week of activity; some failed and waiting
//! jobs). p50/p99 over HTTP of the whole page (`/admin`) and of the panels it refreshes
//! (`/admin/panels`), then the plan of each query the dashboard runs, to show that none
//! reads all photos or all jobs. Real server on port 0; SQLite by default, the database
//! of `BENCH_DATABASE_URL` otherwise. Run it with `scripts/bench-admin.sh`.

mod common;

use std::time::Instant;

use gallery::activity::{self, Kind, MINUTE_MS};
use gallery::admin::dashboard;
use gallery::db::Backend;
use gallery::{AppState, app};

const USERS: usize = 1_000;
const PHOTOS_PER_USER: usize = 100;
const REQUESTS: usize = 200;

async fn fill(state: &AppState) -> anyhow::Result<()> {
    let now = gallery::db::now_ms();
    for u in 0..USERS {
        let mut tx = state.db.begin().await?;
        let owner = format!("u{u:04}");
        sqlx::query(
            "INSERT INTO users (id, email, display_name, role, created_at, last_seen_at, image_count, bytes_used)
             VALUES ($1, $2, $3, 'user', $4, $4, $5, $6)",
        )
        .bind(&owner)
        .bind(format!("user{u:04}@example.org"))
        .bind(format!("User {u}"))
        .bind(now - (USERS - u) as i64 * 60_000)
        .bind(PHOTOS_PER_USER as i64)
        .bind(PHOTOS_PER_USER as i64 * 1_000_000)
        .execute(&mut *tx)
        .await?;
        let mut images = String::from(
            "INSERT INTO images (id, owner_id, folder_id, filename, content_type, bytes, width, height, sha256, taken_at, created_at, status, object_key, thumb_key, thumb_width, thumb_height) VALUES ",
        );
        let mut jobs = String::from(
            "INSERT INTO jobs (id, image_id, kind, state, attempts, max_attempts, run_after, last_error, created_at, updated_at, backend, fetch_ms, prepare_ms, predict_ms) VALUES ",
        );
        let mut rows = Vec::new();
        let mut job_rows = Vec::new();
        for n in 0..PHOTOS_PER_USER {
            let id = format!("i{u:04}{n:03}");
            let created = now - ((u * PHOTOS_PER_USER + n) as i64 % (7 * 24 * 60)) * MINUTE_MS;
            // One photo in a thousand failed, one in five hundred still waits.
            let (status, state, error) = match (u * PHOTOS_PER_USER + n) % 1000 {
                0 => ("error", "error", "'the photo could not be read'"),
                1 | 2 => ("queued", "queued", "NULL"),
                _ => ("done", "done", "NULL"),
            };
            rows.push(format!(
                "('{id}', '{owner}', NULL, 'IMG_{n:03}.jpg', 'image/jpeg', 1000000, 4000, 3000, 'x', {created}, {created}, '{status}', 'o/{id}', 't/{id}', 533, 400)"
            ));
            job_rows.push(format!(
                "('j{id}', '{id}', 'classify', '{state}', 1, 3, {created}, {error}, {created}, {}, 'local', 2.5, 9.0, 14.0)",
                created + 500
            ));
        }
        images.push_str(&rows.join(", "));
        jobs.push_str(&job_rows.join(", "));
        sqlx::query(sqlx::AssertSqlSafe(images))
            .execute(&mut *tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(jobs))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    // A week of minutes of activity, as the uploads above would have left it.
    let minute = activity::minute_of(now);
    let mut tx = state.db.begin().await?;
    for m in (minute - 7 * 24 * 60)..=minute {
        for kind in [Kind::Uploads, Kind::Classified] {
            activity::add(&mut *tx, kind, 10, m * MINUTE_MS).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The database's plan of a query, one line per step.
async fn plan(
    state: &AppState,
    backend: Backend,
    sql: &str,
    binds: &[&str],
) -> anyhow::Result<Vec<String>> {
    let mut text = sql.to_owned();
    for (i, value) in binds.iter().enumerate().rev() {
        text = text.replace(&format!("${}", i + 1), value);
    }
    let explain = match backend {
        Backend::Sqlite => format!("EXPLAIN QUERY PLAN {text}"),
        Backend::Postgres => format!("EXPLAIN {text}"),
    };
    let lines = match backend {
        Backend::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(explain))
                .fetch_all(&state.db)
                .await?;
            rows.into_iter().map(|r| r.3).collect()
        }
        Backend::Postgres => {
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(explain))
                .fetch_all(&state.db)
                .await?;
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    Ok(lines)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = common::bench_config(dir.path());
    let backend = Backend::of_url(&config.database_url)?;
    let database = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let state = AppState::new(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(app::serve(listener, state.clone()));
    let client = reqwest::Client::builder().cookie_store(true).build()?;

    let started = Instant::now();
    // The admin signs up first (the first account is the admin), then everyone else.
    common::account(&client, &format!("{base}/api/v1"), "admin@example.org").await?;
    fill(&state).await?;
    if backend == Backend::Postgres {
        sqlx::query("ANALYZE").execute(&state.db).await?;
    }
    println!(
        "{database}: {USERS} users, {} photos and their jobs, a week of activity, written in {:.1} s",
        USERS * PHOTOS_PER_USER,
        started.elapsed().as_secs_f64()
    );

    // Sign in through the page, as a browser does.
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let at = login.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = &login[at..at + 64];
    client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf),
            ("email", "admin@example.org"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await?
        .error_for_status()?;

    for path in ["/admin", "/admin/panels"] {
        let mut times = Vec::with_capacity(REQUESTS);
        let mut bytes = 0;
        for _ in 0..REQUESTS {
            let t = Instant::now();
            let page = client
                .get(format!("{base}{path}"))
                .send()
                .await?
                .error_for_status()?
                .text()
                .await?;
            times.push(t.elapsed());
            bytes = page.len();
            anyhow::ensure!(
                page.contains("id=\"figure-photos\">100000<"),
                "the page shows every photo"
            );
        }
        times.sort();
        println!(
            "{database} {path:<14} {:>4} KB  p50 {:6.2} ms  p99 {:6.2} ms",
            bytes / 1024,
            common::percentile(&times, 0.5),
            common::percentile(&times, 0.99)
        );
    }

    // Where the time goes: each part of the page alone, p50 over the same number of runs.
    let page = gallery::paging::PageQuery {
        limit: Some("50".into()),
        after: None,
    };
    let mut parts: Vec<(&str, Vec<std::time::Duration>)> = Vec::new();
    for _ in 0..REQUESTS {
        let mut timed = Vec::new();
        let t = Instant::now();
        dashboard::totals(&state.db).await?;
        timed.push(("totals", t.elapsed()));
        let t = Instant::now();
        dashboard::queue(&state.db).await?;
        timed.push(("queue", t.elapsed()));
        let t = Instant::now();
        dashboard::activity(&state.db).await?;
        timed.push(("charts' activity", t.elapsed()));
        let t = Instant::now();
        dashboard::database_bytes(&state.db, backend).await?;
        timed.push(("database size", t.elapsed()));
        let t = Instant::now();
        gallery::admin::accounts(&state.db, Some(""), &page).await?;
        timed.push(("a page of accounts", t.elapsed()));
        let t = Instant::now();
        gallery::admin::audit_log(&state.db, 50).await?;
        timed.push(("audit log", t.elapsed()));
        for (i, (name, d)) in timed.into_iter().enumerate() {
            if parts.len() <= i {
                parts.push((name, Vec::new()));
            }
            parts[i].1.push(d);
        }
    }
    for (name, mut times) in parts {
        times.sort();
        println!(
            "   {name:<20} p50 {:6.2} ms",
            common::percentile(&times, 0.5)
        );
    }

    println!("\nPlans of the dashboard's queries ({database}):");
    let now = gallery::db::now_ms().to_string();
    let minute = activity::minute_of(gallery::db::now_ms()).to_string();
    let hour_ago = (gallery::db::now_ms() - 3_600_000).to_string();
    let week_ago = (activity::minute_of(gallery::db::now_ms()) - 7 * 24 * 60).to_string();
    let recent_errors = gallery::jobs::recent_sql(true, &gallery::paging::Page::first(10));
    let hour_minute = (activity::minute_of(gallery::db::now_ms()) - 59).to_string();
    let queries: [(&str, &str, Vec<&str>); 10] = [
        ("totals (from the accounts)", dashboard::TOTALS, vec![]),
        ("jobs waiting", dashboard::JOBS_IN_STATE, vec!["'queued'"]),
        (
            "classified in the last minute",
            dashboard::DONE_SINCE,
            vec![&now],
        ),
        ("oldest waiting job", dashboard::OLDEST_WAITING, vec![]),
        (
            "time per step, last hour",
            dashboard::STEP_TIMES,
            vec![&hour_ago, "5000"],
        ),
        ("recent errors", &recent_errors, vec!["'error'"]),
        ("servers", dashboard::SERVERS, vec![&now]),
        (
            "a chart's minutes (an hour)",
            activity::PER_MINUTE,
            vec!["'uploads'", &hour_minute, &minute],
        ),
        (
            "a chart's hours (a week)",
            activity::PER_HOUR,
            vec!["'uploads'", &week_ago, &minute],
        ),
        (
            "a page of accounts",
            "SELECT id, email FROM users WHERE ('' = '' OR email LIKE '%a%') ORDER BY created_at, id LIMIT 51",
            vec![],
        ),
    ];
    for (name, sql, binds) in queries {
        println!("  {name}:");
        for line in plan(&state, backend, sql, &binds).await? {
            println!("      {line}");
        }
    }
    Ok(())
}
