//! The calendar behind the words: months, seasons and years by name, and the maths that
//! turns them into spans of UTC days.

use time::{Date, Month};

use super::Span;

pub(super) fn ms(date: Date) -> i64 {
    date.midnight().assume_utc().unix_timestamp() * 1000
}

pub(super) const MONTHS: [&str; 12] = [
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
pub(super) fn month_named(word: &str) -> Option<u8> {
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
pub(super) fn season_named(word: &str) -> Option<(u8, &'static str)> {
    match word {
        "spring" => Some((3, "spring")),
        "summer" => Some((6, "summer")),
        "autumn" | "fall" => Some((9, "autumn")),
        "winter" => Some((12, "winter")),
        _ => None,
    }
}

pub(super) fn year_of(word: &str) -> Option<i32> {
    (word.len() == 4)
        .then(|| word.parse().ok())
        .flatten()
        .filter(|y| (1900..=2100).contains(y))
}

/// The first day of a month `n` months after (before, when negative) year `y` month `m`.
pub(super) fn add_months(y: i32, m: u8, n: i32) -> Option<Date> {
    let index = y * 12 + i32::from(m) - 1 + n;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u8 + 1);
    Date::from_calendar_date(year, Month::try_from(month).ok()?, 1).ok()
}

/// A point of a range: a month of a year, a year, or a season of a year.
#[derive(Debug, Clone, Copy)]
pub(super) enum Point {
    Month(i32, u8),
    Year(i32),
}

impl Point {
    pub(super) fn start(self) -> Option<Date> {
        match self {
            Point::Month(y, m) => add_months(y, m, 0),
            Point::Year(y) => add_months(y, 1, 0),
        }
    }

    pub(super) fn end(self) -> Option<Date> {
        match self {
            Point::Month(y, m) => add_months(y, m, 1),
            Point::Year(y) => add_months(y + 1, 1, 0),
        }
    }

    pub(super) fn said(self) -> String {
        match self {
            Point::Month(y, m) => format!("{} {y}", month_name(m)),
            Point::Year(y) => y.to_string(),
        }
    }
}

pub(super) fn span(start: Option<Date>, end: Option<Date>, said: String) -> Span {
    Span {
        start: start.map(ms),
        end: end.map(ms),
        said,
    }
}

/// The latest month `m` that has begun by `today` (this year's or last year's).
pub(super) fn latest_month(today: Date, m: u8) -> i32 {
    if u8::from(today.month()) >= m {
        today.year()
    } else {
        today.year() - 1
    }
}

/// The season `first` (its first month) of the year it ends in... named as people do:
/// "summer 2023" is June–August 2023, "winter 2023" December 2023–February 2024.
pub(super) fn season_span(y: i32, first: u8, name: &str) -> Span {
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
