//! When, in a search: "dogs 2023", "beach last summer", "what did I take in july",
//! "between march and may 2024", "two years ago". [`extract`] finds the words that say when,
//! takes them out of the query and gives the span of time they mean, against the date a
//! photo was taken (its upload date when unknown). Days are UTC days, as EXIF times are
//! stored. Seasons are the northern meteorological ones (summer is June to August).

mod calendar;
mod completions;
mod phrases;
#[cfg(test)]
mod tests;

use time::{Date, Month};

pub use calendar::{month_name, month_start};
pub use completions::completions;

use calendar::ms;
use phrases::found_at;

/// A span of time: from `start` (inclusive) to `end` (exclusive), epoch milliseconds; either
/// end may be open. `said` is how the span reads ("June–August 2026").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub said: String,
}

impl Span {
    /// Both spans at once (the explicit `taken_after`/`taken_before` and the query's words).
    pub fn and(self, other: Span) -> Span {
        let said = match (self.said.is_empty(), other.said.is_empty()) {
            (true, _) => other.said.clone(),
            (_, true) => self.said.clone(),
            _ => format!("{}, {}", self.said, other.said),
        };
        Span {
            start: self.start.into_iter().chain(other.start).max(),
            end: self.end.into_iter().chain(other.end).min(),
            said,
        }
    }

    /// The span from an explicit pair of ISO dates (`2024-03-01`, or a full RFC 3339 time):
    /// on or after `after`, before `before`.
    pub fn between_dates(after: Option<&str>, before: Option<&str>) -> Result<Span, String> {
        let read = |name: &str, text: &str| {
            parse_instant(text).ok_or_else(|| {
                format!(
                    "{name} must be a date like 2024-03-01 (or a time like 2024-03-01T12:00:00Z)"
                )
            })
        };
        let start = after.map(|t| read("taken_after", t)).transpose()?;
        let end = before.map(|t| read("taken_before", t)).transpose()?;
        let said = match (after, before) {
            (Some(a), Some(b)) => format!("from {a} to before {b}"),
            (Some(a), None) => format!("on or after {a}"),
            (None, Some(b)) => format!("before {b}"),
            (None, None) => String::new(),
        };
        Ok(Span { start, end, said })
    }

    pub fn is_open(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }

    /// The SQL condition on a time expression (`expr`), with the bounds written in (they are
    /// numbers this module made, never text from the request).
    pub fn condition(&self, expr: &str) -> String {
        let mut parts = Vec::new();
        if let Some(start) = self.start {
            parts.push(format!("{expr} >= {start}"));
        }
        if let Some(end) = self.end {
            parts.push(format!("{expr} < {end}"));
        }
        if parts.is_empty() {
            "1 = 1".to_owned()
        } else {
            parts.join(" AND ")
        }
    }
}

fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(at) =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Some((at.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if !(1..=9999).contains(&year) {
        return None;
    }
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(ms(date))
}

/// The query without its words about time, and the span they mean (the last such phrase
/// wins when there are several; spans of several phrases are narrowed together).
pub fn extract(q: &str, today: Date) -> (String, Option<Span>) {
    let lower = q.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && !matches!(c, '\'' | '-' | '.' | '_'))
        .map(|w| w.trim_matches(['\'', '-', '.', '_']))
        .filter(|w| !w.is_empty())
        .collect();
    let mut kept = Vec::new();
    let mut found: Option<Span> = None;
    let mut i = 0;
    while i < words.len() {
        match found_at(&words, i, today) {
            Some(f) => {
                found = Some(match found {
                    Some(before) => before.and(f.span),
                    None => f.span,
                });
                i += f.len.max(1);
            }
            None => {
                kept.push(words[i]);
                i += 1;
            }
        }
    }
    if found.is_none() {
        return (q.to_owned(), None);
    }
    // "taken", "ago" and the like are gone with the words they went with; what is left
    // is searched as before.
    (kept.join(" "), found)
}
