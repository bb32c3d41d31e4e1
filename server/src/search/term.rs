//! A term of a search and how it matches a photo's labels: by name, by a more general
//! WordNet term, or by nearness in meaning, in Rust and in SQL.

use super::vocabulary::Classes;

/// A label below a general term (or near a word in meaning) counts only from this
/// confidence on: the third label of a photo is often a 1% guess, and "food" should not
/// find every photo whose third guess is an espresso. A term that names the label itself
/// counts at any confidence. Chosen on `server/tests/search-queries/queries-tune.tsv`
/// (0.05, 0.1, 0.15 and 0.2 tried: precision 0.85, 0.87, 0.88, 0.88, recall 0.85-0.84).
pub const MIN_GENERAL_SCORE: f64 = 0.15;

/// One thing a search asks for: a word or phrase, and the classes it means: those it names
/// and those it is more general than (none when WordNet ties it to no ImageNet class, like
/// "puppies"; then the everyday-words step may find classes near it in meaning, and names
/// always can match it).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub text: String,
    pub names: &'static [i64],
    pub general: &'static [i64],
    /// Classes near the word in meaning (`everyday::widen`), for a word WordNet does not
    /// know.
    pub similar: Vec<i64>,
    /// The words or class names those came by ("dog" for "puppies").
    pub similar_to: Vec<String>,
    /// The run of unknown words this one is part of, as said ("something to eat"), when
    /// there are several.
    pub phrase: Option<String>,
    /// The word as typed ("bugs", where `text` is "bug"): what the everyday-words step reads.
    pub said: String,
    /// A file name typed whole ("cat.jpg"), or a word that names one of the user's folders:
    /// it means just that, so no classes are looked for.
    pub literal: bool,
}

/// How a photo matched a term.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// The term names the label, or a synonym of it ("golden retriever").
    Label,
    /// The term is more general than the label in WordNet ("dog" above "beagle").
    Wordnet,
    /// The term is near the label in meaning ("puppies" near "dog", above "beagle").
    Similar,
    /// The term is a whole word of the file name.
    Name,
    /// The term is a whole word of the name of the photo's folder or one above it.
    Folder,
}

pub(super) static NOTHING: Classes = (Vec::new(), Vec::new());

impl Term {
    pub(super) fn new(text: String, said: String, (names, general): &'static Classes) -> Self {
        Self {
            text,
            names,
            general,
            similar: Vec::new(),
            similar_to: Vec::new(),
            phrase: None,
            said,
            literal: false,
        }
    }

    /// Whether WordNet ties the term to no class, so that the everyday-words step should
    /// look for its meaning (not for numbers: "2019" means no thing; not for file names).
    pub fn needs_meaning(&self) -> bool {
        self.names.is_empty()
            && self.general.is_empty()
            && !self.literal
            && self.text.chars().any(char::is_alphabetic)
    }

    /// Whether (and how) a label of a photo matches this term.
    pub fn matches(&self, class_index: i64, score: f64) -> Option<How> {
        if self.names.contains(&class_index) {
            Some(How::Label)
        } else if score >= MIN_GENERAL_SCORE && self.general.contains(&class_index) {
            Some(How::Wordnet)
        } else if score >= MIN_GENERAL_SCORE && self.similar.contains(&class_index) {
            Some(How::Similar)
        } else {
            None
        }
    }

    /// The same test in SQL, on a row `l` of `image_labels`.
    pub fn label_condition(&self) -> Option<String> {
        let wordnet = self.wordnet_condition();
        let similar = (!self.similar.is_empty()).then(|| confident_in(&self.similar));
        match (wordnet, similar) {
            (Some(w), Some(s)) => Some(format!("({w} OR {s})")),
            (w, s) => w.or(s),
        }
    }

    /// The part of [`Term::label_condition`] that WordNet gives (which ranks first).
    pub fn wordnet_condition(&self) -> Option<String> {
        let mut any = Vec::new();
        if !self.names.is_empty() {
            any.push(format!("l.class_index IN ({})", list(self.names)));
        }
        if !self.general.is_empty() {
            any.push(confident_in(self.general));
        }
        (!any.is_empty()).then(|| format!("({})", any.join(" OR ")))
    }
}

/// A label of `classes` at [`MIN_GENERAL_SCORE`] or more, in SQL on a row `l`.
fn confident_in(classes: &[i64]) -> String {
    format!(
        "(l.score >= {MIN_GENERAL_SCORE} AND l.class_index IN ({}))",
        list(classes)
    )
}

/// Class indices for SQL: "1,2,3".
fn list(classes: &[i64]) -> String {
    classes
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
