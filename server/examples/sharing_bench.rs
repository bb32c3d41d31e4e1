//! Benchmark (not a test): what sharing costs a reader. A folder of 5 000 photos shared
//! with a friend: the first page of it (the API's default 200, newest first) for the friend
//! against the owner's own, interleaved in one run (aim: p99 ratio ≤ 1.2). Then a search
//! ("animal", 398 classes) across 50 folders of 100 photos shared with the friend by 50
//! people (`scope=shared`), against the friend searching their own 5 000 photos in 50
//! folders. Real server on port 0; SQLite by default, the database of `BENCH_DATABASE_URL`
//! otherwise. Run it with `scripts/bench-sharing.sh`.

mod common;

use std::time::{Duration, Instant};

use gallery::{AppState, app};
use serde_json::{Value, json};

const REQUESTS: usize = 300;

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
}

/// `n` photos of `owner` in `folder`, with three labels each, as the classifier leaves
/// them, in batches.
async fn photos(
    state: &AppState,
    rng: &mut Rng,
    owner: &str,
    folder: &str,
    n: usize,
    names: &[String],
) -> anyhow::Result<()> {
    let now = gallery::db::now_ms();
    let mut tx = state.db.begin().await?;
    for chunk in (0..n).collect::<Vec<_>>().chunks(250) {
        let mut images = String::from(
            "INSERT INTO images (id, owner_id, folder_id, filename, content_type, bytes, width, height, sha256, taken_at, created_at, status, object_key, thumb_key, thumb_width, thumb_height) VALUES ",
        );
        let mut rows = Vec::new();
        let mut binds = Vec::new();
        for (k, &i) in chunk.iter().enumerate() {
            let id = format!("{folder}-{i:05}");
            let p = k * 5;
            rows.push(format!(
                "(${}, ${}, ${}, 'IMG.jpg', 'image/jpeg', 1000000, 4000, 3000, 'x', ${}, ${}, 'done', 'o/' || ${}, 't/' || ${}, 533, 400)",
                p + 1, p + 2, p + 3, p + 4, p + 5, p + 1, p + 1
            ));
            binds.push((
                id,
                now - rng.below(5 * 365 * 86_400_000) as i64,
                now - i as i64,
            ));
        }
        images.push_str(&rows.join(", "));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(images));
        for (id, taken, created) in &binds {
            query = query
                .bind(id)
                .bind(owner)
                .bind(folder)
                .bind(taken)
                .bind(created);
        }
        query.execute(&mut *tx).await?;
        let mut labels = String::from(
            "INSERT INTO image_labels (image_id, rank, label, class_index, score) VALUES ",
        );
        let mut rows = Vec::new();
        let mut label_binds = Vec::new();
        for (id, _, _) in &binds {
            for rank in 0..3i64 {
                let r = label_binds.len() * 4;
                rows.push(format!(
                    "(${}, ${}, ${}, ${}, 0.5)",
                    r + 1,
                    r + 2,
                    r + 3,
                    r + 4
                ));
                let class = rng.below(1000) as i64;
                label_binds.push((id.clone(), rank, names[class as usize].clone(), class));
            }
        }
        labels.push_str(&rows.join(", "));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(labels));
        for (id, rank, label, class) in &label_binds {
            query = query.bind(id).bind(rank).bind(label).bind(class);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn folder(
    client: &reqwest::Client,
    api: &str,
    token: &str,
    name: &str,
) -> anyhow::Result<String> {
    let made: Value = client
        .post(format!("{api}/folders"))
        .bearer_auth(token)
        .json(&json!({ "name": name }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(made["id"].as_str().unwrap_or_default().to_owned())
}

async fn share(
    client: &reqwest::Client,
    api: &str,
    token: &str,
    folder: &str,
    email: &str,
) -> anyhow::Result<()> {
    client
        .put(format!("{api}/folders/{folder}/shares"))
        .bearer_auth(token)
        .json(&json!({ "email": email, "role": "viewer" }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// Times `REQUESTS` of each of two requests, taking turns: p50 and p99 of each.
async fn race(
    client: &reqwest::Client,
    a: (&str, &str, Vec<(&str, String)>),
    b: (&str, &str, Vec<(&str, String)>),
) -> anyhow::Result<[(f64, f64, usize); 2]> {
    let mut times = [Vec::new(), Vec::new()];
    let mut found = [0, 0];
    for r in 0..REQUESTS * 2 {
        let (url, token, query) = if r % 2 == 0 { &a } else { &b };
        let t = Instant::now();
        let res: Vec<Value> = client
            .get(*url)
            .query(query)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        times[r % 2].push(t.elapsed());
        found[r % 2] = res.len();
    }
    let stat = |t: &mut Vec<Duration>, n| {
        t.sort();
        (common::percentile(t, 0.5), common::percentile(t, 0.99), n)
    };
    Ok([stat(&mut times[0], found[0]), stat(&mut times[1], found[1])])
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
    let labels: Vec<Value> = serde_json::from_str(include_str!(
        "../../classifier-lambda/models/efficientnet-lite0/labels.json"
    ))?;
    let names: Vec<String> = labels
        .iter()
        .map(|l| l["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let started = Instant::now();

    let (owner, owner_token) = common::account(&client, &api, "owner@example.org").await?;
    let (friend, friend_token) = common::account(&client, &api, "friend@example.org").await?;
    let trip = folder(&client, &api, &owner_token, "Trip").await?;
    photos(&state, &mut rng, &owner, &trip, 5_000, &names).await?;
    share(&client, &api, &owner_token, &trip, "friend@example.org").await?;
    // The friend's own 5 000 photos in 50 folders, and 50 folders of 100 shared with them.
    for f in 0..50 {
        let own = folder(&client, &api, &friend_token, &format!("Mine {f}")).await?;
        photos(&state, &mut rng, &friend, &own, 100, &names).await?;
        let email = format!("sharer{f}@example.org");
        let (sharer, token) = common::account(&client, &api, &email).await?;
        let theirs = folder(&client, &api, &token, &format!("Theirs {f}")).await?;
        photos(&state, &mut rng, &sharer, &theirs, 100, &names).await?;
        share(&client, &api, &token, &theirs, "friend@example.org").await?;
    }
    if database == "PostgreSQL" {
        sqlx::query("ANALYZE").execute(&state.db).await?;
    }
    println!(
        "{database}: 15 000 photos of 52 people, 51 shares, written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let images = format!("{api}/images");
    let page = vec![("folder", trip.clone())];
    let [owners, friends] = race(
        &client,
        (&images, &owner_token, page.clone()),
        (&images, &friend_token, page),
    )
    .await?;
    println!(
        "{database}: first page of a shared folder of 5 000: owner p50 {:.2} ms p99 {:.2} ms ({} photos); \
         friend p50 {:.2} ms p99 {:.2} ms ({} photos); friend/owner p99 {:.2}",
        owners.0,
        owners.1,
        owners.2,
        friends.0,
        friends.1,
        friends.2,
        friends.1 / owners.1
    );
    let search = |scope: &str| vec![("q", "animal".to_owned()), ("scope", scope.to_owned())];
    let [own, shared] = race(
        &client,
        (&images, &friend_token, search("mine")),
        (&images, &friend_token, search("shared")),
    )
    .await?;
    println!(
        "{database}: \"animal\", first page: own 5 000 in 50 folders p50 {:.2} ms p99 {:.2} ms ({} found); \
         50 folders shared with one (5 000) p50 {:.2} ms p99 {:.2} ms ({} found); shared/own p99 {:.2}",
        own.0,
        own.1,
        own.2,
        shared.0,
        shared.1,
        shared.2,
        shared.1 / own.1
    );
    Ok(())
}
