//! Voice commands: the intent model turns a transcript into an intent and slots
//! (shared/intents.md); here that becomes what the page should do, in the page's context
//! (folder, selection, open photo). Changes are made here, on the server; deletions only
//! after a confirmation ("yes" by voice or a click).

use std::sync::Arc;

use intent::{IntentModel, Interpretation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::AppState;
use crate::db::{Db, now_ms};
use crate::error::{Error, Result};
use crate::{folders, images};

/// The loaded intent model, or why there is none.
pub enum Voice {
    Ready(Arc<IntentModel>),
    Unavailable(String),
}

impl Voice {
    pub fn load() -> Self {
        match intent::default_model_dir().and_then(IntentModel::load) {
            Ok(model) => Voice::Ready(Arc::new(model)),
            Err(err) => {
                tracing::error!(%err, "voice commands are not available");
                Voice::Unavailable(format!("voice commands are not available: {err}"))
            }
        }
    }
}

/// The answer of the JSON API: the contract's fields.
#[derive(Debug, Serialize)]
pub struct Interpreted {
    pub intent: String,
    pub confidence: f32,
    pub slots: std::collections::BTreeMap<String, Value>,
    pub say: String,
}

pub async fn interpret(state: &AppState, text: &str) -> Result<Interpretation> {
    let model = match &state.voice {
        Voice::Ready(model) => model.clone(),
        Voice::Unavailable(reason) => return Err(Error::Unavailable(reason.clone())),
    };
    let text = text.to_owned();
    tokio::task::spawn_blocking(move || model.interpret(&text))
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(|e| match e {
            intent::Error::Input(message) => Error::BadRequest(message),
            intent::Error::Model(message) => Error::Internal(anyhow::anyhow!(message)),
        })
}

fn slot<'a>(i: &'a Interpretation, name: &str) -> Option<&'a str> {
    i.slots.get(name).and_then(Value::as_str)
}

/// A short sentence for an interpretation, before anything is done.
pub fn say(i: &Interpretation) -> String {
    let q = |name| slot(i, name).unwrap_or("");
    match i.intent.as_str() {
        "search" => format!("Searching for {}.", q("query")),
        "show_all" => "Showing all photos.".into(),
        "open_folder" => format!("Opening {}.", q("folder")),
        "go_back" => "Going back.".into(),
        "go_home" => "Going to your photos.".into(),
        "create_folder" => format!("Creating the folder {}.", q("folder")),
        "rename_folder" => format!("Renaming the folder to {}.", q("new_name")),
        "delete_folder" => "Delete the folder? Say yes or no.".into(),
        "move_images" => format!("Moving to {}.", q("folder")),
        "delete_images" => "Delete the photos? Say yes or no.".into(),
        "upload" => "Choose the photos to upload.".into(),
        "open_image" => "Opening the photo.".into(),
        "next_image" => "Next photo.".into(),
        "previous_image" => "Previous photo.".into(),
        "close_viewer" => "Closing the viewer.".into(),
        "zoom_in" => "Zooming in.".into(),
        "zoom_out" => "Zooming out.".into(),
        "start_slideshow" => "Starting the slideshow.".into(),
        "stop_slideshow" => "Stopping the slideshow.".into(),
        "select_all" => "Selecting all photos.".into(),
        "clear_selection" => "Clearing the selection.".into(),
        "select_image" => "Selecting the photo.".into(),
        "sort" => format!("Sorting by {}.", q("sort_key")),
        "describe_image" => "Let me look.".into(),
        "help" => HELP.into(),
        "logout" => "Signing you out.".into(),
        "stop_listening" => "I'll stop listening.".into(),
        "confirm" => "Okay.".into(),
        "cancel" => "Cancelled.".into(),
        _ => NOT_UNDERSTOOD.into(),
    }
}

pub const HELP: &str = "You can say: show me pictures of dogs, open the vacation folder, create a folder \
    called trips, move these to trips, open the second one, next, zoom in, start the slideshow, \
    sort by name, select all, delete this photo, what is this, or go home.";
pub const NOT_UNDERSTOOD: &str = "Sorry, that is not something I can do here. Try \u{201c}show me pictures of dogs\u{201d} or say \u{201c}help\u{201d}.";

