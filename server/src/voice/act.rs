//! The voice command executor: one interpreted command carried out for the signed-in user
//! where it was spoken (the folder shown, the selection, the open photo), through the
//! domain modules, and answered with a plain value (`outcome`): what was said back, what
//! the gallery shows or does next, and what changed. The page (`web::voice`) and the JSON
//! API (`api::voice`) both call [`act`]; deletions only ask here and happen on the answer
//! (`confirm`).

use intent::{Intent, Interpretation};
use serde_json::Value;

use super::outcome::{Action, Change, Context, Outcome, PageOp, View};
use super::{Pending, slot};
use crate::auth::sessions::Session;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::undo::Change as UndoChange;
use crate::{folders, images};

/// Carries out one command of `session`'s user where `context` says it was spoken.
/// Another user's folder or photo in the context is not found (`Error::NotFound`).
pub async fn act(
    db: &Db,
    session: &Session,
    context: Context,
    i: Interpretation,
) -> Result<Outcome> {
    let executor = Executor {
        db,
        session: &session.token_hash,
        owner: &session.user.id,
        context,
    };
    executor.act(i).await
}

/// A command's user, their things, and what the gallery shows.
pub(super) struct Executor<'a> {
    pub(super) db: &'a Db,
    /// The session a question is asked in (and answered).
    pub(super) session: &'a str,
    pub(super) owner: &'a str,
    pub(super) context: Context,
}

/// What a command answers: the sentence, if not the interpretation's own, the action, what
/// changed and what waits for an answer.
pub(super) struct Reply {
    pub(super) say: Option<String>,
    pub(super) action: Action,
    pub(super) done: Option<Change>,
    pub(super) waiting: Option<Pending>,
}

impl Reply {
    pub(super) fn new(say: Option<String>, action: Action) -> Self {
        Self {
            say,
            action,
            done: None,
            waiting: None,
        }
    }

    /// The interpretation's own sentence, nothing done.
    fn silent() -> Self {
        Self::new(None, Action::None)
    }

    pub(super) fn just(say: impl Into<String>) -> Self {
        Self::new(Some(say.into()), Action::None)
    }

    fn navigate(to: View) -> Self {
        Self::new(None, Action::Navigate { to })
    }

    fn page(op: PageOp) -> Self {
        Self::new(None, Action::Page { op, index: None })
    }

    /// The same, with what changed.
    pub(super) fn did(mut self, change: Change) -> Self {
        self.done = Some(change);
        self
    }
}

/// "1 photo", "3 photos".
pub(super) fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A refusal the user can act on (a bad or taken name) is said; anything else fails.
fn said_or(err: Error) -> Result<Reply> {
    match err {
        Error::BadRequest(m) | Error::Conflict(m) => Ok(Reply::just(capitalise(&m))),
        other => Err(other),
    }
}

fn capitalise(s: &str) -> String {
    first_letter(s, char::to_uppercase)
}

fn decapitalise(s: &str) -> String {
    first_letter(s, char::to_lowercase)
}

