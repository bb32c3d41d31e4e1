//! Scores search (not a test): the query sets of `server/tests/search-queries/` over their
//! seeded gallery, through the same search the API and the pages use, on a fresh SQLite
//! database made by the gallery's migrations. Prints precision and recall of each set with
//! WordNet alone (the baseline) and with the everyday-words step, in the same run.
//!
//!     scripts/score-search.sh [--set tune|test] [--misses tune]
//!
//! `--set` scores one set only; `--misses tune` also lists each query of `queries-tune.tsv` that found a wrong photo or
//! missed a right one (never look at the test set's misses: it is not for tuning).

#[allow(dead_code)] // the percentiles and accounts of the other benchmarks
mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use clap::Parser;
use gallery::AppState;
use gallery::images::{self, Order, SortKey, Understood};
use gallery::paging::PageQuery;
use gallery::when::Span;

const DIR: &str = "server/tests/search-queries";
const OWNER: &str = "scorer";

struct Photo {
    name: String,
    folder: String,
    taken: Option<time::Date>,
    labels: Vec<(String, f64)>,
}

struct Query {
    text: String,
    must: BTreeSet<String>,
    may: BTreeSet<String>,
}

fn date(s: &str) -> anyhow::Result<time::Date> {
    Ok(time::Date::parse(
        s,
        time::macros::format_description!("[year]-[month]-[day]"),
    )?)
}

fn ms(d: time::Date) -> i64 {
    (d.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn gallery(root: &Path) -> anyhow::Result<Vec<Photo>> {
    let text = std::fs::read_to_string(root.join(DIR).join("gallery.tsv"))?;
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            anyhow::ensure!(f.len() == 4, "gallery.tsv: {line}");
            Ok(Photo {
                name: f[0].into(),
                folder: f[1].into(),
                taken: if f[2] == "-" { None } else { Some(date(f[2])?) },
                labels: f[3]
                    .split(',')
                    .map(|l| {
                        let (name, score) = l.rsplit_once(':').unwrap_or((l, "0"));
                        (name.to_owned(), score.parse().unwrap_or(0.0))
                    })
                    .collect(),
            })
        })
        .collect()
}

