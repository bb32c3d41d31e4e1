//! What a search means. People ask for "the dog pictures", not for "golden retriever": a
//! word matches a photo when it names one of the photo's ImageNet labels, a synonym of it,
//! or any more general term above it in WordNet ("dog" covers 118 breeds, "vehicle" cars,
//! trucks and boats). The table of those words (`server/data/wordnet-terms.tsv`) is made
//! from WordNet 3.0 by `server/tools/wordnet_terms.py`. Every word also matches file names
//! and folder names.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Longest search accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Words after the first few are ignored (each one narrows the result further).
const MAX_TERMS: usize = 8;

/// Words that say how to ask, not what to find ("photos of dogs with a ball").
const FILLER: &[&str] = &[
    "a", "an", "the", "of", "with", "and", "in", "on", "at", "my", "me", "some", "all", "any",
    "for", "from", "to", "show", "find", "photo", "photos", "picture", "pictures", "pic", "pics",
    "image", "images", "shot", "shots", "that", "which", "ones", "one", "is", "are",
    // Questions about when ("what did I take in july"): the time words go to `when`.
    "what", "did", "do", "i", "we", "you", "take", "took", "taken", "during", "when", "was", "were",
    "ago", "could", "please", "can",
];

/// A label below a general term (or near a word in meaning) counts only from this
/// confidence on: the third label of a photo is often a 1% guess, and "food" should not
/// find every photo whose third guess is an espresso. A term that names the label itself
/// counts at any confidence. Chosen on `server/tests/search-queries/queries-tune.tsv`
/// (0.05, 0.1, 0.15 and 0.2 tried: precision 0.85, 0.87, 0.88, 0.88, recall 0.85-0.84).
pub const MIN_GENERAL_SCORE: f64 = 0.15;

/// The classes a term names, and the classes it is more general than.
type Classes = (Vec<i64>, Vec<i64>);

struct Vocabulary {
    terms: HashMap<String, Classes>,
    /// Irregular plural → singular ("mice" → "mouse").
    plurals: HashMap<String, String>,
    /// Most words in one term ("great white shark" has 3).
    longest: usize,
}

static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| {
    let mut terms = HashMap::new();
    let mut plurals = HashMap::new();
    for line in include_str!("../data/wordnet-terms.tsv").lines() {
        let Some((key, value)) = line.split_once('\t') else {
            continue;
        };
        if let Some(plural) = key.strip_prefix('~') {
            plurals.insert(plural.to_owned(), value.to_owned());
        } else if !key.starts_with('#') {
            let (names, general) = value.split_once('\t').unwrap_or((value, ""));
            let ints = |list: &str| list.split(' ').filter_map(|n| n.parse().ok()).collect();
            terms.insert(key.to_owned(), (ints(names), ints(general)));
        }
    }
    let longest = terms
        .keys()
        .map(|t| t.split(' ').count())
        .max()
        .unwrap_or(1);
    Vocabulary {
        terms,
        plurals,
        longest,
    }
});

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

static NOTHING: Classes = (Vec::new(), Vec::new());

impl Term {
    fn new(text: String, said: String, (names, general): &'static Classes) -> Self {
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

/// Why a query cannot be searched for, in words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Splits a query into terms: phrases the vocabulary knows ("golden retriever", "sports
/// car") stay together, plurals and case do not matter, filler words are dropped.
pub fn parse(q: &str) -> Result<Vec<Term>, Refusal> {
    parse_terms(q, false)
}

/// The same, for a query that also said when: nothing left but filler is no terms at all
/// ("what did I take in july" is every photo of July).
pub fn parse_with_time(q: &str) -> Result<Vec<Term>, Refusal> {
    parse_terms(q, true)
}

/// A query no longer than [`MAX_QUERY_CHARS`].
pub fn check_length(q: &str) -> Result<(), Refusal> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Refusal(format!(
            "the search is too long: at most {MAX_QUERY_CHARS} characters"
        )));
    }
    Ok(())
}

/// Extensions that make a typed word a file name ("cat.jpg").
const FILE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "tif", "tiff", "bmp", "avif",
];

