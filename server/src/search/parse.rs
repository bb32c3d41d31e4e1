//! Reading a query into terms: phrases the vocabulary knows stay together, plurals and
//! filler words are dealt with, and file names typed whole are kept as they are.

use super::name_words::file_name;
use super::term::{NOTHING, Term};
use super::vocabulary::{VOCABULARY, known};

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
