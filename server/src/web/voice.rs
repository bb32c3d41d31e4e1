//! Voice commands in the page: the intent of what was said, carried out in the page's
//! context (folder, selection, open photo) by one small function per intent, and answered
//! with what the page does next. Changes are made here, on the server; deletions only after
//! a confirmation ("yes" by voice or a click). Only an explicit, clear answer settles the
//! question: a filler or an unsure "yes" asks it again, and any other command withdraws it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use intent::{Intent, Interpretation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::frame::{ScriptSession, folder_href, plural};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::storage::Storage;
use crate::transcription::Transcriber;
use crate::voice::{self, Pending, Voice, slot};
use crate::{folders, images};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new().route("/voice", post(command)).route(
        "/voice/transcribe",
        post(transcribe).layer(DefaultBodyLimit::max(state.transcriber.max_bytes + 1)),
    )
}

/// What the server heard in the page's recording; the page then sends the words to
/// `/voice` as it sends the browser's own transcripts.
#[derive(Debug, Serialize)]
pub struct Heard {
    pub transcript: String,
    /// Seconds of speech found in the recording (0: none).
    pub speech_seconds: f32,
}

async fn transcribe(
    State(transcriber): State<Arc<Transcriber>>,
    State(db): State<Db>,
    ScriptSession(session): ScriptSession,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Heard>> {
    let heard = transcriber
        .hear(&db, &session.user.id, &headers, body)
        .await?;
    Ok(Json(Heard {
        transcript: heard.text().to_owned(),
        speech_seconds: heard.speech_seconds,
    }))
}

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
        op: PageOp,
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<i64>,
    },
    /// Ask first; the answer ("yes"/"no" or a click) comes back with `confirm`.
    Confirm { question: String },
}

/// The operations the page's script performs (`static/voice.js`): its own vocabulary, not
/// the intents', which stay on the server.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PageOp {
    /// Open the `index`-th photo of the grid in the viewer (-1: the last).
    Open,
    /// Toggle the selection of the `index`-th photo.
    Select,
    Next,
    Previous,
    Close,
    ZoomIn,
    ZoomOut,
    Play,
    Pause,
    SelectAll,
    SelectNone,
    ChooseFiles,
    ShowHelp,
    SignOut,
    StopListening,
    /// Back in the browser's history.
    Back,
    /// Close the confirmation dialog.
    Dismiss,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub intent: Intent,
    pub confidence: f32,
    pub slots: BTreeMap<String, Value>,
    pub say: String,
    pub action: Action,
}

/// A voice (or typed) command from the page. `answer` ("confirm"/"cancel") is a click on
/// the confirmation dialog.
#[derive(Deserialize)]
struct Command {
    #[serde(default)]
    text: String,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default, flatten)]
    context: Context,
}

async fn command(
    State(voice): State<Arc<Voice>>,
    State(db): State<Db>,
    State(storage): State<Storage>,
    ScriptSession(session): ScriptSession,
    body: std::result::Result<Json<Command>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Outcome>> {
    let Json(command) = body?;
    let interpretation = match command.answer.as_deref() {
        Some(answer) => {
            let intent = match answer {
                "confirm" => Intent::Confirm,
                "cancel" => Intent::Cancel,
                _ => return Err(Error::bad_request("answer must be confirm or cancel")),
            };
            Interpretation {
                intent,
                confidence: 1.0,
                slots: Default::default(),
            }
        }
        None => voice.interpret(&command.text).await?,
    };
    let page = Page {
        db: &db,
        storage: &storage,
        session: &session.token_hash,
        owner: &session.user.id,
        context: command.context,
    };
    Ok(Json(page.act(interpretation).await?))
}

/// A command's page: the user's things and what the page shows.
struct Page<'a> {
    db: &'a Db,
    storage: &'a Storage,
    /// The session a question is asked in (and answered).
    session: &'a str,
    owner: &'a str,
    context: Context,
}

/// What a command answers: the sentence, if not the interpretation's own, and the action.
type Reply = (Option<String>, Action);

