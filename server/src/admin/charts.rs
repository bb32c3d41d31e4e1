//! Bar charts drawn on the server as inline SVG: no chart library, nothing from elsewhere.
//! This module works out where each bar and label goes; the markup is the askama template
//! `templates/admin_chart.svg`, which escapes every text it is given. Colours come from the
//! page's CSS (`currentColor` and the `--chart-*` variables), so a chart follows the light
//! or dark scheme; the page puts a table of the same figures beside each chart for screen
//! readers.

use askama::Template;

use super::dashboard::Series;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 10.0;

/// One named series of a chart, drawn in the colour `class` gives it (`s1`, `s2`).
pub struct Bars<'a> {
    pub name: &'a str,
    pub class: &'static str,
    pub series: &'a Series,
}

/// A chart as the template draws it: every position worked out.
#[derive(Template)]
#[template(path = "admin_chart.svg")]
struct Chart<'a> {
    id: &'a str,
    title: &'a str,
    width: f64,
    height: f64,
    /// The plot's left edge (the axis), right edge and top.
    left: f64,
    right: f64,
    plot_top: f64,
    /// The zero line.
    base: f64,
    /// Where the axis values end (they are right-aligned), and the top value's baseline.
    value_x: f64,
    top_value_y: f64,
    top_value: String,
    bar_width: f64,
    groups: Vec<Group<'a>>,
    /// The time labels' baseline, and the labels (none without a series).
    label_y: f64,
    labels: Option<Vec<Label<'a>>>,
}

/// The bars of one series.
struct Group<'a> {
    name: &'a str,
    class: &'static str,
    bars: Vec<Bar<'a>>,
}

/// One bar: a point of a series above zero.
struct Bar<'a> {
    x: f64,
    y: f64,
    height: f64,
    value: i64,
    label: &'a str,
}

/// A time label under the plot.
struct Label<'a> {
    x: f64,
    anchor: &'static str,
    text: &'a str,
}

/// A value on the axis, short: 950, 1.2k, 3.4M.
fn short(n: i64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{}k", n / 1000),
        n if n >= 1_000 => format!("{:.1}k", n as f64 / 1e3),
        n => n.to_string(),
    }
}

/// A round top for the axis at or above `max` (1, 2, 5 × 10ⁿ).
fn axis_top(max: i64) -> i64 {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Bars for each point of the series (side by side when there are several), the axis
/// with its top value, and the first, middle and last labels. `title` names the chart
/// for assistive technology (its figures are in the table beside it).
pub fn bars(id: &str, title: &str, series: &[Bars<'_>]) -> askama::Result<String> {
    let points = series.first().map_or(0, |s| s.series.values.len());
    let max = series
        .iter()
        .flat_map(|s| s.series.values.iter().copied())
        .max()
        .unwrap_or(0);
    let top = axis_top(max);
    let plot_w = WIDTH - LEFT - 4.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / points.max(1) as f64;
    let bar = (slot * 0.8 / series.len().max(1) as f64).max(0.5);
    let base = TOP + plot_h;
    let groups = series
        .iter()
        .enumerate()
        .map(|(k, s)| Group {
            name: s.name,
            class: s.class,
            bars: s
                .series
                .values
                .iter()
                .enumerate()
                .filter(|&(_, &v)| v > 0)
                .map(|(i, &v)| {
                    let height = (v as f64 / top as f64 * plot_h).max(1.0);
                    Bar {
                        x: LEFT + i as f64 * slot + slot * 0.1 + k as f64 * bar,
                        y: base - height,
                        height,
                        value: v,
                        label: s.series.labels.get(i).map_or("", String::as_str),
                    }
                })
                .collect(),
        })
        .collect();
    // Time labels: first, middle, last.
    let labels = series.first().map(|first| {
        let labels = &first.series.labels;
        let n = labels.len();
        [
            (0, "start"),
            (n / 2, "middle"),
            (n.saturating_sub(1), "end"),
        ]
        .into_iter()
        .filter_map(|(i, anchor)| {
            Some(Label {
                x: LEFT + (i as f64 + 0.5) * slot,
                anchor,
                text: labels.get(i)?,
            })
        })
        .collect()
    });
    Chart {
        id,
        title,
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - 4.0,
        plot_top: TOP,
        base,
        value_x: LEFT - 4.0,
        top_value_y: TOP + 4.0,
        top_value: short(top),
        bar_width: bar,
        groups,
        label_y: HEIGHT - 6.0,
        labels,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: Vec<i64>) -> Series {
        Series {
            labels: (0..values.len()).map(|i| format!("t{i}")).collect(),
            values,
        }
    }

    #[test]
    fn a_bar_per_nonzero_point_scaled_to_a_round_top() {
        let s = series(vec![0, 3, 7, 0]);
        let svg = bars(
            "c",
            "Uploads <per minute>",
            &[Bars {
                name: "uploads",
                class: "s1",
                series: &s,
            }],
        )
        .expect("the chart renders");
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">10</text>"), "axis top is 10: {svg}");
        assert!(svg.contains("uploads: 7 at t2"));
        // Askama escapes `<` and `>` as `&#60;` and `&#62;`.
        assert!(
            svg.contains("Uploads &#60;per minute&#62;") && !svg.contains("<per minute>"),
            "titles are escaped"
        );
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis_top(0), 1);
        assert_eq!(axis_top(3), 5);
        assert_eq!(axis_top(11), 20);
        assert_eq!(axis_top(4999), 5000);
        assert_eq!(short(12_345), "12k");
    }
}
