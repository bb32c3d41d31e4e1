//! The intents of `shared/intents.md`: the one list of them. The model's `labels.json`
//! names its outputs with these names; the server acts on the variants.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Intent {
    Search,
    ShowAll,
    OpenFolder,
    GoBack,
    GoHome,
    CreateFolder,
    RenameFolder,
    DeleteFolder,
    MoveImages,
    DeleteImages,
    Upload,
    OpenImage,
    NextImage,
    PreviousImage,
    CloseViewer,
    ZoomIn,
    ZoomOut,
    StartSlideshow,
    StopSlideshow,
    SelectAll,
    ClearSelection,
    SelectImage,
    Sort,
    DescribeImage,
    Help,
    Logout,
    StopListening,
    Confirm,
    Cancel,
    /// Take back the last move or deletion ("undo that", "put it back").
    Undo,
    /// Open the Trash.
    ShowTrash,
    /// Not a gallery command.
    None,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The slots the intent takes from the words said (`sort` reads its own from the whole
    /// sentence), in the order they are said. `when` is a time, kept as said.
    pub fn slots(self) -> &'static [&'static str] {
        match self {
            Self::Search => &["query", "when"],
            Self::OpenFolder | Self::CreateFolder | Self::DeleteFolder | Self::MoveImages => {
                &["folder"]
            }
            Self::OpenImage | Self::SelectImage => &["ordinal"],
            Self::RenameFolder => &["folder", "new_name"],
            _ => &[],
        }
    }
}

impl std::fmt::Display for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::Intent;

    #[test]
    fn the_shipped_model_knows_exactly_these_intents() {
        let labels: serde_json::Value =
            serde_json::from_str(include_str!("../model/labels.json")).unwrap();
        let mut named: Vec<&str> = labels["intents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let mut ours: Vec<&str> = Intent::VARIANTS.iter().map(|i| i.as_str()).collect();
        named.sort_unstable();
        ours.sort_unstable();
        assert_eq!(named, ours);
        for intent in Intent::VARIANTS {
            assert_eq!(intent.as_str().parse::<Intent>(), Ok(*intent));
        }
    }
}
