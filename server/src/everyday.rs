//! Everyday words: a search word WordNet does not tie to any ImageNet class ("puppies",
//! "kitty", "something to eat", "wildlife") is embedded by the sentence encoder
//! all-MiniLM-L6-v2 and matched to what it is nearest in meaning, above a threshold:
//! - the words WordNet does know, each with its classes ("puppies" is near "dog", which
//!   covers 118 breeds; "something to eat" near "food");
//! - each class's description: its names, gloss and hypernyms ("wedding" is near
//!   "groom, bridegroom: a man participating in his own marriage ceremony").
//!
//! The vectors of both were made once by `server/tools/everyday_words.py` and ship in
//! `server/data/everyday/`; only the query is embedded at search time (about 5 ms on one
//! core), and the last few hundred phrases are remembered.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use intent::encoder::SentenceEncoder;
use lru::LruCache;

use crate::search::Term;

/// Dimensions of an embedding.
const DIMS: usize = 384;
/// How near (cosine) a phrase must be to a word or class description to take its classes.
/// Chosen on `server/tests/search-queries/queries-tune.tsv` (`scripts/score-search.sh`):
/// "kitty" is 0.85 from "cat", "something to eat" 0.75 from "food", "puppies" 0.66 from
/// "canine"; "giraffe" is 0.52 from "horse" and "sushi" 0.50 from "macaw".
pub const THRESHOLD: f32 = 0.6;
/// Besides the nearest, what is within this of it counts too ("puppies": "canine" 0.66,
/// "toy dog" 0.66, "dog" 0.64).
pub const MARGIN: f32 = 0.03;
/// At most this many words or descriptions per phrase.
const MAX_ITEMS: usize = 3;
/// Phrases whose matches are remembered.
const CACHE: usize = 512;
/// Phrases embedded for one search at most (a search has at most 8 terms): a query of
/// many unknown words costs at most this many runs of the encoder (about 5 ms each).
const MAX_PHRASES: usize = 4;
/// Searches embedding at once: the others wait their turn without holding a thread, so a
/// flood of unknown words from one client costs the encoder's time, never the server's
/// threads.
static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// Where the files are, relative to the program or the checkout.
const DIR: [&str; 2] = ["server/data/everyday", "data/everyday"];

/// What a phrase is near: the classes, and the words or class names they came by.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Near {
    pub classes: Vec<i64>,
    pub via: Vec<String>,
}

struct Item {
    name: String,
    classes: Vec<i64>,
}

pub struct Everyday {
    encoder: SentenceEncoder,
    items: Vec<Item>,
    /// One row of [`DIMS`] per item.
    vectors: Vec<f32>,
    cache: Mutex<LruCache<String, Arc<Near>>>,
}

static SHIPPED: LazyLock<Option<Everyday>> = LazyLock::new(|| {
    let Some(dir) = onnx_runtime::find(&DIR, |p: &Path| p.join("encoder.onnx").is_file()) else {
        tracing::warn!("server/data/everyday was not found: searches use WordNet and names only");
        return None;
    };
    match Everyday::load(&dir) {
        Ok(everyday) => Some(everyday),
        Err(err) => {
            tracing::error!(%err, "everyday words are not available: searches use WordNet and names only");
            None
        }
    }
});

/// The shipped model, loaded on first use (or at start-up, see [`warm_up`]).
pub fn shipped() -> Option<&'static Everyday> {
    SHIPPED.as_ref()
}

/// Loads the model now rather than on the first search.
pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(shipped).await;
}

