//! How close a transcript is to what was said, for tests and benchmarks: a word error rate
//! over the words as the gallery reads them (letters and digits in lower case, punctuation
//! dropped). An exact transcript is a test of the CPU ONNX Runtime ran on (its kernels
//! differ in the last bits, and greedy decoding can take another word); a bound on the
//! word error rate is a test of the recogniser.

/// The words of a transcript as the gallery compares them: "Set it to 21°." → set, it, to, 21.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Word error rate: the fewest words substituted, inserted or deleted to turn `heard` into
/// `said`, over the number of words said (1 when nothing was said but something heard).
pub fn word_error_rate(said: &str, heard: &str) -> f64 {
    let (said, heard) = (words(said), words(heard));
    if said.is_empty() {
        return if heard.is_empty() { 0.0 } else { 1.0 };
    }
    // One row of the edit-distance table at a time.
    let mut row: Vec<usize> = (0..=heard.len()).collect();
    for (i, s) in said.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, h) in heard.iter().enumerate() {
            let substitution = diagonal + usize::from(s != h);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[heard.len()] as f64 / said.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_compared_without_case_or_punctuation() {
        assert_eq!(
            words("Show me, please: DOGS!"),
            ["show", "me", "please", "dogs"]
        );
        assert_eq!(word_error_rate("show me dogs", "Show me dogs."), 0.0);
    }

    #[test]
    fn each_word_missed_added_or_changed_counts_once() {
        let said = "set the thermostat to 21 degrees";
        assert_eq!(
            word_error_rate(said, "set the thermostat 21 degrees"),
            1.0 / 6.0
        );
        assert_eq!(
            word_error_rate(said, "set the thermostat to to 21 degrees"),
            1.0 / 6.0
        );
        assert_eq!(
            word_error_rate(said, "set the thermometer to 21 degrees"),
            1.0 / 6.0
        );
        assert_eq!(word_error_rate(said, ""), 1.0);
        assert_eq!(word_error_rate("", "words"), 1.0);
        assert_eq!(word_error_rate("", ""), 0.0);
    }
}
