//! Slot values as the contract wants them: free text without leading articles or
//! possessives, ordinals as integers (words or digits, "last" is -1), and the sort key and
//! order read from the whole sentence. `train/dataset.py` applies the same rules to make
//! the expected values.

use crate::Intent;

const ARTICLES: [&str; 7] = ["the ", "a ", "an ", "my ", "our ", "some ", "your "];

/// "the vacation folder's" → "vacation folder's"; "my dog" → "dog".
pub fn strip_articles(value: &str) -> String {
    let mut value = value
        .trim()
        .trim_matches(|c| ".,!?".contains(c))
        .trim()
        .to_owned();
    loop {
        let lower = value.to_lowercase();
        match ARTICLES.iter().find(|a| lower.starts_with(*a)) {
            Some(article) => value = value[article.len()..].trim().to_owned(),
            None => return value,
        }
    }
}

const ORDINALS: [(&str, i64); 42] = [
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("seventh", 7),
    ("eighth", 8),
    ("ninth", 9),
    ("tenth", 10),
    ("eleventh", 11),
    ("twelfth", 12),
    ("thirteenth", 13),
    ("fourteenth", 14),
    ("fifteenth", 15),
    ("sixteenth", 16),
    ("seventeenth", 17),
    ("eighteenth", 18),
    ("nineteenth", 19),
    ("twentieth", 20),
    ("last", -1),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("final", -1),
];

/// "third" → 3, "3rd" → 3, "12" → 12, "last" → -1.
pub fn ordinal(value: &str) -> Option<i64> {
    let v = value.trim().to_lowercase();
    let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        let suffix = &v[digits.len()..];
        if ["", "st", "nd", "rd", "th"].contains(&suffix) {
            return digits.parse().ok();
        }
    }
    ORDINALS.iter().find(|(w, _)| *w == v).map(|(_, n)| *n)
}

/// The sort key and (when said) the order of a `sort` command.
pub fn sort_slots(text: &str) -> (&'static str, Option<&'static str>) {
    let t = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    let key = if has(&["name", "alphabetical", "a to z", "z to a"]) {
        "name"
    } else if has(&["tag", "confiden", "label"]) {
        "tag"
    } else {
        "date"
    };
    let order = if has(&[
        "newest",
        "latest",
        "most recent",
        "descending",
        "z to a",
        "reverse",
        "most confident",
        "highest",
    ]) {
        Some("desc")
    } else if has(&[
        "oldest",
        "ascending",
        "a to z",
        "alphabetical",
        "earliest",
        "least",
    ]) {
        Some("asc")
    } else {
        None
    };
    (key, order)
}

/// Joins free-text spans that only whitespace separates (a tagger may split one name in
/// two: "holiday" + "snaps"). The same rule as `merge_adjacent` in `train/dataset.py`.
pub fn merge_adjacent(
    text: &str,
    mut spans: Vec<(usize, usize, String)>,
) -> Vec<(usize, usize, String)> {
    spans.sort_by_key(|s| s.0);
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for span in spans {
        if let Some(last) = out.last_mut()
            && span.2 != "ordinal"
            && last.2 != "ordinal"
            && text
                .get(last.1..span.0)
                .is_some_and(|gap| gap.trim().is_empty())
        {
            last.1 = span.1;
            continue;
        }
        out.push(span);
    }
    out
}

/// The slots each intent takes; a free-text span tagged with another slot is read as the
/// intent's (for `rename_folder` one span is the new name, two are the folder and the new
/// name). The same rule as `constrain` in `train/dataset.py`.
pub fn constrain(
    intent: Intent,
    spans: Vec<(usize, usize, String)>,
) -> Vec<(usize, usize, String)> {
    let takes = intent.slots();
    let free: Vec<_> = spans.iter().filter(|s| s.2 != "ordinal").cloned().collect();
    if intent == Intent::RenameFolder {
        return match free.as_slice() {
            [] => Vec::new(),
            [one] => vec![(one.0, one.1, "new_name".into())],
            [first, .., last] => vec![
                (first.0, first.1, "folder".into()),
                (last.0, last.1, "new_name".into()),
            ],
        };
    }
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for (start, end, name) in spans {
        if name == "ordinal" {
            if takes.contains(&"ordinal") {
                out.push((start, end, name));
            }
        } else if let Some(slot) = takes.first().filter(|s| **s != "ordinal")
            && !out.iter().any(|o| o.2 == *slot)
        {
            out.push((start, end, (*slot).to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_from_words_and_digits() {
        assert_eq!(ordinal("third"), Some(3));
        assert_eq!(ordinal("3rd"), Some(3));
        assert_eq!(ordinal("12"), Some(12));
        assert_eq!(ordinal("Last"), Some(-1));
        assert_eq!(ordinal("twenty"), Some(20));
        assert_eq!(ordinal("3x"), None);
        assert_eq!(ordinal("banana"), None);
    }

    #[test]
    fn articles_and_possessives_are_dropped() {
        assert_eq!(strip_articles("my dog"), "dog");
        assert_eq!(strip_articles("The Beach."), "Beach");
        assert_eq!(strip_articles("a red car"), "red car");
        assert_eq!(strip_articles("theatre"), "theatre");
    }

    #[test]
    fn sort_keys_and_orders() {
        assert_eq!(sort_slots("newest first"), ("date", Some("desc")));
        assert_eq!(sort_slots("oldest first"), ("date", Some("asc")));
        assert_eq!(sort_slots("sort alphabetically"), ("name", Some("asc")));
        assert_eq!(sort_slots("sort by name z to a"), ("name", Some("desc")));
        assert_eq!(sort_slots("sort by tag confidence"), ("tag", None));
        assert_eq!(sort_slots("sort by date"), ("date", None));
    }
}