fn queries(path: &Path) -> anyhow::Result<(time::Date, Vec<Query>)> {
    let text = std::fs::read_to_string(path)?;
    let mut today = None;
    let mut out = Vec::new();
    let names = |s: &str| -> BTreeSet<String> {
        if s.trim() == "-" {
            BTreeSet::new()
        } else {
            s.split(',').map(|n| n.trim().to_owned()).collect()
        }
    };
    for line in text.lines() {
        if let Some(day) = line.strip_prefix("# today ") {
            today = Some(date(day.trim())?);
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        anyhow::ensure!(f.len() == 3, "{}: {line}", path.display());
        out.push(Query {
            text: f[0].into(),
            must: names(f[1]),
            may: names(f[2]),
        });
    }
    let today = today.ok_or_else(|| anyhow::anyhow!("{}: no '# today' line", path.display()))?;
    Ok((today, out))
}

/// Writes the gallery as uploads and the classifier would leave it.
async fn seed(state: &AppState, photos: &[Photo]) -> anyhow::Result<()> {
    let labels: Vec<serde_json::Value> = serde_json::from_str(include_str!(
        "../../classifier-lambda/models/efficientnet-lite0/labels.json"
    ))?;
    let class: HashMap<&str, i64> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l["name"].as_str().unwrap_or_default(), i as i64))
        .collect();
    let uploaded = ms(date("2026-11-01")?);
    let db = &state.db;
    sqlx::query("INSERT INTO users (id, email, password_hash, display_name, role, created_at) VALUES ($1, 'scorer@example.org', 'x', 'Scorer', 'user', $2)")
        .bind(OWNER)
        .bind(uploaded)
        .execute(db)
        .await?;
    let mut folders: HashMap<String, String> = HashMap::new();
    for (n, photo) in photos.iter().enumerate() {
        let mut parent: Option<String> = None;
        let mut path = String::new();
        for part in photo.folder.split('/').filter(|p| !p.is_empty()) {
            path = if path.is_empty() {
                part.to_owned()
            } else {
                format!("{path}/{part}")
            };
            if !folders.contains_key(&path) {
                let id = format!("f{}", folders.len());
                sqlx::query("INSERT INTO folders (id, owner_id, parent_id, name, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&id).bind(OWNER).bind(&parent).bind(part).bind(uploaded)
                    .execute(db).await?;
                folders.insert(path.clone(), id);
            }
            parent = folders.get(&path).cloned();
        }
        let id = format!("i{n:04}");
        sqlx::query("INSERT INTO images (id, owner_id, folder_id, filename, name_words, content_type, bytes, width, height, sha256, taken_at, created_at, status, object_key, thumb_key, thumb_width, thumb_height) VALUES ($1, $2, $3, $4, $5, 'image/jpeg', 1000, 400, 300, 'x', $6, $7, 'done', $8, $9, 533, 400)")
            .bind(&id).bind(OWNER).bind(&parent).bind(&photo.name)
            .bind(gallery::search::name_words_of(&photo.name))
            .bind(photo.taken.map(ms)).bind(uploaded + n as i64)
            .bind(format!("o/{id}")).bind(format!("t/{id}"))
            .execute(db).await?;
        for (rank, (label, score)) in photo.labels.iter().enumerate() {
            let index = *class
                .get(label.as_str())
                .ok_or_else(|| anyhow::anyhow!("{}: no class named {label}", photo.name))?;
            sqlx::query("INSERT INTO image_labels (image_id, rank, label, class_index, score) VALUES ($1, $2, $3, $4, $5)")
                .bind(&id).bind(rank as i64).bind(label).bind(index).bind(score)
                .execute(db).await?;
        }
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    right: usize,
    found: usize,
    wanted: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        if self.found == 0 {
            1.0
        } else {
            self.right as f64 / self.found as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.wanted == 0 {
            1.0
        } else {
            self.right as f64 / self.wanted as f64
        }
    }
}

async fn found(
    state: &AppState,
    q: &str,
    today: time::Date,
    everyday: bool,
) -> anyhow::Result<BTreeSet<String>> {
    let understood =
        Understood::read(q, today, &Span::default()).map_err(|e| anyhow::anyhow!("{q}: {e:?}"))?;
    let page = PageQuery {
        limit: Some("1000".into()),
        after: None,
    };
    let listing = images::search_understood(
        &state.db,
        OWNER,
        gallery::access::Scope::Mine,
        None,
        understood,
        everyday,
        SortKey::Relevance,
        Order::Desc,
        &page,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{q}: {e:?}"))?;
    Ok(listing.images.into_iter().map(|i| i.filename).collect())
}

/// Precision and recall of search on the query sets of `server/tests/search-queries/`, with
/// WordNet alone and with the everyday-words step. Run from the repository's root.
#[derive(Parser)]
#[command(name = "search_score")]
struct Args {
    /// Score one set only: `tune` or `test`.
    #[arg(long = "set", value_name = "SET")]
    only: Option<String>,
    /// List each query of this set (`tune`) that found a wrong photo or missed a right one.
    #[arg(long, value_name = "SET")]
    misses: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args { only, misses } = Args::parse();
    let root = std::env::current_dir()?;
    let dir = tempfile::tempdir()?;
    let mut config = common::bench_config(dir.path());
    config.database_url = format!("sqlite://{}/score.db", dir.path().display());
    let state = AppState::new(config).await?;
    let photos = gallery(&root)?;
    seed(&state, &photos).await?;
    anyhow::ensure!(
        gallery::everyday::shipped().is_some(),
        "the everyday-words model (server/data/everyday) did not load"
    );
    println!(
        "{} photos; a query must find its 'must' photos and nothing else but its 'may' ones",
        photos.len()
    );
    println!(
        "{:<6} {:>7} | {:>22} | {:>22}",
        "set", "queries", "WordNet alone  P / R", "+ everyday words P / R"
    );
    for set in ["tune", "test"] {
        if only.as_deref().is_some_and(|o| o != set) {
            continue;
        }
        let (today, qs) = queries(&root.join(DIR).join(format!("queries-{set}.tsv")))?;
        let mut tallies = [Tally::default(), Tally::default()];
        for q in &qs {
            for (t, everyday) in [false, true].into_iter().enumerate() {
                let got = found(&state, &q.text, today, everyday).await?;
                let counted: BTreeSet<&String> =
                    got.iter().filter(|n| !q.may.contains(*n)).collect();
                let right = counted.iter().filter(|n| q.must.contains(**n)).count();
                tallies[t].right += right;
                tallies[t].found += counted.len();
                tallies[t].wanted += q.must.len();
                if everyday && misses.as_deref() == Some(set) {
                    let wrong: Vec<&&String> =
                        counted.iter().filter(|n| !q.must.contains(**n)).collect();
                    let missed: Vec<&String> =
                        q.must.iter().filter(|n| !got.contains(*n)).collect();
                    if !wrong.is_empty() || !missed.is_empty() {
                        println!("  {:?}: wrong {wrong:?} missed {missed:?}", q.text);
                    }
                }
            }
        }
        println!(
            "{:<6} {:>7} | {:>10.3} / {:<9.3} | {:>10.3} / {:<9.3}",
            set,
            qs.len(),
            tallies[0].precision(),
            tallies[0].recall(),
            tallies[1].precision(),
            tallies[1].recall()
        );
    }
    Ok(())
}
