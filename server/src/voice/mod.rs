//! Voice commands: the intent model turns a transcript into an intent and slots
//! (`shared/intents.md`), with a short sentence to say back; `act` carries a command out
//! for the signed-in user (the page and the JSON API both call it) and answers an
//! `outcome`, and `confirm` holds the deletions waiting for their "yes". Here is what every
//! part needs: the model, the sentences, the folder a name means, and what a photo shows.

mod act;
mod confirm;
mod outcome;

pub use act::act;
pub use confirm::{CONFIRM_AT_LEAST, Pending, purge_unanswered};
pub use outcome::{Action, Change, Context, Outcome, PageOp, View};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use intent::{Intent, IntentModel, Interpretation};
use serde::Serialize;
use serde_json::Value;

use crate::db::Db;
use crate::error::{Error, Result};
use crate::{folders, images, when};

/// The loaded intent model, or why there is none.
pub enum Voice {
    Ready(Arc<IntentModel>),
    Unavailable(String),
}

impl Voice {
    /// The model of `dir`, or the shipped one.
    pub fn load(dir: Option<PathBuf>) -> Self {
        match dir
            .map_or_else(intent::default_model_dir, Ok)
            .and_then(IntentModel::load)
        {
            Ok(model) => Voice::Ready(Arc::new(model)),
            Err(err) => {
                tracing::error!(%err, "voice commands are not available");
                Voice::Unavailable(format!("voice commands are not available: {err}"))
            }
        }
    }

    /// One transcript's intent and slots.
    pub async fn interpret(&self, text: &str) -> Result<Interpretation> {
        let model = match self {
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
}

/// What the page says when a recording held no speech.
pub const NOTHING_HEARD: &str =
    "I did not hear a command. Try again, a little closer to the microphone.";

impl Voice {
    /// What words heard in a recording mean: nothing, when there were none.
    pub async fn heard(&self, text: &str) -> Result<Interpreted> {
        if text.trim().is_empty() {
            return Ok(Interpreted {
                intent: Intent::None,
                confidence: 1.0,
                slots: BTreeMap::new(),
                say: NOTHING_HEARD.into(),
            });
        }
        Ok(self.interpret(text).await?.into())
    }
}

/// An interpretation as the JSON API answers it: the contract's fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Interpreted {
    /// One of the intents of shared/intents.md.
    #[schema(value_type = String)]
    pub intent: Intent,
    pub confidence: f32,
    #[schema(value_type = Object)]
    pub slots: BTreeMap<String, Value>,
    /// A short sentence to show and speak.
    pub say: String,
}

impl From<Interpretation> for Interpreted {
    fn from(i: Interpretation) -> Self {
        Self {
            say: say(&i),
            intent: i.intent,
            confidence: i.confidence,
            slots: i.slots,
        }
    }
}

/// The words said for a slot.
pub fn slot<'a>(i: &'a Interpretation, name: &str) -> Option<&'a str> {
    i.slots.get(name).and_then(Value::as_str)
}

