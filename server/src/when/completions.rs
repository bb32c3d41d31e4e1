//! Suggestions for the search box: the words about time that complete what is being typed.

use super::calendar::MONTHS;

/// Phrases about time the search understands, for the search box's suggestions.
const PHRASES: [&str; 14] = [
    "today",
    "yesterday",
    "this week",
    "last week",
    "this month",
    "last month",
    "this year",
    "last year",
    "last summer",
    "last winter",
    "spring",
    "summer",
    "autumn",
    "winter",
];

/// Words about time that complete `last`, the word being typed after `before` (what
/// precedes it): "sum" gives "summer"; after "last", "sum" gives "summer" too (for "last
/// summer"), never "last summer" again. Each is what replaces `last`.
pub fn completions(before: &str, last: &str) -> Vec<String> {
    let before = before.trim_end().to_lowercase();
    let months = MONTHS.iter().map(|m| m.to_lowercase());
    PHRASES
        .iter()
        .map(|p| (*p).to_owned())
        .chain(months)
        .filter_map(|phrase| {
            if phrase.starts_with(last) {
                return Some(phrase);
            }
            let (first, second) = phrase.split_once(' ')?;
            (second.starts_with(last) && before.ends_with(first)).then(|| second.to_owned())
        })
        .filter(|c| c != last)
        .fold(Vec::new(), |mut found, c| {
            if !found.contains(&c) {
                found.push(c);
            }
            found
        })
}
