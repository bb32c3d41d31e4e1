//! Small statistics shared by the dashboard and the benchmarks (`server/examples/`).

/// The nearest-rank `p` percentile (0 to 1) of sorted values: the smallest value with at
/// least a fraction `p` of them at or below it (the median of 1..=100 is 50, its p95 95).
/// Works on anything sorted and copied out, numbers or durations.
///
/// # Panics
///
/// If `sorted` is empty.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> T {
    assert!(!sorted.is_empty(), "the percentile of no values");
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn nearest_rank_of_numbers_and_durations() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 0.5), 5.0);
        assert_eq!(percentile(&v, 0.99), 10.0);
        assert_eq!(percentile(&v, 1.0), 10.0);
        let d: Vec<Duration> = (1..=4).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 0.5), Duration::from_millis(2));
    }
}
