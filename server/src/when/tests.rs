//! Tests of reading time from queries: phrases, ranges, words that only look like time,
//! explicit dates and completions.

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
