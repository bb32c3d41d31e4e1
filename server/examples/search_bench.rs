//! Benchmark (not a test): search latency on 100 000 photos' worth of rows across 50
//! users (2 000 each, 3 labels per photo, ten folders per user). p50/p99 over HTTP for a
//! one-word query ("beagle"), a hypernym ("animal", 398 classes) and two words ("dog
//! beach": a meaning and a folder name). Real server on port 0; SQLite by default, the
//! database of `BENCH_DATABASE_URL` otherwise. Run it with `scripts/bench-search.sh`.

mod common;

use std::time::Instant;

use gallery::{AppState, app};
use serde_json::Value;

const USERS: usize = 50;
const PHOTOS_PER_USER: usize = 2_000;
const REQUESTS: usize = 300;
const FOLDERS: [&str; 10] = [
    "Beach",
    "Vacation 2023",
    "Garden",
    "Birthday",
    "Hiking",
    "City",
    "Family",
    "Pets",
    "Snow",
    "Road trip",
];

/// A small deterministic random source, so that both databases get the same rows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Rows as an upload and the classifier would leave them, written in large batches.
async fn fill(state: &AppState, users: &[String], names: &[String]) -> anyhow::Result<()> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let now = gallery::db::now_ms();
    for (u, owner) in users.iter().enumerate() {
        let mut tx = state.db.begin().await?;
        let mut folders = Vec::new();
        for (f, name) in FOLDERS.iter().enumerate() {
            let id = format!("f{u:02}{f:02}");
            sqlx::query("INSERT INTO folders (id, owner_id, parent_id, name, created_at) VALUES ($1, $2, NULL, $3, $4)")
                .bind(&id)
                .bind(owner)
                .bind(*name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            folders.push(id);
        }
        for chunk in (0..PHOTOS_PER_USER).collect::<Vec<_>>().chunks(250) {
            let mut images = String::from(
                "INSERT INTO images (id, owner_id, folder_id, filename, content_type, bytes, width, height, sha256, taken_at, created_at, status, object_key, thumb_key, thumb_width, thumb_height) VALUES ",
            );
            let mut labels = String::from(
                "INSERT INTO image_labels (image_id, rank, label, class_index, score) VALUES ",
            );
            let mut image_binds: Vec<(String, Option<String>, String, i64, i64)> = Vec::new();
            let mut label_binds: Vec<(String, i64, String, i64, f64)> = Vec::new();
            for &n in chunk {
                let id = format!("i{u:02}{n:05}");
                let folder = match rng.below(3) {
                    0 => None,
                    _ => Some(folders[rng.below(folders.len() as u64) as usize].clone()),
                };
                let taken = now - rng.below(5 * 365 * 86_400_000) as i64;
                image_binds.push((
                    id.clone(),
                    folder,
                    format!("IMG_{n:05}.jpg"),
                    taken,
                    now - n as i64,
                ));
                let top = 0.3 + 0.68 * rng.unit();
                let scores = [
                    top,
                    (1.0 - top) * 0.6 * rng.unit(),
                    (1.0 - top) * 0.2 * rng.unit(),
                ];
                for (rank, score) in scores.into_iter().enumerate() {
                    let class = rng.below(1000) as i64;
                    label_binds.push((
                        id.clone(),
                        rank as i64,
                        names[class as usize].clone(),
                        class,
                        score,
                    ));
                }
            }
            let mut p = 0;
            let rows: Vec<String> = image_binds
                .iter()
                .map(|_| {
                    let row = format!(
                        "(${}, ${}, ${}, ${}, 'image/jpeg', 1000000, 4000, 3000, 'x', ${}, ${}, 'done', ${}, ${}, 533, 400)",
                        p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8
                    );
                    p += 8;
                    row
                })
                .collect();
            images.push_str(&rows.join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(images));
            for (id, folder, filename, taken, created) in &image_binds {
                query = query
                    .bind(id)
                    .bind(owner)
                    .bind(folder)
                    .bind(filename)
                    .bind(taken)
                    .bind(created)
                    .bind(format!("o/{id}"))
                    .bind(format!("t/{id}"));
            }
            query.execute(&mut *tx).await?;
            let rows: Vec<String> = (0..label_binds.len())
                .map(|r| {
                    format!(
                        "(${}, ${}, ${}, ${}, ${})",
                        5 * r + 1,
                        5 * r + 2,
                        5 * r + 3,
                        5 * r + 4,
                        5 * r + 5
                    )
                })
                .collect();
            labels.push_str(&rows.join(", "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(labels));
            for (id, rank, label, class, score) in &label_binds {
                query = query
                    .bind(id)
                    .bind(rank)
                    .bind(label)
                    .bind(class)
                    .bind(score);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = common::bench_config(dir.path());
    let database = if config.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let state = AppState::new(config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = format!("http://{}/api/v1", listener.local_addr()?);
    tokio::spawn(app::serve(listener, state.clone()));
    let client = reqwest::Client::new();

    let started = Instant::now();
    let mut tokens = Vec::new();
    let mut users = Vec::new();
    for u in 0..USERS {
        let (id, token) = common::account(&client, &api, &format!("user{u}@example.org")).await?;
        users.push(id);
        tokens.push(token);
    }
    let labels: Vec<Value> = serde_json::from_str(include_str!(
        "../../classifier-lambda/models/efficientnet-lite0/labels.json"
    ))?;
    let names: Vec<String> = labels
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect();
    fill(&state, &users, &names).await?;
    // The words of each name, as an upload stores them (and migration 0008 for older rows).
    let backfill = format!(
        "UPDATE images SET name_words = {} WHERE name_words IS NULL",
        gallery::search::NAME_WORDS_SQL
    );
    sqlx::query(sqlx::AssertSqlSafe(backfill))
        .execute(&state.db)
        .await?;
    if database == "PostgreSQL" {
        sqlx::query("ANALYZE").execute(&state.db).await?;
    }
    println!(
        "{database}: {} photos and {} labels of {USERS} users written in {:.1} s",
        USERS * PHOTOS_PER_USER,
        USERS * PHOTOS_PER_USER * 3,
        started.elapsed().as_secs_f64()
    );

    // Each query as a full page of 1 000 and as the first page of 200 the pages show; two
    // also say when (the words become a span of dates taken). "puppies" is a word WordNet
    // does not know: the everyday-words step embeds it (once; then it is remembered), and
    // "not remembered" forgets it before every request, so that each runs the sentence
    // encoder.
    for (kind, query, limit) in [
        ("one word", "beagle", "1000"),
        ("hypernym", "animal", "1000"),
        ("hypernym", "animal", "200"),
        ("two words", "dog beach", "1000"),
        ("with time", "dogs 2023", "200"),
        ("time only", "last summer", "200"),
        ("everyday", "puppies", "200"),
        ("not remembered", "puppies", "200"),
    ] {
        let fresh = kind == "not remembered";
        let forget = || {
            if fresh && let Some(everyday) = gallery::everyday::shipped() {
                everyday.forget();
            }
        };
        let mut times = Vec::with_capacity(REQUESTS);
        let mut found = 0;
        for r in 0..REQUESTS {
            let token = &tokens[r % tokens.len()];
            forget();
            let t = Instant::now();
            let res: Vec<Value> = client
                .get(format!("{api}/images"))
                .query(&[("q", query), ("limit", limit)])
                .bearer_auth(token)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            times.push(t.elapsed());
            found += res.len();
        }
        times.sort();
        let mut direct = Vec::with_capacity(REQUESTS);
        for r in 0..REQUESTS {
            forget();
            let t = Instant::now();
            gallery::images::search(
                &state.db,
                &users[r % users.len()],
                gallery::access::Scope::Mine,
                None,
                query,
                gallery::images::SortKey::Relevance,
                gallery::images::Order::Desc,
                &gallery::paging::PageQuery {
                    limit: Some(limit.into()),
                    after: None,
                },
                &gallery::when::Span::default(),
            )
            .await?;
            direct.push(t.elapsed());
        }
        direct.sort();
        println!(
            "   (the search function alone: p50 {:6.2} ms  p99 {:6.2} ms)",
            common::percentile(&direct, 0.5),
            common::percentile(&direct, 0.99)
        );
        println!(
            "{database} {kind:<14} {query:<11} limit {limit:>4} {:>5.0} results/user  p50 {:6.2} ms  p99 {:6.2} ms",
            found as f64 / REQUESTS as f64,
            common::percentile(&times, 0.5),
            common::percentile(&times, 0.99)
        );
    }
    Ok(())
}
