//! Asking before anything is deleted: the deletions waiting for their "yes", per signed-in
//! session (kept in the database, so the answer may reach any server), the questions they
//! ask, and the answers. Only an explicit, clear answer settles a question: a filler or an
//! unsure "yes" asks it again, and any other command withdraws it (`act`).

use intent::{Intent, Interpretation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Voice;
use super::act::{Executor, Reply, plural};
use super::outcome::{Action, Change, PageOp};
use crate::db::{Db, now_ms};
use crate::error::{Error, Result};
use crate::folders;
use crate::images;

/// A destructive action waiting for its "yes", per signed-in session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    DeleteFolder { id: String, name: String },
    DeleteImages { ids: Vec<String> },
}

/// How long a question waits for its answer.
const PENDING_MS: i64 = 120_000;

/// How sure the model must be of a `confirm` for it to settle a deletion: a weaker one is
/// asked again (issue 18). Explicit answers read well above it; the model's own threshold
/// (labels.json, 0.4) is meant for harmless commands.
pub const CONFIRM_AT_LEAST: f32 = 0.8;

impl Pending {
    pub async fn ask(&self, db: &Db, session: &str) -> Result<()> {
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

    /// The question this session was asked, if it is still recent, left waiting: what a
    /// filler or an unclear answer asks again.
    pub async fn waiting(db: &Db, session: &str) -> Result<Option<Self>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT action, created_at FROM voice_pending WHERE session_hash = $1")
                .bind(session)
                .fetch_optional(db)
                .await?;
        Ok(Self::recent(row))
    }

    /// A stored question, if it is still recent.
    fn recent(row: Option<(String, i64)>) -> Option<Self> {
        row.filter(|(_, at)| now_ms() - at < PENDING_MS)
            .and_then(|(action, _)| serde_json::from_str(&action).ok())
    }

    /// Forgets this session's question: another command came instead of the answer, and a
    /// "yes" after it settles nothing.
    pub async fn withdraw(db: &Db, session: &str) -> Result<()> {
        sqlx::query("DELETE FROM voice_pending WHERE session_hash = $1")
            .bind(session)
            .execute(db)
            .await?;
        Ok(())
    }

    /// The question this session was asked, taken (once) if it is still recent.
    pub async fn answer(db: &Db, session: &str) -> Result<Option<Self>> {
        let row: Option<(String, i64)> = sqlx::query_as(
            "DELETE FROM voice_pending WHERE session_hash = $1 RETURNING action, created_at",
        )
        .bind(session)
        .fetch_optional(db)
        .await?;
        Ok(Self::recent(row))
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

impl Voice {
    /// What a command means: the words said or typed, or else a click on the confirmation
    /// dialog (`answer`: "confirm" or "cancel"), which is as sure as an answer gets.
    pub async fn command(&self, text: &str, answer: Option<&str>) -> Result<Interpretation> {
        let intent = match answer {
            None => return self.interpret(text).await,
            Some("confirm") => Intent::Confirm,
            Some("cancel") => Intent::Cancel,
            Some(_) => return Err(Error::bad_request("answer must be confirm or cancel")),
        };
        Ok(Interpretation {
            intent,
            confidence: 1.0,
            slots: Default::default(),
        })
    }
}

impl Executor<'_> {
    pub(super) async fn delete_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(id) = self.named_or_current(i).await? else {
            return Ok(Reply::just(
                "Open the folder to delete first, or say its name.",
            ));
        };
        let folder = folders::owned(self.db, self.owner, &id).await?;
        self.ask(Pending::DeleteFolder {
            id,
            name: folder.name,
        })
        .await
    }

    pub(super) async fn delete_images(&self) -> Result<Reply> {
        let targets = self.targets();
        if targets.is_empty() {
            return Ok(Reply::just("Select or open the photos to delete first."));
        }
        let chosen = images::get_all(self.db, self.owner, &targets).await?;
        self.ask(Pending::DeleteImages {
            ids: chosen.into_iter().map(|i| i.id).collect(),
        })
        .await
    }

    /// Asks before a deletion; the question waits for its answer in this session.
    async fn ask(&self, pending: Pending) -> Result<Reply> {
        let question = self.question(&pending).await?;
        pending.ask(self.db, self.session).await?;
        Ok(Self::asking(question.clone(), question, pending))
    }

    fn asking(say: String, question: String, pending: Pending) -> Reply {
        Reply {
            waiting: Some(pending),
            ..Reply::new(Some(say), Action::Confirm { question })
        }
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
            Ok(question) => Ok(Some(Self::asking(
                format!("{why} {question}"),
                question,
                pending,
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
    pub(super) async fn nothing(&self) -> Result<Reply> {
        Ok(self
            .ask_again("That was not a yes or a no.")
            .await?
            .unwrap_or_else(|| Reply::new(None, Action::None)))
    }

    /// A "yes": it settles the question only when the model is sure of it (a click is);
    /// an unsure one asks again.
    pub(super) async fn confirm(&self, i: &Interpretation) -> Result<Reply> {
        if i.confidence < CONFIRM_AT_LEAST {
            return Ok(self
                .ask_again("I did not catch a clear yes.")
                .await?
                .unwrap_or_else(|| Reply::just("There is nothing to confirm.")));
        }
        Ok(match Pending::answer(self.db, self.session).await? {
            Some(Pending::DeleteFolder { id, name }) => {
                let folder = folders::owned(self.db, self.owner, &id).await?;
                folders::delete(self.db, self.owner, &id).await?;
                let said = format!("Moved the folder {name} to Trash");
                let change = crate::undo::Change::Trashed {
                    image_ids: Vec::new(),
                    folder_ids: vec![id.clone()],
                };
                crate::undo::remember(self.db, self.owner, &said, change).await?;
                // Deleting the folder the gallery shows: on to its parent.
                let next = if self.here() == Some(id.as_str()) {
                    folder.parent_id.as_deref()
                } else {
                    self.here()
                };
                Reply::new(
                    Some(format!("Moved the folder {name} to the Trash.")),
                    self.show(next),
                )
                .did(Change::DeletedFolder {
                    folder_id: id,
                    name,
                })
            }
            Some(Pending::DeleteImages { ids }) => {
                let deleted = images::delete(self.db, self.owner, &ids).await?;
                let said = format!("Moved {} to Trash", plural(ids.len(), "photo"));
                let change = crate::undo::Change::Trashed {
                    image_ids: deleted.trashed_ids,
                    folder_ids: Vec::new(),
                };
                crate::undo::remember(self.db, self.owner, &said, change).await?;
                Reply::new(
                    Some(format!(
                        "Moved {} to the Trash.",
                        plural(ids.len(), "photo")
                    )),
                    self.show(self.here()),
                )
                .did(Change::DeletedImages { image_ids: ids })
            }
            None => Reply::just("There is nothing to confirm."),
        })
    }

    pub(super) async fn cancel(&self) -> Result<Reply> {
        let say = match Pending::answer(self.db, self.session).await? {
            Some(_) => "Cancelled; nothing was deleted.",
            None => "Okay.",
        };
        Ok(Reply::new(
            Some(say.into()),
            Action::Page {
                op: PageOp::Dismiss,
                index: None,
            },
        ))
    }
}
