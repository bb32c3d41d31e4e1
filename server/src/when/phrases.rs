//! The phrases that say when ("last summer", "between march and may 2024", "two years
//! ago"): [`found_at`] reads the one that begins at a word of the query.

use time::{Date, Duration};

use super::Span;
use super::calendar::{
    Point, add_months, latest_month, month_name, month_named, season_named, season_span, span,
    year_of,
};

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

/// Words that say when, found in `words` from `i`: how many words and the span they mean.
pub(super) struct Found {
    pub(super) len: usize,
    pub(super) span: Span,
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

pub(super) fn found_at(words: &[&str], i: usize, today: Date) -> Option<Found> {
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

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
