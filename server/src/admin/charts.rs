//! Bar charts drawn on the server as inline SVG: no chart library, nothing from elsewhere.
//! Colours come from the page's CSS (`currentColor` and the `--chart-*` variables), so a
//! chart follows the light or dark scheme; the page puts a table of the same figures
//! beside each chart for screen readers.

use std::fmt::Write;

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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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
pub fn bars(id: &str, title: &str, series: &[Bars<'_>]) -> String {
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
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title" preserveAspectRatio="none"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    // Grid: the zero line and the top, with their values.
    let base = TOP + plot_h;
    let _ = write!(
        svg,
        r#"<g class="axis"><line x1="{LEFT}" y1="{base}" x2="{}" y2="{base}"/><line x1="{LEFT}" y1="{TOP}" x2="{}" y2="{TOP}" class="grid"/><text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{base}" text-anchor="end">0</text></g>"#,
        WIDTH - 4.0,
        WIDTH - 4.0,
        LEFT - 4.0,
        TOP + 4.0,
        short(top),
        LEFT - 4.0,
    );
    for (k, s) in series.iter().enumerate() {
        let _ = write!(svg, r#"<g class="{}">"#, s.class);
        for (i, &v) in s.series.values.iter().enumerate() {
            if v <= 0 {
                continue;
            }
            let h = (v as f64 / top as f64 * plot_h).max(1.0);
            let x = LEFT + i as f64 * slot + slot * 0.1 + k as f64 * bar;
            let label = s.series.labels.get(i).map_or("", String::as_str);
            let _ = write!(
                svg,
                r#"<rect x="{x:.2}" y="{:.2}" width="{bar:.2}" height="{h:.2}"><title>{}: {} at {}</title></rect>"#,
                base - h,
                escape(s.name),
                v,
                escape(label)
            );
        }
        svg.push_str("</g>");
    }
    // Time labels: first, middle, last.
    if let Some(first) = series.first() {
        let labels = &first.series.labels;
        let n = labels.len();
        let picks = [
            (0, "start"),
            (n / 2, "middle"),
            (n.saturating_sub(1), "end"),
        ];
        svg.push_str(r#"<g class="axis">"#);
        for (i, anchor) in picks {
            if let Some(label) = labels.get(i) {
                let x = LEFT + (i as f64 + 0.5) * slot;
                let _ = write!(
                    svg,
                    r#"<text x="{x:.2}" y="{}" text-anchor="{anchor}">{}</text>"#,
                    HEIGHT - 6.0,
                    escape(label)
                );
            }
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
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
        );
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(">10</text>"), "axis top is 10: {svg}");
        assert!(svg.contains("uploads: 7 at t2"));
        assert!(
            svg.contains("Uploads &lt;per minute&gt;"),
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
