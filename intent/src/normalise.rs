//! Slot values as the contract wants them: free text without leading articles or
//! possessives, a time (`when`) as said, ordinals as integers (words or digits, "last" is
//! -1), and the sort key and order read from the whole sentence. `train/dataset.py` applies the same rules to make
//! the expected values.

use crate::Intent;

const ARTICLES: [&str; 7] = ["the ", "a ", "an ", "my ", "our ", "some ", "your "];

/// The slot of a time: its words as said ("in 2023", "last summer").
pub const WHEN: &str = "when";

/// A value without surrounding spaces and punctuation: " In 2023." → "In 2023".
pub fn trim(value: &str) -> &str {
    value.trim().trim_matches(|c| ".,!?".contains(c)).trim()
}

/// A time as said, but a relative one without a "from" before it: "from last summer" is
/// "last summer" (the contract's example), while "from july" and "in 2023" keep theirs. The
/// same rule as `when_value` in `train/dataset.py`.
pub fn when_value(value: &str) -> &str {
    let value = trim(value);
    let Some((head, rest)) = value.split_once(' ') else {
        return value;
    };
    let rest = rest.trim();
    let first = rest.split_whitespace().next().unwrap_or("").to_lowercase();
    let relative = ["last", "this", "past", "yesterday", "today"].contains(&first.as_str())
        || rest.to_lowercase().ends_with(" ago");
    if head.eq_ignore_ascii_case("from") && relative {
        rest
    } else {
        value
    }
}

