//! The WordNet vocabulary (`server/data/wordnet-terms.tsv`): the terms it knows, the
//! classes each means, and the suggestions drawn from it.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The classes a term names, and the classes it is more general than.
pub(super) type Classes = (Vec<i64>, Vec<i64>);

pub(super) struct Vocabulary {
    terms: HashMap<String, Classes>,
    /// Irregular plural → singular ("mice" → "mouse").
    plurals: HashMap<String, String>,
    /// Most words in one term ("great white shark" has 3).
    pub(super) longest: usize,
}

pub(super) static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| {
    let mut terms = HashMap::new();
    let mut plurals = HashMap::new();
    for line in include_str!("../../data/wordnet-terms.tsv").lines() {
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

/// The vocabulary's form of a phrase, trying the singular of its last word.
pub(super) fn known(
    vocabulary: &'static Vocabulary,
    phrase: &str,
) -> Option<(String, &'static Classes)> {
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