/// A whole file name typed ("cat.jpg", "IMG_0042.JPG"): its words, as names store them.
fn file_name(token: &str) -> Option<String> {
    let (stem, extension) = token.rsplit_once('.')?;
    (!stem.is_empty() && FILE_EXTENSIONS.contains(&extension.to_lowercase().as_str()))
        .then(|| name_words(token))
}

fn parse_terms(q: &str, may_be_empty: bool) -> Result<Vec<Term>, Refusal> {
    check_length(q)?;
    // File names typed whole are found by name only, as they are.
    let mut files = Vec::new();
    let q: String = q
        .split_whitespace()
        .filter(|token| match file_name(token) {
            Some(words) => {
                files.push(words);
                false
            }
            None => true,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let all: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .map(|w| w.trim_matches(['\'', '-']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    // The words that say what to find, each with its place among all the words.
    let meaningful: Vec<(usize, &String)> = all
        .iter()
        .enumerate()
        .filter(|(_, w)| !FILLER.contains(&w.as_str()))
        .collect();
    let words = if meaningful.is_empty() && !may_be_empty && files.is_empty() {
        all.iter().enumerate().collect()
    } else {
        meaningful
    };
    let files: Vec<Term> = files
        .into_iter()
        .map(|words| Term {
            literal: true,
            ..Term::new(words.clone(), words, &NOTHING)
        })
        .collect();
    if words.is_empty() && (may_be_empty || !files.is_empty()) {
        return Ok(files);
    }
    if words.is_empty() {
        return Err(Refusal(
            "type what to search for: a thing in the photos, a file or folder name".into(),
        ));
    }
    let vocabulary = &*VOCABULARY;
    // Each term with the places of its first and last word.
    let mut terms: Vec<(Term, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < words.len() && terms.len() < MAX_TERMS {
        let longest = vocabulary.longest.min(words.len() - i);
        let phrase = (1..=longest).rev().find_map(|n| {
            let phrase = words[i..i + n]
                .iter()
                .map(|(_, w)| w.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            known(vocabulary, &phrase).map(|(text, classes)| (n, text, classes))
        });
        let (n, text, classes) =
            phrase.unwrap_or_else(|| (1, naive_singular(words[i].1), &NOTHING));
        let said = all[words[i].0..=words[i + n - 1].0].join(" ");
        terms.push((
            Term::new(text, said, classes),
            words[i].0,
            words[i + n - 1].0,
        ));
        i += n;
    }
    // Runs of words WordNet does not know also count as one phrase ("something to eat").
    let mut start = 0;
    while start < terms.len() {
        let mut end = start;
        while end < terms.len() && terms[end].0.needs_meaning() {
            end += 1;
        }
        if end - start >= 2 {
            let phrase = all[terms[start].1..=terms[end - 1].2].join(" ");
            for term in &mut terms[start..end] {
                term.0.phrase = Some(phrase.clone());
            }
        }
        start = end.max(start + 1);
    }
    let mut terms: Vec<Term> = files
        .into_iter()
        .chain(terms.into_iter().map(|(t, _, _)| t))
        .collect();
    terms.dedup_by(|a, b| a.text == b.text);
    Ok(terms)
}

/// The vocabulary's form of a phrase, trying the singular of its last word.
fn known(vocabulary: &'static Vocabulary, phrase: &str) -> Option<(String, &'static Classes)> {
    let (head, last) = match phrase.rsplit_once(' ') {
        Some((head, last)) => (format!("{head} "), last),
        None => (String::new(), phrase),
    };
    let mut candidates = vec![last.to_owned()];
    if let Some(singular) = vocabulary.plurals.get(last) {
        candidates.push(singular.clone());
    }
    for (suffix, replacement) in [
        ("ies", "y"),
        ("ves", "f"),
        ("ves", "fe"),
        ("es", ""),
        ("s", ""),
    ] {
        if let Some(stem) = last.strip_suffix(suffix)
            && stem.len() >= 2
            && !last.ends_with("ss")
        {
            candidates.push(format!("{stem}{replacement}"));
        }
    }
    candidates.into_iter().find_map(|word| {
        let text = format!("{head}{word}");
        let classes = vocabulary.terms.get(&text)?;
        Some((text, classes))
    })
}

/// "dogs" → "dog", "parties" → "party", for matching names; words that end in "ss"
/// ("glass") stay.
fn naive_singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies")
        && stem.chars().count() >= 2
    {
        return format!("{stem}y");
    }
    match word.strip_suffix('s') {
        Some(stem) if word.chars().count() > 3 && !stem.ends_with('s') => stem.to_owned(),
        _ => word.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(q: &str) -> Vec<String> {
        parse(q).unwrap().into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn hypernyms_cover_their_classes() {
        let dog = &parse("dog").unwrap()[0];
        assert_eq!(dog.general.len(), 118);
        assert!(
            dog.matches(207, 0.9).is_some(),
            "a golden retriever is a dog"
        );
        assert!(
            dog.matches(207, 0.01).is_none(),
            "but not a 1% guess of one"
        );
        assert!(dog.matches(934, 0.9).is_none(), "a hot dog is not");
        let golden = &parse("golden retriever").unwrap()[0];
        assert!(
            golden.matches(207, 0.01).is_some(),
            "its own name matches at any confidence"
        );
        let cat = &parse("Cats").unwrap()[0];
        assert!(cat.matches(281, 0.5).is_some() && cat.matches(283, 0.5).is_some());
        assert_eq!(parse("vehicle").unwrap()[0].general.len(), 67);
        assert_eq!(parse("birds").unwrap()[0].general.len(), 59);
    }

    #[test]
    fn phrases_plurals_and_filler() {
        assert_eq!(texts("photos of Golden Retrievers"), ["golden retriever"]);
        assert_eq!(texts("dog beach"), ["dog", "beach"]);
        assert_eq!(texts("mice"), ["mouse"]);
        assert_eq!(texts("wolves"), ["wolf"]);
        assert_eq!(texts("butterflies"), ["butterfly"]);
        assert_eq!(texts("parties"), ["party"], "not a class: kept for names");
        assert_eq!(texts("Boats"), ["boat"]);
        assert_eq!(texts("the"), ["the"], "a query of filler alone is kept");
        assert!(parse("   ").is_err());
        assert!(parse(&"x".repeat(10_000)).is_err());
    }
}

#[cfg(test)]
mod name_tests {
    use super::parse;

    #[test]
    fn a_term_is_in_a_name_as_whole_words() {
        let cat = &parse("cat").unwrap()[0];
        for name in [
            "cat.jpg",
            "my cat 2.png",
            "Cats.JPG",
            "IMG_cat_01.jpg",
            "cat-(1).jpg",
        ] {
            assert!(cat.in_name(name), "{name}");
        }
        for name in ["catalog.jpg", "bobcat.jpg", "concatenate", "ca t.jpg"] {
            assert!(!cat.in_name(name), "{name}");
        }
        let phrase = &parse("golden retriever").unwrap()[0];
        assert!(phrase.in_name("Golden_Retriever-2.jpg"));
        assert_eq!(cat.name_patterns()[0], "% cat %");
    }
}

/// Words the vocabulary knows that begin with `prefix` and mean one of `classes` (the
/// classes of someone's photos, so that nothing is suggested that finds nothing), the
/// shortest first: the search box's suggestions.
pub fn terms_starting(
    prefix: &str,
    classes: &std::collections::HashSet<i64>,
    limit: usize,
) -> Vec<String> {
    let prefix = prefix.to_lowercase();
    if prefix.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<&String> = VOCABULARY
        .terms
        .iter()
        .filter(|(term, (names, general))| {
            term.starts_with(&prefix) && names.iter().chain(general).any(|c| classes.contains(c))
        })
        .map(|(term, _)| term)
        .collect();
    found.sort_by_key(|t| (t.len(), t.as_str()));
    found.into_iter().take(limit).cloned().collect()
}