/// What a voice search looks for, as the search box takes it: the query and the time said
/// ("dogs last summer"; the search reads the time in its words), or the time alone ("in
/// july": every photo of July). None when neither was said.
pub fn search_words(i: &Interpretation) -> Option<String> {
    let words: Vec<&str> = [slot(i, "query"), slot(i, "when")]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The sentence of a search: what for, and when the photos were taken, if the search
/// understands the time said (words it does not are searched for as they are).
fn say_search(i: &Interpretation) -> String {
    let query = slot(i, "query").map(str::trim).filter(|q| !q.is_empty());
    let taken = slot(i, "when").map(str::trim).filter(|w| {
        !w.is_empty()
            && when::extract(w, time::OffsetDateTime::now_utc().date())
                .1
                .is_some()
    });
    match (query, taken) {
        (Some(q), Some(w)) => format!("Searching for {q}, taken {w}."),
        (None, Some(w)) => format!("Showing the photos taken {w}."),
        _ => match search_words(i) {
            Some(words) => format!("Searching for {words}."),
            None => ASK_QUERY.into(),
        },
    }
}

/// What a search without words asks.
pub const ASK_QUERY: &str = "What should I search for?";

/// A short sentence for an interpretation, before anything is done.
pub fn say(i: &Interpretation) -> String {
    let q = |name| slot(i, name).unwrap_or("");
    match i.intent {
        Intent::Search => say_search(i),
        Intent::ShowAll => "Showing all photos.".into(),
        Intent::OpenFolder => format!("Opening {}.", q("folder")),
        Intent::GoBack => "Going back.".into(),
        Intent::GoHome => "Going to your photos.".into(),
        Intent::CreateFolder => format!("Creating the folder {}.", q("folder")),
        Intent::RenameFolder => format!("Renaming the folder to {}.", q("new_name")),
        Intent::DeleteFolder => "Delete the folder? Say yes or no.".into(),
        Intent::MoveImages => format!("Moving to {}.", q("folder")),
        Intent::DeleteImages => "Delete the photos? Say yes or no.".into(),
        Intent::Upload => "Choose the photos to upload.".into(),
        Intent::OpenImage => "Opening the photo.".into(),
        Intent::NextImage => "Next photo.".into(),
        Intent::PreviousImage => "Previous photo.".into(),
        Intent::CloseViewer => "Closing the viewer.".into(),
        Intent::ZoomIn => "Zooming in.".into(),
        Intent::ZoomOut => "Zooming out.".into(),
        Intent::StartSlideshow => "Starting the slideshow.".into(),
        Intent::StopSlideshow => "Stopping the slideshow.".into(),
        Intent::SelectAll => "Selecting all photos.".into(),
        Intent::ClearSelection => "Clearing the selection.".into(),
        Intent::SelectImage => "Selecting the photo.".into(),
        Intent::Sort => format!("Sorting by {}.", q("sort_key")),
        Intent::DescribeImage => "Let me look.".into(),
        Intent::Help => HELP.into(),
        Intent::Logout => "Signing you out.".into(),
        Intent::StopListening => "I'll stop listening.".into(),
        Intent::Confirm => "Okay.".into(),
        Intent::Cancel => "Cancelled.".into(),
        Intent::Undo => "Putting it back.".into(),
        Intent::ShowTrash => "Here is the Trash.".into(),
        Intent::None => NOT_UNDERSTOOD.into(),
    }
}

pub const HELP: &str = "You can say: show me pictures of dogs, the dogs from last summer, \
    open the vacation folder, create a folder called trips, move these to trips, open the \
    second one, next, zoom in, start the slideshow, sort by name, select all, delete this \
    photo, undo that, show the trash, what is this, or go home.";
pub const NOT_UNDERSTOOD: &str = "Sorry, that is not something I can do here. Try \u{201c}show me pictures of dogs\u{201d} or say \u{201c}help\u{201d}.";

/// The user's folder whose name best matches what was said: exact, then starting with
/// or containing it, then the closest spelling.
pub async fn find_folder(db: &Db, owner: &str, said: &str) -> Result<Option<folders::Crumb>> {
    let all = folders::all_paths(db, owner).await?;
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

/// What a photo shows, from its labels, as a sentence.
pub fn describe(image: &images::Image) -> String {
    match (image.status, image.labels.as_slice()) {
        (images::Status::Done, [first, rest @ ..]) => {
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
        (images::Status::Error, _) => "I could not classify this photo.".into(),
        _ => "This photo is still being classified.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(slots: &[(&str, &str)]) -> Interpretation {
        Interpretation {
            intent: Intent::Search,
            confidence: 0.9,
            slots: slots
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect(),
        }
    }

    #[test]
    fn a_search_says_what_and_when() {
        let both = search(&[("query", "dogs"), ("when", "last summer")]);
        assert_eq!(search_words(&both).as_deref(), Some("dogs last summer"));
        assert_eq!(say(&both), "Searching for dogs, taken last summer.");
        let alone = search(&[("when", "in july")]);
        assert_eq!(search_words(&alone).as_deref(), Some("in july"));
        assert_eq!(say(&alone), "Showing the photos taken in july.");
        // Words the search does not read as a time are searched for as they are.
        let unknown = search(&[("query", "dogs"), ("when", "over the holidays")]);
        assert_eq!(say(&unknown), "Searching for dogs over the holidays.");
        assert_eq!(say(&search(&[("query", "dogs")])), "Searching for dogs.");
        assert_eq!(search_words(&search(&[])), None);
        assert_eq!(say(&search(&[])), ASK_QUERY);
    }
}
