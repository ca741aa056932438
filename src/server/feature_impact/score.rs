//! How good a model's predictions are on the sample: RMSE for regression, log loss for
//! classification. Lower is better for both, so a feature's impact is how much its shuffling
//! raised the score.

use crate::server::predict::Predictions;

use super::FeatureImpactError;
use super::table::Target;

/// Probabilities are clipped to `[PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]` before their
/// logarithm is taken, so a confidently wrong row costs at most about 34.5 instead of infinity.
/// Some runtimes answer exact 0 and 1 (onnxruntime does); the in-process runtime never goes
/// below about 4.8e-7 (its sigmoid clamps its input at ±14.5, see
/// `fixtures/feature_impact/RUNTIME_NOTES.md`), so for its models this clip changes nothing.
/// scikit-learn clips at the float64 machine epsilon (2.2e-16); the two differ only for
/// probabilities below 1e-15.
pub const PROBABILITY_CLIP: f64 = 1e-15;

/// Probabilities may stray this far outside 0..1 (rounding in float32 models) before they are
/// refused.
const PROBABILITY_SLACK: f64 = 1e-4;

/// The metric's name as stored with the result.
pub fn metric_name(target: &Target) -> &'static str {
    match target {
        Target::Values(_) => "rmse",
        Target::Classes { .. } => "log_loss",
    }
}

/// Scores `predictions` against the sample's target.
pub fn score(target: &Target, predictions: &Predictions) -> Result<f64, FeatureImpactError> {
    let expected_rows = match target {
        Target::Values(values) => values.len(),
        Target::Classes { indices, .. } => indices.len(),
    };
    if predictions.n_rows() != expected_rows {
        return Err(FeatureImpactError::UnusablePredictions(format!(
            "The model returned {} predictions for {expected_rows} rows.",
            predictions.n_rows()
        )));
    }
    match (target, predictions) {
        (Target::Values(actual), Predictions::Values(predicted)) => rmse(actual, predicted),
        (Target::Values(_), _) => Err(FeatureImpactError::UnusablePredictions(
            "The model predicts class probabilities, but its target type is regression.".to_owned(),
        )),
        // One number per row for a binary target: the positive class's probability (a
        // single-output classifier looks like a regressor from its file).
        (
            Target::Classes { labels, indices },
            Predictions::PositiveProbability(p) | Predictions::Values(p),
        ) => {
            if labels.len() != 2 {
                return Err(FeatureImpactError::UnusablePredictions(format!(
                    "The model predicts one number per row, but the target has {} classes; a \
                     multiclass model must predict a probability for each class.",
                    labels.len()
                )));
            }
            binary_log_loss(indices, p)
        }
        (
            Target::Classes { labels, indices },
            Predictions::ClassProbabilities {
                n_classes,
                probabilities,
            },
        ) => {
            if *n_classes != labels.len() {
                return Err(FeatureImpactError::UnusablePredictions(format!(
                    "The model predicts probabilities for {n_classes} classes, the training data \
                     has {} ({}).",
                    labels.len(),
                    labels.join(", ")
                )));
            }
            multiclass_log_loss(indices, *n_classes, probabilities)
        }
    }
}

fn rmse(actual: &[f64], predicted: &[f64]) -> Result<f64, FeatureImpactError> {
    let mut sum = 0.0;
    for (row, (y, p)) in actual.iter().zip(predicted).enumerate() {
        if !p.is_finite() {
            return Err(not_finite(row, *p));
        }
        sum += (y - p) * (y - p);
    }
    Ok((sum / actual.len().max(1) as f64).sqrt())
}

fn binary_log_loss(classes: &[u32], positive: &[f64]) -> Result<f64, FeatureImpactError> {
    let mut sum = 0.0;
    for (row, (&class, &p)) in classes.iter().zip(positive).enumerate() {
        let p = probability(row, p)?;
        sum -= if class == 1 { p.ln() } else { (1.0 - p).ln() };
    }
    Ok(sum / classes.len().max(1) as f64)
}

