//! When, in a search: "dogs 2023", "beach last summer", "what did I take in july",
//! "between march and may 2024", "two years ago". [`extract`] finds the words that say when,
//! takes them out of the query and gives the span of time they mean, against the date a
//! photo was taken (its upload date when unknown). Days are UTC days, as EXIF times are
//! stored. Seasons are the northern meteorological ones (summer is June to August).

use time::{Date, Duration, Month};

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

fn ms(date: Date) -> i64 {
    date.midnight().assume_utc().unix_timestamp() * 1000
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The first millisecond (UTC) of the month `n` months after year `y` month `m` (`n` = 1:
/// the end of that month).
pub fn month_start(y: i32, m: u8, n: i32) -> Option<i64> {
    add_months(y, m, n).map(ms)
}

/// A month's number from its name or usual abbreviation ("sept" too).
fn month_named(word: &str) -> Option<u8> {
    if let Some(i) = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(word)) {
        return Some(i as u8 + 1);
    }
    if word == "sept" {
        return Some(9);
    }
    (word.len() == 3 && word != "may")
        .then(|| {
            MONTHS
                .iter()
                .position(|m| m[..3].eq_ignore_ascii_case(word))
        })
        .flatten()
        .map(|i| i as u8 + 1)
}

/// A month's name in English (1 is January).
pub fn month_name(m: u8) -> &'static str {
    MONTHS[usize::from(m.clamp(1, 12)) - 1]
}

/// The seasons: their first month and their name.
fn season_named(word: &str) -> Option<(u8, &'static str)> {
    match word {
        "spring" => Some((3, "spring")),
        "summer" => Some((6, "summer")),
        "autumn" | "fall" => Some((9, "autumn")),
        "winter" => Some((12, "winter")),
        _ => None,
    }
}

fn number_word(word: &str) -> Option<i64> {
    const WORDS: [&str; 13] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    match word {
        "a" | "an" => Some(1),
        "couple" => Some(2),
        "few" => Some(3),
        _ => WORDS
            .iter()
            .position(|w| *w == word)
            .map(|n| n as i64)
            .or_else(|| word.parse().ok().filter(|n| (1..=100).contains(n))),
    }
}

fn year_of(word: &str) -> Option<i32> {
    (word.len() == 4)
        .then(|| word.parse().ok())
        .flatten()
        .filter(|y| (1900..=2100).contains(y))
}

/// The first day of a month `n` months after (before, when negative) year `y` month `m`.
fn add_months(y: i32, m: u8, n: i32) -> Option<Date> {
    let index = y * 12 + i32::from(m) - 1 + n;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u8 + 1);
    Date::from_calendar_date(year, Month::try_from(month).ok()?, 1).ok()
}

/// A point of a range: a month of a year, a year, or a season of a year.
#[derive(Debug, Clone, Copy)]
enum Point {
    Month(i32, u8),
    Year(i32),
}

impl Point {
    fn start(self) -> Option<Date> {
        match self {
            Point::Month(y, m) => add_months(y, m, 0),
            Point::Year(y) => add_months(y, 1, 0),
        }
    }

    fn end(self) -> Option<Date> {
        match self {
            Point::Month(y, m) => add_months(y, m, 1),
            Point::Year(y) => add_months(y + 1, 1, 0),
        }
    }

    fn said(self) -> String {
        match self {
            Point::Month(y, m) => format!("{} {y}", month_name(m)),
            Point::Year(y) => y.to_string(),
        }
    }
}

fn span(start: Option<Date>, end: Option<Date>, said: String) -> Span {
    Span {
        start: start.map(ms),
        end: end.map(ms),
        said,
    }
}

/// Words that say when, found in `words` from `i`: how many words and the span they mean.
struct Found {
    len: usize,
    span: Span,
}

/// The latest month `m` that has begun by `today` (this year's or last year's).
fn latest_month(today: Date, m: u8) -> i32 {
    if u8::from(today.month()) >= m {
        today.year()
    } else {
        today.year() - 1
    }
}

/// "of 2023" at `words[i]`, as in "the summer of 2023" or "july of 2023": the year.
fn of_year(words: &[&str], i: usize) -> Option<i32> {
    (*words.get(i)? == "of")
        .then(|| words.get(i + 1).and_then(|w| year_of(w)))
        .flatten()
}

