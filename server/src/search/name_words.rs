//! Matching terms against file and folder names as whole words, and the SQL that gives a
//! photo's name as words.

use super::Term;

impl Term {
    /// `LIKE` patterns (with `\\` as the escape) for the term as whole words of a name in
    /// the form of [`NAME_WORDS`] (" my cat 2 png "): the word, or its plural.
    pub fn name_patterns(&self) -> Vec<String> {
        let words = self
            .text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', " ")
            .replace(NAME_SEPARATORS, " ");
        ["", "s", "es"]
            .iter()
            .map(|plural| format!("% {words}{plural} %"))
            .collect()
    }

    /// Whether a name (a file or folder name) has the term as whole words, ignoring case
    /// ("cat" is in "my cat 2.png" and "cats.jpg", not in "catalog.jpg").
    pub fn in_name(&self, name: &str) -> bool {
        let name = format!(" {} ", name_words(name));
        let words = name_words(&self.text);
        ["", "s", "es"]
            .iter()
            .any(|plural| name.contains(&format!(" {words}{plural} ")))
    }
}

/// What separates the words of a file name: besides spaces, these become spaces.
const NAME_SEPARATORS: [char; 6] = ['.', '_', '-', '(', ')', ','];

/// A name as its words: lower case, separated by single spaces.
fn name_words(name: &str) -> String {
    name.to_lowercase()
        .replace(NAME_SEPARATORS, " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The same in SQL for a column `filename` (both databases): " my cat 2 png ", the
/// separators of [`NAME_SEPARATORS`] as spaces, with a space at each end. Migration 0008
/// filled `images.name_words` with it; uploads store [`name_words_of`].
pub const NAME_WORDS_SQL: &str = "' ' || replace(replace(replace(replace(replace(replace(lower(filename), '.', ' '), '_', ' '), '-', ' '), '(', ' '), ')', ' '), ',', ' ') || ' '";

/// What searches match names against: the stored words of a photo's name, or (a row
/// written without them) the words made on the fly.
pub const NAME_WORDS: &str = "COALESCE(i.name_words, ' ' || replace(replace(replace(replace(replace(replace(lower(i.filename), '.', ' '), '_', ' '), '-', ' '), '(', ' '), ')', ' '), ',', ' ') || ' ')";

/// A file name's words as an upload stores them (`images.name_words`): " my cat 2 png ".
pub fn name_words_of(name: &str) -> String {
    format!(" {} ", name_words(name))
}

/// Extensions that make a typed word a file name ("cat.jpg").
const FILE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "tif", "tiff", "bmp", "avif",
];

/// A whole file name typed ("cat.jpg", "IMG_0042.JPG"): its words, as names store them.
pub(super) fn file_name(token: &str) -> Option<String> {
    let (stem, extension) = token.rsplit_once('.')?;
    (!stem.is_empty() && FILE_EXTENSIONS.contains(&extension.to_lowercase().as_str()))
        .then(|| name_words(token))
}
