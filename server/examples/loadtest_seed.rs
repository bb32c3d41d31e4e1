//! Seeds a gallery for the load tests (`loadtest/run.sh`): an admin, then USERS users, each
//! with PHOTOS photos spread over nested folders, stored and classified as an upload and
//! the classifier would leave them. Each photo is one of the test photos; it is decoded,
//! thumbnailed and classified once per test photo, then stored under fresh keys through
//! the upload's own `store` step, so rows, objects and jobs are what the gallery makes.
//!
//! Settings are the server's (`GALLERY_DATABASE_URL`, `GALLERY_STORAGE`, …) plus
//!     loadtest_seed USERS PHOTOS OUT_DIR
//! which writes OUT_DIR/users.csv (email,password) and OUT_DIR/admin.json.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use classifier::{Classifier, Model, runtime};
use gallery::AppState;
use gallery::config::Cli;
use gallery::images::decode::{self, Prepared};
use gallery::images::ingest;
use gallery::spool::{Original, Received};
use gallery::{auth, folders};

const PASSWORD: &str = "load test password";
/// The folders of each user: (name, index of the parent in this list).
const TREE: [(&str, Option<usize>); 7] = [
    ("Trips", None),
    ("2023", Some(0)),
    ("Summer", Some(1)),
    ("Family", None),
    ("Kids", Some(3)),
    ("Pets", None),
    ("Work", None),
];
const SAMPLES: [&str; 5] = [
    "coffee.png",
    "chelsea.jpg",
    "rocket.jpg",
    "astronaut.jpg",
    "coffee-large.jpg",
];

struct Sample {
    prepared: Prepared,
    labels: Vec<gallery::images::Label>,
}

fn copy(p: &Prepared, n: usize) -> Prepared {
    let Original::Memory(bytes) = &p.original else {
        unreachable!("samples are read into memory")
    };
    Prepared {
        filename: format!("photo-{n:04}-{}", p.filename),
        content_type: p.content_type,
        original: Original::Memory(bytes.clone()),
        width: p.width,
        height: p.height,
        sha256: p.sha256.clone(),
        taken_at: p.taken_at,
        camera: p.camera.clone(),
        lens: p.lens.clone(),
        thumbnail: p.thumbnail.clone(),
        thumb_width: p.thumb_width,
        thumb_height: p.thumb_height,
        display: p.display.clone(),
        display_width: p.display_width,
        display_height: p.display_height,
        input: p.input.clone(),
        sizing: p.sizing,
    }
}

async fn samples(state: &AppState) -> anyhow::Result<Vec<Sample>> {
    let testdata = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../classifier-lambda/testdata"
    ));
    let model = Arc::new(Model::load(runtime::model_dir(
        state.config.model_dir.clone(),
    )?)?);
    let mut classifier = Classifier::new(model, 2)?;
    let mut out = Vec::new();
    for name in SAMPLES {
        let bytes = std::fs::read(testdata.join(name)).with_context(|| name.to_owned())?;
        let labels = classifier.classify(&bytes, 3)?;
        let policy = state.uploads.policy.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            decode::prepare(name.to_owned(), Received::memory(bytes.into()), &policy)
        })
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push(Sample { prepared, labels });
    }
    Ok(out)
}

/// Seeds a gallery for the load tests: an admin, then USERS users with PHOTOS photos each.
/// The gallery's settings come from its environment variables (`GALLERY_DATABASE_URL`, …).
#[derive(Parser)]
#[command(name = "loadtest_seed")]
struct Args {
    /// Users to make, besides the admin.
    users: usize,
    /// Photos of each user.
    photos: usize,
    /// Where `users.csv` (email,password) and `admin.json` are written.
    out_dir: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args {
        users,
        photos,
        out_dir: out,
    } = Args::parse();
    std::fs::create_dir_all(&out)?;
    let mut config = Cli::parse_from(["gallery"]).config;
    config.classifier = "off".into();
    config.signup_per_ip = u32::MAX;
    let state = AppState::new(config).await?;
    let (db, storage, queue) = (&state.db, &state.storage, &state.queue);
    let samples = samples(&state).await?;
    let client: std::net::IpAddr = "127.0.0.1".parse()?;
    let mailer = &state.mailer;
    let sign_up = |email: String| {
        let config = state.config.clone();
        async move {
            let form = auth::SignUp {
                email: &email,
                password: PASSWORD,
                display_name: None,
                invite: None,
            };
            auth::sign_up(db, &config, mailer, form, client)
                .await
                .map_err(|e| anyhow::anyhow!("{email}: {e}"))
        }
    };
    sign_up("admin@loadtest.example".into()).await?;
    // The load test's made-up addresses get no confirmation letters (each sign-up wrote
    // one to the outbox): the servers would only write them all to their logs.
    let forget_letters = || sqlx::query("DELETE FROM mail_outbox").execute(db);
    std::fs::write(
        out.join("admin.json"),
        serde_json::json!({"email": "admin@loadtest.example", "password": PASSWORD}).to_string(),
    )?;
    let mut csv = String::from("email,password\n");
    let mut classified: HashMap<String, Vec<gallery::images::Label>> = HashMap::new();
    let started = std::time::Instant::now();
    for u in 0..users {
        let email = format!("user{u:04}@loadtest.example");
        let user = sign_up(email.clone()).await?;
        csv.push_str(&format!("{email},{PASSWORD}\n"));
        let mut ids: Vec<Option<String>> = vec![None];
        for (name, parent) in TREE {
            let parent = parent.and_then(|p| ids[p + 1].clone());
            let folder = folders::create(db, &user.id, name, parent.as_deref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            ids.push(Some(folder.id));
        }
        // A tenth of the photos at the top level, the rest spread over the folders.
        let mut n = 0;
        for (place, folder) in ids.iter().enumerate() {
            let share = if place == 0 {
                photos / 10
            } else {
                (photos - photos / 10) / TREE.len()
            };
            let batch: Vec<Prepared> = (0..share)
                .map(|i| copy(&samples[(n + i) % samples.len()].prepared, n + i))
                .collect();
            let labels: Vec<_> = (0..share)
                .map(|i| samples[(n + i) % samples.len()].labels.clone())
                .collect();
            n += share;
            let stored =
                ingest::store(db, storage, queue, &user.id, folder.as_deref(), batch, None)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            for (image, labels) in stored.into_iter().zip(labels) {
                classified.insert(image.id, labels);
            }
        }
    }
    // What the classifier would have said, through the queue's own steps.
    while let Some(job) = queue
        .claim("seed")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        let labels = &classified[&job.image_id];
        queue
            .complete(
                &job,
                labels,
                "efficientnet-lite0",
                gallery::jobs::Runner::Local,
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    std::fs::write(out.join("users.csv"), csv)?;
    forget_letters().await?;
    eprintln!(
        "seeded {users} users with {photos} photos each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