/// Where the page is when the command is spoken.
#[derive(Debug, Default, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub folder_id: Option<String>,
    #[serde(default)]
    pub selected: Vec<String>,
    #[serde(default)]
    pub open_image: Option<String>,
    #[serde(default)]
    pub query: Option<String>,
}

/// What the page does with the answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do but show (and speak) the sentence.
    None,
    /// Go to this address (a folder, a search, a sort order).
    Navigate { url: String },
    /// A change in the page itself: the viewer, the selection, the microphone.
    Page {
        op: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<i64>,
    },
    /// Ask first; the answer ("yes"/"no" or a click) comes back with `confirm`.
    Confirm { question: String },
}

/// A destructive action waiting for its "yes", per signed-in session. It is kept in the
/// database, so the "yes" may reach any server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    DeleteFolder { id: String, name: String },
    DeleteImages { ids: Vec<String> },
}

/// How long a question waits for its answer.
const PENDING_MS: i64 = 120_000;

impl Pending {
    async fn ask(&self, db: &Db, session: &str) -> Result<()> {
        let action = serde_json::to_string(self).map_err(|e| Error::Internal(e.into()))?;
        sqlx::query(
            "INSERT INTO voice_pending (session_hash, action, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (session_hash) DO UPDATE SET action = excluded.action, created_at = excluded.created_at",
        )
        .bind(session)
        .bind(action)
        .bind(now_ms())
        .execute(db)
        .await?;
        Ok(())
    }

    /// The question this session was asked, taken (once) if it is still recent.
    async fn answer(db: &Db, session: &str) -> Result<Option<Self>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "DELETE FROM voice_pending WHERE session_hash = $1 RETURNING action, created_at",
        )
        .bind(session)
        .fetch_optional(db)
        .await?;
        Ok(row
            .filter(|(_, at)| now_ms() - at < PENDING_MS)
            .and_then(|(action, _)| serde_json::from_str(&action).ok()))
    }
}

/// Forgets questions nobody answered (housekeeping).
pub async fn purge_unanswered(db: &Db) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM voice_pending WHERE created_at < $1")
            .bind(now_ms() - PENDING_MS)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub intent: String,
    pub confidence: f32,
    pub slots: std::collections::BTreeMap<String, Value>,
    pub say: String,
    pub action: Action,
}