/// Log loss over `n_classes` probabilities per row. Rows are divided by their sum, as
/// scikit-learn does, so probabilities rounded in float32 count as they were meant.
fn multiclass_log_loss(
    classes: &[u32],
    n_classes: usize,
    probabilities: &[f64],
) -> Result<f64, FeatureImpactError> {
    let mut sum = 0.0;
    for (row, (&class, ps)) in classes
        .iter()
        .zip(probabilities.chunks_exact(n_classes))
        .enumerate()
    {
        let mut total = 0.0;
        for &p in ps {
            total += probability(row, p)?;
        }
        let p = probability(row, ps[class as usize])? / total;
        sum -= p.clamp(PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP).ln();
    }
    Ok(sum / classes.len().max(1) as f64)
}

/// A probability checked and clipped.
fn probability(row: usize, p: f64) -> Result<f64, FeatureImpactError> {
    if !p.is_finite() {
        return Err(not_finite(row, p));
    }
    if !(-PROBABILITY_SLACK..=1.0 + PROBABILITY_SLACK).contains(&p) {
        return Err(FeatureImpactError::UnusablePredictions(format!(
            "The model predicted {p} for row {} where a probability (0 to 1) was expected; check \
             the model's target type.",
            row + 1
        )));
    }
    Ok(p.clamp(PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP))
}

fn not_finite(row: usize, p: f64) -> FeatureImpactError {
    FeatureImpactError::UnusablePredictions(format!(
        "The model predicted {p} for row {} of the sample.",
        row + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn rmse_of_regression_values() {
        let target = Target::Values(vec![1.0, 2.0, 3.0, 4.0]);
        let s = score(&target, &Predictions::Values(vec![1.0, 2.0, 3.0, 6.0])).unwrap();
        assert!(close(s, 1.0));
        assert_eq!(metric_name(&target), "rmse");
        let error = score(&target, &Predictions::Values(vec![1.0, f64::NAN, 3.0, 4.0]));
        assert_eq!(
            error.unwrap_err().to_string(),
            "The model predicted NaN for row 2 of the sample."
        );
        assert!(score(&target, &Predictions::Values(vec![1.0])).is_err());
        assert!(score(&target, &Predictions::PositiveProbability(vec![0.5; 4])).is_err());
    }

    #[test]
    fn log_loss_clips_certainty() {
        let target = Target::Classes {
            labels: vec!["0".into(), "1".into()],
            indices: vec![0, 1],
        };
        let s = score(&target, &Predictions::PositiveProbability(vec![0.2, 0.6])).unwrap();
        assert!(close(s, -(0.8f64.ln() + 0.6f64.ln()) / 2.0));
        // A confidently wrong row costs -ln(1e-15), not infinity.
        let s = score(&target, &Predictions::PositiveProbability(vec![1.0, 1.0])).unwrap();
        let clipped = 1.0 - (1.0 - PROBABILITY_CLIP);
        assert!(close(s, -clipped.ln() / 2.0), "{s}");
        // A single-output classifier's values are the positive class's probability.
        assert!(score(&target, &Predictions::Values(vec![0.2, 0.6])).is_ok());
        let error = score(&target, &Predictions::Values(vec![0.2, 6.0])).unwrap_err();
        assert_eq!(error.error_code(), "UNUSABLE_PREDICTIONS");
    }

    #[test]
    fn multiclass_log_loss_reads_the_true_class() {
        let target = Target::Classes {
            labels: vec!["a".into(), "b".into(), "c".into()],
            indices: vec![2, 0],
        };
        let predictions = Predictions::ClassProbabilities {
            n_classes: 3,
            probabilities: vec![0.1, 0.2, 0.7, 0.5, 0.25, 0.25],
        };
        let s = score(&target, &predictions).unwrap();
        assert!(close(s, -(0.7f64.ln() + 0.5f64.ln()) / 2.0));
        let two = Predictions::ClassProbabilities {
            n_classes: 2,
            probabilities: vec![0.5; 4],
        };
        assert!(
            score(&target, &two)
                .unwrap_err()
                .to_string()
                .contains("2 classes, the training data has 3")
        );
        assert!(score(&target, &Predictions::PositiveProbability(vec![0.5; 2])).is_err());
    }
}