impl Everyday {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let tokenizer = intent::default_model_dir()
            .map(|d| d.join("tokenizer.json"))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let encoder = SentenceEncoder::load(&dir.join("encoder.onnx"), &tokenizer)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let items: Vec<Item> = std::fs::read_to_string(dir.join("items.tsv"))?
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|line| {
                let mut fields = line.split('\t');
                let (_kind, name, classes) = (fields.next(), fields.next(), fields.next());
                Item {
                    name: name.unwrap_or_default().to_owned(),
                    classes: classes
                        .unwrap_or_default()
                        .split(' ')
                        .filter_map(|c| c.parse().ok())
                        .collect(),
                }
            })
            .collect();
        let raw = std::fs::read(dir.join("vectors.bin"))?;
        let row = 4 + DIMS;
        anyhow::ensure!(
            raw.len() == items.len() * row,
            "{}: {} bytes, but items.tsv has {} lines of {row} bytes",
            dir.join("vectors.bin").display(),
            raw.len(),
            items.len()
        );
        let mut vectors = Vec::with_capacity(items.len() * DIMS);
        for chunk in raw.chunks_exact(row) {
            let scale = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            vectors.extend(chunk[4..].iter().map(|&b| f32::from(b as i8) * scale));
        }
        Ok(Self {
            encoder,
            items,
            vectors,
            cache: Mutex::new(LruCache::new(NonZeroUsize::new(CACHE).expect("non-zero"))),
        })
    }

    /// Forgets the phrases remembered (for benchmarks that time the encoder every time).
    pub fn forget(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    /// What a phrase is near in meaning (nothing when nothing is near enough).
    pub fn near(&self, phrase: &str) -> anyhow::Result<Arc<Near>> {
        let key = phrase.to_lowercase();
        if let Some(hit) = self
            .cache
            .lock()
            .ok()
            .and_then(|mut c| c.get(&key).cloned())
        {
            return Ok(hit);
        }
        let query = self
            .encoder
            .embed(&key)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let near = Arc::new(self.nearest(&query));
        if let Ok(mut cache) = self.cache.lock() {
            cache.put(key, near.clone());
        }
        Ok(near)
    }

    fn nearest(&self, query: &[f32]) -> Near {
        let mut scored: Vec<(f32, usize)> = self
            .vectors
            .chunks_exact(DIMS)
            .map(|v| v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>())
            .enumerate()
            .map(|(i, s)| (s, i))
            .collect();
        scored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        let Some(&(best, _)) = scored.first() else {
            return Near::default();
        };
        let mut near = Near::default();
        for &(score, i) in scored
            .iter()
            .take_while(|(s, _)| *s >= THRESHOLD && *s >= best - MARGIN)
            .take(MAX_ITEMS)
        {
            tracing::debug!(item = %self.items[i].name, score, "near");
            near.classes.extend(&self.items[i].classes);
            near.via.push(self.items[i].name.clone());
        }
        near.classes.sort_unstable();
        near.classes.dedup();
        near.via.dedup();
        near
    }
}

/// Gives each term WordNet does not know the classes near it in meaning, and near the
/// phrase it is part of ("something to eat"). Without the model, nothing changes.
pub async fn widen(terms: &mut [Term]) {
    let Some(everyday) = shipped() else {
        return;
    };
    let mut budget = MAX_PHRASES;
    let asks: Vec<(usize, Vec<String>)> = terms
        .iter()
        .enumerate()
        .filter(|(_, t)| t.needs_meaning())
        .map(|(i, t)| {
            let mut phrases = vec![t.said.clone()];
            phrases.extend(t.phrase.clone());
            phrases.dedup();
            phrases.truncate(budget);
            budget -= phrases.len();
            (i, phrases)
        })
        .filter(|(_, phrases)| !phrases.is_empty())
        .collect();
    if asks.is_empty() {
        return;
    }
    let Ok(_turn) = RUNNING.acquire().await else {
        return;
    };
    let found = tokio::task::spawn_blocking(move || {
        asks.into_iter()
            .map(|(i, phrases)| {
                let mut near = Near::default();
                for phrase in phrases {
                    match everyday.near(&phrase) {
                        Ok(n) => {
                            near.classes.extend(&n.classes);
                            near.via.extend(n.via.iter().cloned());
                        }
                        Err(err) => tracing::warn!(%err, "everyday words"),
                    }
                }
                near.classes.sort_unstable();
                near.classes.dedup();
                near.via.dedup();
                (i, near)
            })
            .collect::<Vec<_>>()
    })
    .await;
    match found {
        Ok(found) => {
            for (i, near) in found {
                terms[i].similar = near.classes;
                terms[i].similar_to = near.via;
            }
        }
        Err(err) => tracing::warn!(%err, "everyday words"),
    }
}