/// A month name, a year, or a month and a year, at `words[i]`: the point and its length.
/// A month without a year is its latest one (`latest`), or the one named by `year_hint`.
fn point_at(
    words: &[&str],
    i: usize,
    today: Date,
    year_hint: Option<i32>,
) -> Option<(Point, usize)> {
    let word = *words.get(i)?;
    if let Some(y) = year_of(word) {
        return Some((Point::Year(y), 1));
    }
    let m = month_named(word)?;
    if let Some(y) = words.get(i + 1).and_then(|w| year_of(w)) {
        return Some((Point::Month(y, m), 2));
    }
    if let Some(y) = of_year(words, i + 1) {
        return Some((Point::Month(y, m), 3));
    }
    let y = year_hint.unwrap_or_else(|| latest_month(today, m));
    Some((Point::Month(y, m), 1))
}

/// Whether `words[i]` can be read as a month ("may" only next to words that say when).
fn month_here(words: &[&str], i: usize) -> bool {
    let Some(word) = words.get(i) else {
        return false;
    };
    if *word != "may" {
        return month_named(word).is_some();
    }
    let before = i.checked_sub(1).and_then(|j| words.get(j)).copied();
    let after = words.get(i + 1).copied();
    matches!(
        before,
        Some(
            "in" | "of"
                | "during"
                | "since"
                | "before"
                | "after"
                | "between"
                | "from"
                | "to"
                | "and"
                | "last"
                | "this"
                | "until"
                | "till"
        )
    ) || after.is_some_and(|w| year_of(w).is_some())
        || of_year(words, i + 1).is_some()
}

/// The season `first` (its first month) of the year it ends in... named as people do:
/// "summer 2023" is June–August 2023, "winter 2023" December 2023–February 2024.
fn season_span(y: i32, first: u8, name: &str) -> Span {
    let start = add_months(y, first, 0);
    let end = add_months(y, first, 3);
    let said = match first {
        12 => format!("{name} {y}–{} (December–February)", y + 1),
        _ => format!(
            "{name} {y} ({}–{})",
            month_name(first),
            month_name(first + 2)
        ),
    };
    span(start, end, said)
}