/// "the vacation folder's" → "vacation folder's"; "my dog" → "dog".
pub fn strip_articles(value: &str) -> String {
    let mut value = trim(value).to_owned();
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

/// Words that say nothing on their own: hesitations, back-channel sounds ("mm-hmm" and
/// "uh-huh" are read as "mm hmm", "uh huh") and the discourse words a sentence starts with
/// ("okay so", "well", "right"). The same list as `FILLER_ONLY` in `train/dataset.py`.
const FILLERS: [&str; 32] = [
    "um", "umm", "ummm", "uh", "uhh", "uhhh", "uhm", "er", "erm", "err", "ehm", "hmm", "hm",
    "hmmm", "mm", "mmm", "mhm", "mmhmm", "huh", "ah", "ahh", "oh", "ohh", "eh", "ahem", "okay",
    "ok", "alright", "so", "well", "like", "right",
];

/// True when a transcript holds nothing but fillers, marks of noise ("[noise]", "(coughs)",
/// "*sighs*") and punctuation: "um", "Okay so...", "mm-hmm", "[BLANK_AUDIO]". Such a
/// transcript is `none` whatever the model reads in it: it must never answer a question
/// (shared/intents.md). The same rule as `only_filler` in `train/dataset.py`.
pub fn only_filler(text: &str) -> bool {
    let lower = text.to_lowercase();
    let mut words = String::with_capacity(lower.len());
    let mut rest = lower.as_str();
    while let Some(c) = rest.chars().next() {
        let close = match c {
            '[' => Some(']'),
            '(' => Some(')'),
            '*' => Some('*'),
            _ => None,
        };
        // A mark of noise is skipped whole, when it is closed.
        if let Some(end) = close.and_then(|close| rest[1..].find(close)) {
            rest = &rest[end + 2..];
            words.push(' ');
            continue;
        }
        words.push(if c.is_alphanumeric() || c == '\'' {
            c
        } else {
            ' '
        });
        rest = &rest[c.len_utf8()..];
    }
    words.split_whitespace().all(|w| FILLERS.contains(&w))
}

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
/// two: "holiday" + "snaps"). A time (`when`) is joined only to a time, when the intent
/// takes one ("dogs" + "last summer" stay apart); for the other intents it is free text
/// like the rest ("summer" + "2024" is a folder's name). The same rule as `merge_adjacent`
/// in `train/dataset.py`.
pub fn merge_adjacent(
    intent: Intent,
    text: &str,
    mut spans: Vec<(usize, usize, String)>,
) -> Vec<(usize, usize, String)> {
    let takes_when = intent.slots().contains(&WHEN);
    spans.sort_by_key(|s| s.0);
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for mut span in spans {
        if span.2 == WHEN && !takes_when {
            span.2 = "query".into();
        }
        if let Some(last) = out.last_mut()
            && span.2 != "ordinal"
            && last.2 != "ordinal"
            && (span.2 == WHEN) == (last.2 == WHEN)
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
/// name). A time stays a time for an intent that takes one. The same rule as `constrain`
/// in `train/dataset.py`.
pub fn constrain(
    intent: Intent,
    spans: Vec<(usize, usize, String)>,
) -> Vec<(usize, usize, String)> {
    let takes = intent.slots();
    let free_slot = takes.iter().find(|s| !matches!(**s, "ordinal" | WHEN));
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
        } else if name == WHEN && takes.contains(&WHEN) {
            if !out.iter().any(|o| o.2 == WHEN) {
                out.push((start, end, name));
            }
        } else if let Some(slot) = free_slot
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

    fn span(start: usize, end: usize, slot: &str) -> (usize, usize, String) {
        (start, end, slot.to_owned())
    }

    #[test]
    fn a_time_stays_apart_from_the_query_of_a_search() {
        let text = "show me the dogs from last summer";
        let spans = vec![span(12, 16, "query"), span(22, 33, WHEN)];
        let merged = merge_adjacent(Intent::Search, text, spans.clone());
        assert_eq!(constrain(Intent::Search, merged), spans);
        // Only whitespace between them: still two slots.
        let text = "dogs last summer";
        let spans = vec![span(0, 4, "query"), span(5, 9, WHEN), span(10, 16, WHEN)];
        let merged = merge_adjacent(Intent::Search, text, spans);
        assert_eq!(
            merged,
            [span(0, 4, "query"), span(5, 16, WHEN)],
            "a time split in two is one time"
        );
        // Another intent takes no time: the words are part of its free text.
        let text = "open summer 2024";
        let spans = vec![span(5, 11, "folder"), span(12, 16, WHEN)];
        let merged = merge_adjacent(Intent::OpenFolder, text, spans);
        assert_eq!(
            constrain(Intent::OpenFolder, merged),
            [span(5, 16, "folder")]
        );
        let text = "rename it to italy 2023";
        let spans = vec![span(13, 18, "new_name"), span(19, 23, WHEN)];
        let merged = merge_adjacent(Intent::RenameFolder, text, spans);
        assert_eq!(
            constrain(Intent::RenameFolder, merged),
            [span(13, 23, "new_name")]
        );
    }

    #[test]
    fn a_time_is_kept_as_said() {
        assert_eq!(when_value(" In 2023. "), "In 2023");
        assert_eq!(when_value("a week ago,"), "a week ago");
        assert_eq!(when_value("from july"), "from july");
        assert_eq!(
            when_value("from november to february"),
            "from november to february"
        );
        assert_eq!(when_value("since last june"), "since last june");
        // A relative time stands alone, as the contract's "from last summer" → "last summer".
        assert_eq!(when_value("From last summer"), "last summer");
        assert_eq!(when_value("from this week"), "this week");
        assert_eq!(when_value("from yesterday"), "yesterday");
        assert_eq!(when_value("from a year ago"), "a year ago");
        assert_eq!(when_value("from"), "from");
    }

    #[test]
    fn fillers_and_noise_alone_say_nothing() {
        for text in [
            "um",
            "Uh.",
            "hmm?",
            "okay so",
            "Okay so...",
            "ok",
            "mm-hmm",
            "uh-huh",
            "um, well, like",
            "...",
            "[noise]",
            "[BLANK_AUDIO]",
            "(coughs) um",
            "*sighs*",
        ] {
            assert!(only_filler(text), "{text}");
        }
        for text in [
            "yes",
            "um yes",
            "okay do it",
            "no",
            "uh open the second one",
            "[noise] delete it",
            "[um yes",
            "right now",
            "thank you",
        ] {
            assert!(!only_filler(text), "{text}");
        }
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
