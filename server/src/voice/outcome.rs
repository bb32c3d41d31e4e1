//! What a voice command answers, as plain values: where it was spoken (`Context`), what
//! the gallery shows or does next (`View`, `Action`, `PageOp`), what changed (`Change`),
//! and all of it together (`Outcome`). The executor (`act`) makes them; the page and the
//! JSON API render them.

use std::collections::BTreeMap;

use intent::Intent;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use utoipa::ToSchema;

use super::Pending;

/// Where a command is spoken: what the gallery shows, and the photos it is about.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
pub struct Context {
    /// The folder shown (absent: the root).
    #[serde(default)]
    pub folder_id: Option<String>,
    /// The photos selected.
    #[serde(default)]
    pub selected: Vec<String>,
    /// The photo open in the viewer (what a command is about when none is selected).
    #[serde(default)]
    pub open_image: Option<String>,
    /// The search shown, kept by a new sort order.
    #[serde(default)]
    pub query: Option<String>,
}

/// What the gallery shows: a folder (none: the root), searched and sorted or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct View {
    /// The folder (null: the root).
    pub folder_id: Option<String>,
    /// The search, as the search box takes it ("dogs last summer").
    pub q: Option<String>,
    /// `date`, `name` or `tag`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
}

impl View {
    /// A folder (none: the root), as it is.
    pub(super) fn folder(id: Option<&str>) -> Self {
        Self {
            folder_id: id.map(str::to_owned),
            ..Self::default()
        }
    }

    /// The parameters of the view, in the order the page's addresses have them.
    pub fn params(&self) -> Vec<(&'static str, &str)> {
        [("sort", &self.sort), ("order", &self.order), ("q", &self.q)]
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
            .collect()
    }

    /// The gallery page of the view: `/gallery[/ID]`, with its search and order.
    pub fn url(&self) -> String {
        let base = self
            .folder_id
            .as_deref()
            .map_or_else(|| "/gallery".to_owned(), |id| format!("/gallery/{id}"));
        let params = self.params();
        if params.is_empty() {
            base
        } else {
            format!(
                "{base}?{}",
                serde_urlencoded::to_string(params).unwrap_or_default()
            )
        }
    }

    fn serialize_url<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.url())
    }
}

/// What the gallery does after the command.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do but show (and speak) the sentence.
    None,
    /// Show this view (a folder, a search, a sort order): `url` is its page.
    Navigate {
        #[serde(rename = "url", serialize_with = "View::serialize_url")]
        #[schema(value_type = String)]
        to: View,
    },
    /// Go to another page of the gallery (the Trash): `url` is its address.
    #[serde(rename = "navigate")]
    Visit { url: String },
    /// A change the client makes itself: the viewer, the selection, the microphone.
    Page {
        op: PageOp,
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<i64>,
    },
    /// Ask first; the answer ("yes"/"no", or a click) comes as another command.
    Confirm { question: String },
}

/// The operations the page's script performs (`static/voice.js`): its own vocabulary, not
/// the intents'.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ToSchema)]
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

/// What a command changed in the user's gallery.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CreatedFolder {
        folder_id: String,
        name: String,
    },
    RenamedFolder {
        folder_id: String,
        name: String,
    },
    /// To the Trash, with what was in it.
    DeletedFolder {
        folder_id: String,
        name: String,
    },
    MovedImages {
        image_ids: Vec<String>,
        folder_id: String,
    },
    /// To the Trash.
    DeletedImages {
        image_ids: Vec<String>,
    },
    /// The last move or deletion taken back: what it had done, as it was said.
    Undone {
        said: String,
    },
}

/// A command carried out: the interpretation, the sentence to show and speak, what the
/// gallery does next, and what changed.
#[derive(Debug)]
pub struct Outcome {
    pub intent: Intent,
    pub confidence: f32,
    pub slots: BTreeMap<String, Value>,
    pub say: String,
    pub action: Action,
    /// None when nothing changed (a deletion that asks has changed nothing yet).
    pub done: Option<Change>,
    /// The deletion waiting for its answer, when the action asks.
    pub waiting: Option<Pending>,
}

impl Outcome {
    /// Whether a deletion waits for a "yes" (nothing was deleted).
    pub fn needs_confirmation(&self) -> bool {
        matches!(self.action, Action::Confirm { .. })
    }
}
