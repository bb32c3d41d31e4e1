//! Whether two runs of a classifier agree: the tests' comparison of our labels with the
//! Python reference's, of a rendition's with the original's, of a Lambda's with a local
//! worker's. ONNX Runtime picks its kernels by CPU, so the same model on the same input
//! gives probabilities that differ in their last bits from one CPU to another, and two
//! classes within a hair of each other may swap places. Agreement is therefore by
//! probability, within a tolerance: never by exact order of near-ties.

use crate::Label;

/// Checks a top-k list against the reference's probability of every class (by class
/// index): each listed class has the reference's probability to within `tolerance`, and no
/// class left out is more likely in the reference than the list's last by more than twice
/// the tolerance (so the lists may differ only by classes tied within it). The error says
/// which class disagrees, and by how much.
pub fn check(top: &[Label], reference: &[f64], tolerance: f64) -> Result<(), String> {
    for label in top {
        let theirs = usize::try_from(label.class_index)
            .ok()
            .and_then(|i| reference.get(i))
            .ok_or_else(|| format!("class {} is not in the reference", label.class_index))?;
        let off = (label.score - theirs).abs();
        if off > tolerance {
            return Err(format!(
                "{} ({}): {:.4} against the reference's {theirs:.4}, {off:.4} apart",
                label.label, label.class_index, label.score
            ));
        }
    }
    let Some(last) = top.last() else {
        return Ok(());
    };
    let listed = |i: usize| top.iter().any(|l| l.class_index == i as i64);
    if let Some((i, p)) = reference
        .iter()
        .enumerate()
        .find(|&(i, &p)| !listed(i) && p - last.score > 2.0 * tolerance)
    {
        return Err(format!(
            "class {i} ({p:.4} in the reference) is missing, though more likely than {} ({:.4})",
            last.label, last.score
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(class_index: i64, score: f64) -> Label {
        Label {
            label: format!("class {class_index}"),
            class_index,
            score,
        }
    }

    #[test]
    fn near_ties_may_swap_but_a_clear_difference_may_not() {
        let reference = [0.5, 0.2, 0.199, 0.05, 0.051];
        // The same order, a near tie swapped, a near tie swapped across the cut.
        assert!(check(&[label(0, 0.5), label(1, 0.2)], &reference, 0.01).is_ok());
        assert!(
            check(
                &[label(0, 0.5), label(2, 0.2), label(1, 0.199)],
                &reference,
                0.01
            )
            .is_ok()
        );
        assert!(check(&[label(0, 0.5), label(2, 0.205)], &reference, 0.01).is_ok());
        // A probability off by more than the tolerance; a clearly better class left out.
        let far = check(&[label(0, 0.45)], &reference, 0.01).unwrap_err();
        assert!(far.contains("0.0500 apart"), "{far}");
        let missing = check(&[label(0, 0.5), label(3, 0.05)], &reference, 0.01).unwrap_err();
        assert!(missing.contains("class 1"), "{missing}");
        assert!(check(&[label(9, 0.5)], &reference, 0.01).is_err());
    }
}