fn found_at(words: &[&str], i: usize, today: Date) -> Option<Found> {
    let word = words[i];
    let next = words.get(i + 1).copied();
    let day = |d: Date, said: String| Found {
        len: 1,
        span: span(Some(d), d.next_day(), said),
    };
    match word {
        "today" => return Some(day(today, "today".into())),
        "yesterday" => {
            let d = today.previous_day()?;
            return Some(day(d, "yesterday".into()));
        }
        "between" | "from" => {
            // between X and Y, from X to Y: X without a year takes Y's (the year before
            // when X's month comes after Y's).
            let sep = words
                .iter()
                .enumerate()
                .skip(i + 2)
                .find(|(_, w)| matches!(**w, "and" | "to" | "until" | "till" | "through"))
                .map(|(j, _)| j)?;
            let first = *words.get(i + 1)?;
            if !month_here(words, i + 1) && year_of(first).is_none() {
                return None;
            }
            let (b, blen) = point_at(words, sep + 1, today, None)?;
            if !month_here(words, sep + 1) && year_of(words[sep + 1]).is_none() {
                return None;
            }
            let hint = match b {
                Point::Month(y, bm) => month_named(first).map(|am| if am > bm { y - 1 } else { y }),
                Point::Year(y) => Some(y),
            };
            let (a, alen) = point_at(words, i + 1, today, hint)?;
            if i + 1 + alen != sep {
                return None;
            }
            let said = format!("{}–{}", a.said(), b.said());
            return Some(Found {
                len: sep + 1 + blen - i,
                span: span(a.start(), b.end(), said),
            });
        }
        "since" | "after" | "before" | "until" | "till" => {
            if !month_here(words, i + 1) && next.and_then(year_of).is_none() {
                return None;
            }
            let (p, len) = point_at(words, i + 1, today, None)?;
            let s = match word {
                "since" => span(p.start(), None, format!("since {}", p.said())),
                "after" => span(p.end(), None, format!("after {}", p.said())),
                _ => span(None, p.start(), format!("before {}", p.said())),
            };
            return Some(Found {
                len: len + 1,
                span: s,
            });
        }
        "last" | "this" | "past" => {
            let last = word != "this";
            let what = next?;
            let found = |len, s| Some(Found { len, span: s });
            match what {
                "week" => {
                    let monday = today
                        - Duration::days(i64::from(today.weekday().number_days_from_monday()));
                    let start = if last {
                        monday - Duration::weeks(1)
                    } else {
                        monday
                    };
                    let said = if last { "last week" } else { "this week" };
                    return found(
                        2,
                        span(Some(start), Some(start + Duration::weeks(1)), said.into()),
                    );
                }
                "month" => {
                    let n = if last { -1 } else { 0 };
                    let (y, m) = (today.year(), u8::from(today.month()));
                    let start = add_months(y, m, n)?;
                    let said = format!("{} {}", month_name(u8::from(start.month())), start.year());
                    return found(2, span(Some(start), add_months(y, m, n + 1), said));
                }
                "year" => {
                    let y = today.year() - i32::from(last);
                    return found(
                        2,
                        span(add_months(y, 1, 0), add_months(y + 1, 1, 0), y.to_string()),
                    );
                }
                _ => {}
            }
            if let Some((first, name)) = season_named(what) {
                // This season: the one of this year (winter: the one that began last
                // December until March). Last season: the latest one that has ended.
                let (y, m) = (today.year(), u8::from(today.month()));
                let this_year = if first == 12 && m < 3 { y - 1 } else { y };
                let mut year = this_year;
                if last {
                    let end = add_months(this_year, first, 3)?;
                    if end > today {
                        year -= 1;
                    }
                }
                return found(2, season_span(year, first, name));
            }
            if let Some(m) = month_named(what) {
                // Last July: the latest July before this month.
                let (y, cm) = (today.year(), u8::from(today.month()));
                let year = if last {
                    if cm > m { y } else { y - 1 }
                } else {
                    y
                };
                let p = Point::Month(year, m);
                return found(2, span(p.start(), p.end(), p.said()));
            }
            return None;
        }
        _ => {}
    }
    // N days/weeks/months/years ago.
    if let Some(n) = number_word(word)
        && let Some(unit) = next
        && words.get(i + 2) == Some(&"ago")
    {
        let unit = unit.trim_end_matches('s');
        let s = match unit {
            "day" => {
                let d = today - Duration::days(n);
                span(Some(d), d.next_day(), format!("{n} day{} ago", plural(n)))
            }
            "week" => {
                let monday =
                    today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
                let start = monday - Duration::weeks(n);
                span(
                    Some(start),
                    Some(start + Duration::weeks(1)),
                    format!("the week of {start}"),
                )
            }
            "month" => {
                let (y, m) = (today.year(), u8::from(today.month()));
                let start = add_months(y, m, -(n as i32))?;
                let said = format!("{} {}", month_name(u8::from(start.month())), start.year());
                span(Some(start), add_months(y, m, 1 - n as i32), said)
            }
            "year" => {
                let y = today.year() - n as i32;
                span(add_months(y, 1, 0), add_months(y + 1, 1, 0), y.to_string())
            }
            _ => return None,
        };
        return Some(Found { len: 3, span: s });
    }
    // A season, with its year or the latest one that has begun.
    if let Some((first, name)) = season_named(word) {
        let (year, year_len) = match (next.and_then(year_of), of_year(words, i + 1)) {
            (Some(y), _) => (Some(y), 2),
            (None, Some(y)) => (Some(y), 3),
            (None, None) => (None, 1),
        };
        if word == "fall"
            && year.is_none()
            && !i
                .checked_sub(1)
                .is_some_and(|j| matches!(words[j], "in" | "the" | "during"))
        {
            return None;
        }
        let (len, y) = match year {
            Some(y) => (year_len, y),
            None => {
                let (y, m) = (today.year(), u8::from(today.month()));
                let begun = if first == 12 { m == 12 } else { m >= first };
                let y = if first == 12 && m < 3 {
                    y - 1
                } else if begun {
                    y
                } else {
                    y - 1
                };
                (1, y)
            }
        };
        return Some(Found {
            len,
            span: season_span(y, first, name),
        });
    }
    // A month (and year), or a year.
    if month_here(words, i) || year_of(word).is_some() {
        let (p, len) = point_at(words, i, today, None)?;
        return Some(Found {
            len,
            span: span(p.start(), p.end(), p.said()),
        });
    }
    None
}

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

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    fn read(q: &str) -> (String, Option<(Date, Date)>, String) {
        let (rest, span) = extract(q, TODAY);
        let day = |ms: i64| {
            time::OffsetDateTime::from_unix_timestamp(ms / 1000)
                .unwrap()
                .date()
        };
        match span {
            Some(s) => (
                rest,
                Some((
                    s.start.map_or(date!(0001 - 01 - 01), day),
                    s.end.map_or(date!(9999 - 12 - 31), day),
                )),
                s.said,
            ),
            None => (rest, None, String::new()),
        }
    }

    #[test]
    fn years_months_and_seasons() {
        assert_eq!(
            read("beach photos 2023"),
            (
                "beach photos".into(),
                Some((date!(2023 - 01 - 01), date!(2024 - 01 - 01))),
                "2023".into()
            )
        );
        let (rest, span, said) = read("what did I take in july");
        assert_eq!(rest, "what did i take in");
        assert_eq!(span, Some((date!(2026 - 07 - 01), date!(2026 - 08 - 01))));
        assert_eq!(said, "July 2026");
        // December has not begun this year: the latest December is last year's.
        assert_eq!(
            read("snow in december").1,
            Some((date!(2025 - 12 - 01), date!(2026 - 01 - 01)))
        );
        assert_eq!(
            read("dogs july 2023").1,
            Some((date!(2023 - 07 - 01), date!(2023 - 08 - 01)))
        );
        assert_eq!(
            read("summer 2023").1,
            Some((date!(2023 - 06 - 01), date!(2023 - 09 - 01)))
        );
        assert_eq!(
            read("winter 2023").1,
            Some((date!(2023 - 12 - 01), date!(2024 - 03 - 01)))
        );
        assert_eq!(
            read("dogs from last summer").1,
            Some((date!(2026 - 06 - 01), date!(2026 - 09 - 01)))
        );
        assert_eq!(
            read("last winter").1,
            Some((date!(2025 - 12 - 01), date!(2026 - 03 - 01)))
        );
        assert_eq!(
            read("this winter").1,
            Some((date!(2026 - 12 - 01), date!(2027 - 03 - 01)))
        );
        assert_eq!(
            read("in the fall").1,
            Some((date!(2026 - 09 - 01), date!(2026 - 12 - 01)))
        );
        assert_eq!(
            read("last july").1,
            Some((date!(2026 - 07 - 01), date!(2026 - 08 - 01)))
        );
    }

    #[test]
    fn relative_phrases_and_ranges() {
        assert_eq!(
            read("yesterday").1,
            Some((date!(2026 - 11 - 26), date!(2026 - 11 - 27)))
        );
        assert_eq!(
            read("today").1,
            Some((date!(2026 - 11 - 27), date!(2026 - 11 - 28)))
        );
        // 2026-11-27 is a Friday: last week is Monday 16 to Sunday 22.
        assert_eq!(
            read("cats last week").1,
            Some((date!(2026 - 11 - 16), date!(2026 - 11 - 23)))
        );
        assert_eq!(
            read("this month").1,
            Some((date!(2026 - 11 - 01), date!(2026 - 12 - 01)))
        );
        assert_eq!(
            read("last month").1,
            Some((date!(2026 - 10 - 01), date!(2026 - 11 - 01)))
        );
        assert_eq!(
            read("last year").1,
            Some((date!(2025 - 01 - 01), date!(2026 - 01 - 01)))
        );
        assert_eq!(
            read("two years ago").1,
            Some((date!(2024 - 01 - 01), date!(2025 - 01 - 01)))
        );
        assert_eq!(
            read("3 days ago").1,
            Some((date!(2026 - 11 - 24), date!(2026 - 11 - 25)))
        );
        assert_eq!(
            read("a month ago").1,
            Some((date!(2026 - 10 - 01), date!(2026 - 11 - 01)))
        );
        let (rest, span, said) = read("birds between march and may 2024");
        assert_eq!(rest, "birds");
        assert_eq!(span, Some((date!(2024 - 03 - 01), date!(2024 - 06 - 01))));
        assert_eq!(said, "March 2024–May 2024");
        assert_eq!(
            read("from november to february 2024").1,
            Some((date!(2023 - 11 - 01), date!(2024 - 03 - 01)))
        );
        assert_eq!(
            read("from 2019 to 2021").1,
            Some((date!(2019 - 01 - 01), date!(2022 - 01 - 01)))
        );
        assert_eq!(
            read("since 2020").1,
            Some((date!(2020 - 01 - 01), date!(9999 - 12 - 31)))
        );
        assert_eq!(
            read("before june 2021").1,
            Some((date!(0001 - 01 - 01), date!(2021 - 06 - 01)))
        );
        assert_eq!(
            read("after 2024").1,
            Some((date!(2025 - 01 - 01), date!(9999 - 12 - 31)))
        );
    }

    #[test]
    fn words_that_only_look_like_time_stay_in_the_query() {
        for q in [
            "may",
            "you may like this",
            "fall",
            "waterfall",
            "march.jpg",
            "img_2023",
            "cat 12345",
            "sunday",
        ] {
            assert_eq!(read(q).1, None, "{q}");
        }
        assert_eq!(read("dog").0, "dog");
        assert_eq!(
            read("photos from may 2021").1,
            Some((date!(2021 - 05 - 01), date!(2021 - 06 - 01)))
        );
        assert_eq!(
            read("in may").1,
            Some((date!(2026 - 05 - 01), date!(2026 - 06 - 01)))
        );
    }

    #[test]
    fn a_season_or_month_of_a_year() {
        assert_eq!(
            read("in the summer of 2022").1,
            Some((date!(2022 - 06 - 01), date!(2022 - 09 - 01)))
        );
        assert_eq!(
            read("mountains from the fall of 2022").1,
            Some((date!(2022 - 09 - 01), date!(2022 - 12 - 01)))
        );
        assert_eq!(
            read("july of 2023").1,
            Some((date!(2023 - 07 - 01), date!(2023 - 08 - 01)))
        );
        assert_eq!(
            read("dogs may of 2021").1,
            Some((date!(2021 - 05 - 01), date!(2021 - 06 - 01)))
        );
        assert_eq!(read("you may of course").1, None);
    }

    /// The words a time was said with in a voice search (the intent model's `when` slot:
    /// "in 2023", "from july", "last summer"), alone: what is left besides the span is
    /// only the words the search drops ("in", "from", "during", "the").
    fn understood_alone(when: &str) -> bool {
        let (rest, span) = extract(when, TODAY);
        span.is_some()
            && rest
                .split_whitespace()
                .all(|w| ["in", "from", "during", "the", "of", "on", "at", "a", "an"].contains(&w))
    }

    #[test]
    fn the_times_of_voice_searches_are_understood() {
        for when in [
            "from july",
            "in 2023",
            "last summer",
            "yesterday",
            "from may",
            "during the winter",
            "in the fall",
            "from november to february",
            "a couple years ago",
            "a few weeks ago",
            "in the summer of 2022",
        ] {
            assert!(understood_alone(when), "{when}");
        }
        assert!(!understood_alone("since last summer"));
        // Every `when` the intent model is trained on or tested with (intent/train).
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../intent/train/data");
        let mut seen = 0;
        for split in ["train", "dev", "test"] {
            let text = std::fs::read_to_string(format!("{data}/{split}.jsonl")).unwrap();
            for line in text.lines() {
                let row: serde_json::Value = serde_json::from_str(line).unwrap();
                if let Some(when) = row["slots"]["when"].as_str() {
                    seen += 1;
                    assert!(understood_alone(when), "{split}: {when:?} in {line}");
                }
            }
        }
        assert!(seen > 100, "the intent data says when {seen} times");
    }

    #[test]
    fn explicit_dates_are_read_and_combined() {
        let s = Span::between_dates(Some("2024-03-01"), Some("2024-06-01T00:00:00Z")).unwrap();
        assert_eq!(s.start, Some(1_709_251_200_000));
        assert_eq!(s.end, Some(1_717_200_000_000));
        assert!(Span::between_dates(Some("March 2024"), None).is_err());
        assert!(Span::between_dates(None, Some("2024-02-30")).is_err());
        let both = s.and(extract("2024", TODAY).1.unwrap());
        assert_eq!(
            (both.start, both.end),
            (Some(1_709_251_200_000), Some(1_717_200_000_000))
        );
        assert_eq!(Span::default().condition("t"), "1 = 1");
    }

    #[test]
    fn time_words_are_completed_without_repeating_what_was_typed() {
        assert_eq!(completions("dogs", "ju"), ["june", "july"]);
        assert_eq!(completions("dogs last", "sum"), ["summer"]);
        assert!(completions("", "la").contains(&"last week".to_owned()));
        assert!(completions("", "today").is_empty());
    }
}