fn folder_url(id: Option<&str>, query: &[(&str, &str)]) -> String {
    let base = id.map_or_else(|| "/gallery".to_owned(), |id| format!("/gallery/{id}"));
    if query.is_empty() {
        return base;
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    format!("{base}?{}", q.join("&"))
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The user's folder whose name best matches what was said: exact, then starting with
/// or containing it, then the closest spelling.
pub async fn find_folder(
    state: &AppState,
    owner: &str,
    said: &str,
) -> Result<Option<folders::Crumb>> {
    let all = folders::all_paths(&state.db, owner).await?;
    let said = said.trim().to_lowercase();
    let leaf = |c: &folders::Crumb| {
        c.name
            .rsplit(" / ")
            .next()
            .unwrap_or(&c.name)
            .to_lowercase()
    };
    let pick = |f: &dyn Fn(&str) -> bool| all.iter().find(|c| f(&leaf(c))).cloned();
    if let Some(found) = pick(&|n| n == said)
        .or_else(|| pick(&|n| n.starts_with(&said)))
        .or_else(|| pick(&|n| n.contains(&said)))
    {
        return Ok(Some(found));
    }
    let best = all
        .iter()
        .map(|c| (strsim::jaro_winkler(&leaf(c), &said), c))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score >= 0.85)
        .map(|(_, c)| c.clone());
    Ok(best)
}

/// The folder a command names, or else the one the page shows.
async fn named_or_current(
    state: &AppState,
    owner: &str,
    i: &Interpretation,
    here: Option<&str>,
) -> Result<Option<String>> {
    match slot(i, "folder") {
        Some(name) => Ok(find_folder(state, owner, name).await?.map(|c| c.id)),
        None => Ok(here.map(str::to_owned)),
    }
}

/// Carries out a command for the signed-in page.
pub async fn act(
    state: &AppState,
    session_key: &str,
    owner: &str,
    i: Interpretation,
    ctx: Context,
) -> Result<Outcome> {
    let mut say = say(&i);
    let here = ctx.folder_id.as_deref().filter(|f| !f.is_empty());
    if let Some(folder) = here {
        folders::get(&state.db, owner, folder).await?;
    }
    let targets: Vec<String> = if ctx.selected.is_empty() {
        ctx.open_image.iter().cloned().collect()
    } else {
        ctx.selected.clone()
    };
    let page = |op: &str| Action::Page {
        op: op.to_owned(),
        index: None,
    };
    let action = match i.intent.as_str() {
        "search" => match slot(&i, "query") {
            Some(q) => Action::Navigate {
                url: folder_url(here, &[("q", q)]),
            },
            None => {
                say = "What should I search for?".into();
                Action::None
            }
        },
        "show_all" => Action::Navigate {
            url: folder_url(here, &[]),
        },
        "open_folder" => match slot(&i, "folder") {
            Some(name) => match find_folder(state, owner, name).await? {
                Some(folder) => {
                    say = format!("Opening {}.", folder.name);
                    Action::Navigate {
                        url: folder_url(Some(&folder.id), &[]),
                    }
                }
                None => {
                    say = format!("I could not find a folder called {name}.");
                    Action::None
                }
            },
            None => Action::None,
        },
        "go_back" => match here {
            Some(id) => {
                let folder = folders::get(&state.db, owner, id).await?;
                Action::Navigate {
                    url: folder_url(folder.parent_id.as_deref(), &[]),
                }
            }
            None if ctx.query.is_some() => Action::Navigate {
                url: folder_url(None, &[]),
            },
            None => page("back"),
        },
        "go_home" => Action::Navigate {
            url: folder_url(None, &[]),
        },
        "create_folder" => match slot(&i, "folder") {
            Some(name) => match folders::create(&state.db, owner, name, here).await {
                Ok(folder) => {
                    say = format!("Created the folder {}.", folder.name);
                    Action::Navigate {
                        url: folder_url(here, &[]),
                    }
                }
                Err(Error::BadRequest(m) | Error::Conflict(m)) => {
                    say = capitalise(&m);
                    Action::None
                }
                Err(e) => return Err(e),
            },
            None => Action::None,
        },
        "rename_folder" => {
            let target = named_or_current(state, owner, &i, here).await?;
            match (target, slot(&i, "new_name")) {
                (Some(id), Some(new_name)) => {
                    match folders::rename(&state.db, owner, &id, new_name).await {
                        Ok(folder) => {
                            say = format!("Renamed the folder to {}.", folder.name);
                            Action::Navigate {
                                url: folder_url(here, &[]),
                            }
                        }
                        Err(Error::BadRequest(m) | Error::Conflict(m)) => {
                            say = capitalise(&m);
                            Action::None
                        }
                        Err(e) => return Err(e),
                    }
                }
                (None, _) => {
                    say = "Open the folder to rename first, or say its name.".into();
                    Action::None
                }
                (_, None) => {
                    say = "What should the new name be?".into();
                    Action::None
                }
            }
        }
        "delete_folder" => {
            let target = named_or_current(state, owner, &i, here).await?;
            match target {
                Some(id) => {
                    let folder = folders::get(&state.db, owner, &id).await?;
                    let inside = folders::contents(&state.db, owner, &id).await?;
                    let question = format!(
                        "Delete the folder {} with its {} photos and {} sub-folders? Say yes or no.",
                        folder.name, inside.images, inside.folders
                    );
                    Pending::DeleteFolder {
                        id,
                        name: folder.name,
                    }
                    .ask(&state.db, session_key)
                    .await?;
                    say = question.clone();
                    Action::Confirm { question }
                }
                None => {
                    say = "Open the folder to delete first, or say its name.".into();
                    Action::None
                }
            }
        }
        "move_images" => match (slot(&i, "folder"), targets.is_empty()) {
            (_, true) => {
                say = "Select the photos to move first.".into();
                Action::None
            }
            (Some(name), false) => match find_folder(state, owner, name).await? {
                Some(folder) => {
                    images::move_to(&state.db, owner, &targets, Some(&folder.id)).await?;
                    say = format!(
                        "Moved {} to {}.",
                        plural(targets.len(), "photo"),
                        folder.name
                    );
                    Action::Navigate {
                        url: folder_url(here, &[]),
                    }
                }
                None => {
                    say = format!("I could not find a folder called {name}.");
                    Action::None
                }
            },
            (None, false) => Action::None,
        },
        "delete_images" => {
            if targets.is_empty() {
                say = "Select or open the photos to delete first.".into();
                Action::None
            } else {
                let chosen = images::get_all(&state.db, owner, &targets).await?;
                let question = format!("Delete {}? Say yes or no.", plural(chosen.len(), "photo"));
                Pending::DeleteImages {
                    ids: chosen.into_iter().map(|i| i.id).collect(),
                }
                .ask(&state.db, session_key)
                .await?;
                say = question.clone();
                Action::Confirm { question }
            }
        }
        "confirm" => match Pending::answer(&state.db, session_key).await? {
            Some(Pending::DeleteFolder { id, name }) => {
                let folder = folders::get(&state.db, owner, &id).await?;
                folders::delete(&state.db, &state.storage, owner, &id).await?;
                say = format!("Deleted the folder {name}.");
                let parent = folder.parent_id.as_deref();
                Action::Navigate {
                    url: folder_url(
                        if here == Some(id.as_str()) {
                            parent
                        } else {
                            here
                        },
                        &[],
                    ),
                }
            }
            Some(Pending::DeleteImages { ids }) => {
                images::delete(&state.db, &state.storage, owner, &ids).await?;
                say = format!("Deleted {}.", plural(ids.len(), "photo"));
                Action::Navigate {
                    url: folder_url(here, &[]),
                }
            }
            None => {
                say = "There is nothing to confirm.".into();
                Action::None
            }
        },
        "cancel" => {
            say = match Pending::answer(&state.db, session_key).await? {
                Some(_) => "Cancelled; nothing was deleted.".into(),
                None => "Okay.".into(),
            };
            page("cancel")
        }
        "sort" => {
            let key = slot(&i, "sort_key").unwrap_or("date");
            let order = slot(&i, "order").unwrap_or(if key == "name" { "asc" } else { "desc" });
            let mut query = vec![("sort", key), ("order", order)];
            if let Some(q) = ctx.query.as_deref() {
                query.push(("q", q));
            }
            Action::Navigate {
                url: folder_url(here, &query),
            }
        }
        "describe_image" => {
            match targets.first() {
                Some(id) => {
                    let image = images::get(&state.db, owner, id).await?;
                    say = describe(&image);
                }
                None => say = "Open or select a photo first.".into(),
            }
            Action::None
        }
        "open_image" | "select_image" => Action::Page {
            op: i.intent.clone(),
            index: i.slots.get("ordinal").and_then(Value::as_i64).or(Some(1)),
        },
        "upload" | "next_image" | "previous_image" | "close_viewer" | "zoom_in" | "zoom_out"
        | "start_slideshow" | "stop_slideshow" | "select_all" | "clear_selection" | "help"
        | "logout" | "stop_listening" => page(&i.intent),
        _ => Action::None,
    };
    Ok(Outcome {
        intent: i.intent,
        confidence: i.confidence,
        slots: i.slots,
        say,
        action,
    })
}

fn describe(image: &images::Image) -> String {
    match (image.status.as_str(), image.labels.as_slice()) {
        ("done", [first, rest @ ..]) => {
            let mut s = format!(
                "This looks like {} ({:.0}%)",
                first.label,
                first.score * 100.0
            );
            let others: Vec<String> = rest
                .iter()
                .map(|l| format!("{} ({:.0}%)", l.label, l.score * 100.0))
                .collect();
            if !others.is_empty() {
                s.push_str(&format!(", or maybe {}", others.join(" or ")));
            }
            s.push('.');
            s
        }
        ("error", _) => "I could not classify this photo.".into(),
        _ => "This photo is still being classified.".into(),
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