fn just(say: impl Into<String>) -> Reply {
    (Some(say.into()), Action::None)
}

fn navigate(url: String) -> Reply {
    (None, Action::Navigate { url })
}

fn page_op(op: PageOp) -> Reply {
    (None, Action::Page { op, index: None })
}

/// `/gallery[/id]` with a query string.
fn folder_url(id: Option<&str>, query: &[(&str, &str)]) -> String {
    let base = folder_href(id);
    if query.is_empty() {
        base
    } else {
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        )
    }
}

/// A refusal the user can act on (a bad or taken name) is said; anything else fails.
fn said_or(err: Error) -> Result<Reply> {
    match err {
        Error::BadRequest(m) | Error::Conflict(m) => Ok(just(capitalise(&m))),
        other => Err(other),
    }
}

impl Page<'_> {
    /// The folder the page shows.
    fn here(&self) -> Option<&str> {
        self.context.folder_id.as_deref().filter(|f| !f.is_empty())
    }

    /// The photos a command is about: the selection, else the open photo.
    fn targets(&self) -> Vec<String> {
        if self.context.selected.is_empty() {
            self.context.open_image.iter().cloned().collect()
        } else {
            self.context.selected.clone()
        }
    }

    /// The folder a command names, or else the one the page shows.
    async fn named_or_current(&self, i: &Interpretation) -> Result<Option<String>> {
        match slot(i, "folder") {
            Some(name) => Ok(voice::find_folder(self.db, self.owner, name)
                .await?
                .map(|c| c.id)),
            None => Ok(self.here().map(str::to_owned)),
        }
    }

    async fn act(self, i: Interpretation) -> Result<Outcome> {
        if let Some(folder) = self.here() {
            folders::get(self.db, self.owner, folder).await?;
        }
        // Another command instead of the answer: the question waits no longer (a deletion
        // asks its own).
        if !matches!(i.intent, Intent::Confirm | Intent::Cancel | Intent::None) {
            Pending::withdraw(self.db, self.session).await?;
        }
        let (say, action) = match i.intent {
            Intent::Search => self.search(&i),
            Intent::ShowAll => navigate(folder_url(self.here(), &[])),
            Intent::OpenFolder => self.open_folder(&i).await?,
            Intent::GoBack => self.go_back().await?,
            Intent::GoHome => navigate(folder_url(None, &[])),
            Intent::CreateFolder => self.create_folder(&i).await?,
            Intent::RenameFolder => self.rename_folder(&i).await?,
            Intent::DeleteFolder => self.delete_folder(&i).await?,
            Intent::MoveImages => self.move_images(&i).await?,
            Intent::DeleteImages => self.delete_images().await?,
            Intent::Confirm => self.confirm(&i).await?,
            Intent::Cancel => self.cancel().await?,
            Intent::Sort => self.sort(&i),
            Intent::DescribeImage => self.describe().await?,
            Intent::OpenImage => self.nth(PageOp::Open, &i),
            Intent::SelectImage => self.nth(PageOp::Select, &i),
            Intent::NextImage => page_op(PageOp::Next),
            Intent::PreviousImage => page_op(PageOp::Previous),
            Intent::CloseViewer => page_op(PageOp::Close),
            Intent::ZoomIn => page_op(PageOp::ZoomIn),
            Intent::ZoomOut => page_op(PageOp::ZoomOut),
            Intent::StartSlideshow => page_op(PageOp::Play),
            Intent::StopSlideshow => page_op(PageOp::Pause),
            Intent::SelectAll => page_op(PageOp::SelectAll),
            Intent::ClearSelection => page_op(PageOp::SelectNone),
            Intent::Upload => page_op(PageOp::ChooseFiles),
            Intent::Help => page_op(PageOp::ShowHelp),
            Intent::Logout => page_op(PageOp::SignOut),
            Intent::StopListening => page_op(PageOp::StopListening),
            Intent::None => self.nothing().await?,
        };
        Ok(Outcome {
            say: say.unwrap_or_else(|| voice::say(&i)),
            intent: i.intent,
            confidence: i.confidence,
            slots: i.slots,
            action,
        })
    }

    /// The search of what was said: the query with the time said ("dogs last summer"), or
    /// the time alone ("in july"), which the search reads as dates taken.
    fn search(&self, i: &Interpretation) -> Reply {
        match voice::search_words(i) {
            Some(q) => navigate(folder_url(self.here(), &[("q", &q)])),
            None => just(voice::ASK_QUERY),
        }
    }

    fn nth(&self, op: PageOp, i: &Interpretation) -> Reply {
        let index = i.slots.get("ordinal").and_then(Value::as_i64).or(Some(1));
        (None, Action::Page { op, index })
    }

    fn sort(&self, i: &Interpretation) -> Reply {
        let key = slot(i, "sort_key").unwrap_or("date");
        let order = slot(i, "order").unwrap_or(if key == "name" { "asc" } else { "desc" });
        let mut query = vec![("sort", key), ("order", order)];
        if let Some(q) = self.context.query.as_deref() {
            query.push(("q", q));
        }
        navigate(folder_url(self.here(), &query))
    }

    async fn open_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(name) = slot(i, "folder") else {
            return Ok((None, Action::None));
        };
        Ok(match voice::find_folder(self.db, self.owner, name).await? {
            Some(folder) => (
                Some(format!("Opening {}.", folder.name)),
                Action::Navigate {
                    url: folder_url(Some(&folder.id), &[]),
                },
            ),
            None => just(format!("I could not find a folder called {name}.")),
        })
    }

    async fn go_back(&self) -> Result<Reply> {
        Ok(match self.here() {
            Some(id) => {
                let folder = folders::get(self.db, self.owner, id).await?;
                navigate(folder_url(folder.parent_id.as_deref(), &[]))
            }
            None if self.context.query.is_some() => navigate(folder_url(None, &[])),
            None => page_op(PageOp::Back),
        })
    }

    async fn create_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(name) = slot(i, "folder") else {
            return Ok((None, Action::None));
        };
        match folders::create(self.db, self.owner, name, self.here()).await {
            Ok(folder) => Ok((
                Some(format!("Created the folder {}.", folder.name)),
                Action::Navigate {
                    url: folder_url(self.here(), &[]),
                },
            )),
            Err(err) => said_or(err),
        }
    }

    async fn rename_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(id) = self.named_or_current(i).await? else {
            return Ok(just("Open the folder to rename first, or say its name."));
        };
        let Some(new_name) = slot(i, "new_name") else {
            return Ok(just("What should the new name be?"));
        };
        match folders::rename(self.db, self.owner, &id, new_name).await {
            Ok(folder) => Ok((
                Some(format!("Renamed the folder to {}.", folder.name)),
                Action::Navigate {
                    url: folder_url(self.here(), &[]),
                },
            )),
            Err(err) => said_or(err),
        }
    }

    async fn delete_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(id) = self.named_or_current(i).await? else {
            return Ok(just("Open the folder to delete first, or say its name."));
        };
        let folder = folders::get(self.db, self.owner, &id).await?;
        let pending = Pending::DeleteFolder {
            id,
            name: folder.name,
        };
        let question = self.question(&pending).await?;
        pending.ask(self.db, self.session).await?;
        Ok((Some(question.clone()), Action::Confirm { question }))
    }

    /// What a deletion asks.
    async fn question(&self, pending: &Pending) -> Result<String> {
        Ok(match pending {
            Pending::DeleteFolder { id, name } => {
                let inside = folders::contents(self.db, self.owner, id).await?;
                format!(
                    "Delete the folder {name} with its {} photos and {} sub-folders? Say yes or no.",
                    inside.images, inside.folders
                )
            }
            Pending::DeleteImages { ids } => {
                format!("Delete {}? Say yes or no.", plural(ids.len(), "photo"))
            }
        })
    }

    /// The question still waiting, asked again after what did not answer it (and the page's
    /// dialog kept open); None when no question waits.
    async fn ask_again(&self, why: &str) -> Result<Option<Reply>> {
        let Some(pending) = Pending::waiting(self.db, self.session).await? else {
            return Ok(None);
        };
        match self.question(&pending).await {
            Ok(question) => Ok(Some((
                Some(format!("{why} {question}")),
                Action::Confirm { question },
            ))),
            // The folder went another way meanwhile: nothing to ask any more.
            Err(Error::NotFound) => {
                Pending::withdraw(self.db, self.session).await?;
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Not a command (a filler, a noise, half a sentence, another domain): nothing is done,
    /// and a question waiting is asked again, not answered.
    async fn nothing(&self) -> Result<Reply> {
        Ok(self
            .ask_again("That was not a yes or a no.")
            .await?
            .unwrap_or((None, Action::None)))
    }

    async fn move_images(&self, i: &Interpretation) -> Result<Reply> {
        let targets = self.targets();
        if targets.is_empty() {
            return Ok(just("Select the photos to move first."));
        }
        let Some(name) = slot(i, "folder") else {
            return Ok((None, Action::None));
        };
        let Some(folder) = voice::find_folder(self.db, self.owner, name).await? else {
            return Ok(just(format!("I could not find a folder called {name}.")));
        };
        images::move_to(self.db, self.owner, &targets, Some(&folder.id)).await?;
        Ok((
            Some(format!(
                "Moved {} to {}.",
                plural(targets.len(), "photo"),
                folder.name
            )),
            Action::Navigate {
                url: folder_url(self.here(), &[]),
            },
        ))
    }

    async fn delete_images(&self) -> Result<Reply> {
        let targets = self.targets();
        if targets.is_empty() {
            return Ok(just("Select or open the photos to delete first."));
        }
        let chosen = images::get_all(self.db, self.owner, &targets).await?;
        let pending = Pending::DeleteImages {
            ids: chosen.into_iter().map(|i| i.id).collect(),
        };
        let question = self.question(&pending).await?;
        pending.ask(self.db, self.session).await?;
        Ok((Some(question.clone()), Action::Confirm { question }))
    }

    /// A "yes": it settles the question only when the model is sure of it (a click is);
    /// an unsure one asks again.
    async fn confirm(&self, i: &Interpretation) -> Result<Reply> {
        if i.confidence < voice::CONFIRM_AT_LEAST {
            return Ok(self
                .ask_again("I did not catch a clear yes.")
                .await?
                .unwrap_or_else(|| just("There is nothing to confirm.")));
        }
        Ok(match Pending::answer(self.db, self.session).await? {
            Some(Pending::DeleteFolder { id, name }) => {
                let folder = folders::get(self.db, self.owner, &id).await?;
                folders::delete(self.db, self.storage, self.owner, &id).await?;
                // Deleting the folder the page shows: on to its parent.
                let next = if self.here() == Some(id.as_str()) {
                    folder.parent_id.as_deref()
                } else {
                    self.here()
                };
                (
                    Some(format!("Deleted the folder {name}.")),
                    Action::Navigate {
                        url: folder_url(next, &[]),
                    },
                )
            }
            Some(Pending::DeleteImages { ids }) => {
                images::delete(self.db, self.storage, self.owner, &ids).await?;
                (
                    Some(format!("Deleted {}.", plural(ids.len(), "photo"))),
                    Action::Navigate {
                        url: folder_url(self.here(), &[]),
                    },
                )
            }
            None => just("There is nothing to confirm."),
        })
    }

    async fn cancel(&self) -> Result<Reply> {
        let say = match Pending::answer(self.db, self.session).await? {
            Some(_) => "Cancelled; nothing was deleted.",
            None => "Okay.",
        };
        Ok((
            Some(say.into()),
            Action::Page {
                op: PageOp::Dismiss,
                index: None,
            },
        ))
    }

    async fn describe(&self) -> Result<Reply> {
        Ok(match self.targets().first() {
            Some(id) => just(voice::describe(
                &images::get(self.db, self.owner, id).await?,
            )),
            None => just("Open or select a photo first."),
        })
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