/// `s` with its first letter changed by `case`.
fn first_letter<I: Iterator<Item = char>>(s: &str, case: fn(char) -> I) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| case(f).collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl Executor<'_> {
    /// The folder the gallery shows.
    pub(super) fn here(&self) -> Option<&str> {
        self.context.folder_id.as_deref().filter(|f| !f.is_empty())
    }

    /// The view of the folder shown, or of another folder, without search or order.
    pub(super) fn show(&self, folder: Option<&str>) -> Action {
        Action::Navigate {
            to: View::folder(folder),
        }
    }

    /// The photos a command is about: the selection, else the open photo.
    pub(super) fn targets(&self) -> Vec<String> {
        if self.context.selected.is_empty() {
            self.context.open_image.iter().cloned().collect()
        } else {
            self.context.selected.clone()
        }
    }

    /// The folder a command names, or else the one the gallery shows.
    pub(super) async fn named_or_current(&self, i: &Interpretation) -> Result<Option<String>> {
        match slot(i, "folder") {
            Some(name) => Ok(super::find_folder(self.db, self.owner, name)
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
        let reply = match i.intent {
            Intent::Search => self.search(&i),
            Intent::ShowAll => Reply::navigate(View::folder(self.here())),
            Intent::OpenFolder => self.open_folder(&i).await?,
            Intent::GoBack => self.go_back().await?,
            Intent::GoHome => Reply::navigate(View::default()),
            Intent::CreateFolder => self.create_folder(&i).await?,
            Intent::RenameFolder => self.rename_folder(&i).await?,
            Intent::DeleteFolder => self.delete_folder(&i).await?,
            Intent::MoveImages => self.move_images(&i).await?,
            Intent::DeleteImages => self.delete_images().await?,
            Intent::Confirm => self.confirm(&i).await?,
            Intent::Cancel => self.cancel().await?,
            Intent::Undo => self.undo().await?,
            Intent::ShowTrash => Reply::new(
                Some("Here is the Trash.".into()),
                Action::Visit {
                    url: "/trash".into(),
                },
            ),
            Intent::Sort => self.sort(&i),
            Intent::DescribeImage => self.describe().await?,
            Intent::OpenImage => self.nth(PageOp::Open, &i),
            Intent::SelectImage => self.nth(PageOp::Select, &i),
            Intent::NextImage => Reply::page(PageOp::Next),
            Intent::PreviousImage => Reply::page(PageOp::Previous),
            Intent::CloseViewer => Reply::page(PageOp::Close),
            Intent::ZoomIn => Reply::page(PageOp::ZoomIn),
            Intent::ZoomOut => Reply::page(PageOp::ZoomOut),
            Intent::StartSlideshow => Reply::page(PageOp::Play),
            Intent::StopSlideshow => Reply::page(PageOp::Pause),
            Intent::SelectAll => Reply::page(PageOp::SelectAll),
            Intent::ClearSelection => Reply::page(PageOp::SelectNone),
            Intent::Upload => Reply::page(PageOp::ChooseFiles),
            Intent::Help => Reply::page(PageOp::ShowHelp),
            Intent::Logout => Reply::page(PageOp::SignOut),
            Intent::StopListening => Reply::page(PageOp::StopListening),
            Intent::None => self.nothing().await?,
        };
        Ok(Outcome {
            say: reply.say.unwrap_or_else(|| super::say(&i)),
            intent: i.intent,
            confidence: i.confidence,
            slots: i.slots,
            action: reply.action,
            done: reply.done,
            waiting: reply.waiting,
        })
    }

    /// The search of what was said: the query with the time said ("dogs last summer"), or
    /// the time alone ("in july"), which the search reads as dates taken.
    fn search(&self, i: &Interpretation) -> Reply {
        match super::search_words(i) {
            Some(q) => Reply::navigate(View {
                q: Some(q),
                ..View::folder(self.here())
            }),
            None => Reply::just(super::ASK_QUERY),
        }
    }

    fn nth(&self, op: PageOp, i: &Interpretation) -> Reply {
        let index = i.slots.get("ordinal").and_then(Value::as_i64).or(Some(1));
        Reply::new(None, Action::Page { op, index })
    }

    fn sort(&self, i: &Interpretation) -> Reply {
        let key = slot(i, "sort_key").unwrap_or("date");
        let order = slot(i, "order").unwrap_or(if key == "name" { "asc" } else { "desc" });
        Reply::navigate(View {
            sort: Some(key.to_owned()),
            order: Some(order.to_owned()),
            q: self.context.query.clone(),
            ..View::folder(self.here())
        })
    }

    async fn open_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(name) = slot(i, "folder") else {
            return Ok(Reply::silent());
        };
        Ok(match super::find_folder(self.db, self.owner, name).await? {
            Some(folder) => Reply::new(
                Some(format!("Opening {}.", folder.name)),
                self.show(Some(&folder.id)),
            ),
            None => Reply::just(format!("I could not find a folder called {name}.")),
        })
    }

    async fn go_back(&self) -> Result<Reply> {
        Ok(match self.here() {
            Some(id) => {
                let folder = folders::get(self.db, self.owner, id).await?;
                Reply::navigate(View::folder(folder.parent_id.as_deref()))
            }
            None if self.context.query.is_some() => Reply::navigate(View::default()),
            None => Reply::page(PageOp::Back),
        })
    }

    async fn create_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(name) = slot(i, "folder") else {
            return Ok(Reply::silent());
        };
        match folders::create(self.db, self.owner, name, self.here()).await {
            Ok(folder) => Ok(Reply::new(
                Some(format!("Created the folder {}.", folder.name)),
                self.show(self.here()),
            )
            .did(Change::CreatedFolder {
                folder_id: folder.id,
                name: folder.name,
            })),
            Err(err) => said_or(err),
        }
    }

    async fn rename_folder(&self, i: &Interpretation) -> Result<Reply> {
        let Some(id) = self.named_or_current(i).await? else {
            return Ok(Reply::just(
                "Open the folder to rename first, or say its name.",
            ));
        };
        let Some(new_name) = slot(i, "new_name") else {
            return Ok(Reply::just("What should the new name be?"));
        };
        match folders::rename(self.db, self.owner, &id, new_name).await {
            Ok(folder) => Ok(Reply::new(
                Some(format!("Renamed the folder to {}.", folder.name)),
                self.show(self.here()),
            )
            .did(Change::RenamedFolder {
                folder_id: folder.id,
                name: folder.name,
            })),
            Err(err) => said_or(err),
        }
    }

    async fn move_images(&self, i: &Interpretation) -> Result<Reply> {
        let targets = self.targets();
        if targets.is_empty() {
            return Ok(Reply::just("Select the photos to move first."));
        }
        let Some(name) = slot(i, "folder") else {
            return Ok(Reply::silent());
        };
        let Some(folder) = super::find_folder(self.db, self.owner, name).await? else {
            return Ok(Reply::just(format!(
                "I could not find a folder called {name}."
            )));
        };
        let before = images::get_all(self.db, self.owner, &targets).await?;
        images::move_to(self.db, self.owner, &targets, Some(&folder.id)).await?;
        let said = format!(
            "Moved {} to {}",
            plural(targets.len(), "photo"),
            folder.name
        );
        let from = before.into_iter().map(|i| (i.id, i.folder_id)).collect();
        crate::undo::remember(self.db, self.owner, &said, UndoChange::MovedImages { from }).await?;
        Ok(Reply::new(
            Some(format!(
                "Moved {} to {}.",
                plural(targets.len(), "photo"),
                folder.name
            )),
            self.show(self.here()),
        )
        .did(Change::MovedImages {
            image_ids: targets,
            folder_id: folder.id,
        }))
    }

    /// The user's last move or deletion, put back while it is remembered.
    async fn undo(&self) -> Result<Reply> {
        match crate::undo::undo(self.db, self.owner, None).await {
            Ok(said) => Ok(Reply::new(
                Some(format!("Undone: {}.", decapitalise(&said))),
                self.show(self.here()),
            )
            .did(Change::Undone { said })),
            Err(Error::NotFound) => Ok(Reply::just("There is nothing to undo.")),
            Err(err) => said_or(err),
        }
    }

    async fn describe(&self) -> Result<Reply> {
        Ok(match self.targets().first() {
            Some(id) => Reply::just(super::describe(
                &images::get(self.db, self.owner, id).await?,
            )),
            None => Reply::just("Open or select a photo first."),
        })
    }
}
