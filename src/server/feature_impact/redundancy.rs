//! Redundancy detection: which features say nearly the same as a more important one.
//!
//! The strength of association between two features is measured on the sample, as a number
//! from 0 (unrelated) to 1 (one determines the other), so that one threshold serves every pair:
//!
//! - numeric (and boolean, as 0/1) with numeric: the absolute Pearson correlation;
//! - numeric with categorical: the correlation ratio η — how much of the numeric column's
//!   variance the categories explain — adjusted for the number of categories (ε², the
//!   analogue of an adjusted R²), so that many small categories do not look related by chance;
//! - categorical with categorical: Cramér's V with Bergsma's (2013) bias correction, for the
//!   same reason;
//! - text columns (many distinct long values) are not compared.
//!
//! Each uses the rows where both values are present. A feature is *redundant with* the feature
//! it is most strongly associated with among those with a higher impact, when that association
//! is at least [`REDUNDANCY_THRESHOLD`]. (Looking only among more important features means a
//! feature strongly tied to the top feature is reported even if it is tied a little more
//! strongly still to a less important one.)

use std::collections::HashMap;

use crate::domain::dataset::ColumnType;

use super::table::TrainingTable;

/// Association at or above which a feature counts as redundant: |r| ≥ 0.9 means the two share
/// at least 81% of their variance, so either could stand in for the other; below that the label
/// would hide information the feature still carries alone.
pub const REDUNDANCY_THRESHOLD: f64 = 0.9;

/// Redundancy detection compares every pair of features; beyond this many features it is
/// skipped (and the result says it did not run).
pub const MAX_REDUNDANCY_FEATURES: usize = 500;

/// Pairwise association strengths (symmetric, 0 on the diagonal), or `None` when there are too
/// many features to compare.
pub fn associations(table: &TrainingTable) -> Option<Vec<Vec<f64>>> {
    let n = table.n_features();
    if n > MAX_REDUNDANCY_FEATURES {
        return None;
    }
    let prepared: Vec<Prepared> = (0..n).map(|i| prepare(table, i)).collect();
    let mut matrix = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let a = association(&prepared[i], &prepared[j]);
            matrix[i][j] = a;
            matrix[j][i] = a;
        }
    }
    Some(matrix)
}

/// For each feature, the index of the feature it is redundant with, if any.
pub fn redundant_with(impacts: &[f64], associations: &[Vec<f64>]) -> Vec<Option<usize>> {
    (0..impacts.len())
        .map(|i| {
            let mut best: Option<(usize, f64)> = None;
            for (j, &a) in associations[i].iter().enumerate() {
                if j == i || impacts[j] <= impacts[i] || a < REDUNDANCY_THRESHOLD {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((b, strength)) => {
                        a > strength || (a == strength && impacts[j] > impacts[b])
                    }
                };
                if better {
                    best = Some((j, a));
                }
            }
            best.map(|(j, _)| j)
        })
        .collect()
}

/// A column made ready for comparisons.
enum Prepared<'a> {
    /// Standardized values (mean 0, variance 1) of a column without missing values: the
    /// correlation of two such columns is their mean product.
    Complete(Vec<f64>),
    /// A numeric column with missing values: compared on the rows both columns have.
    WithGaps(&'a [f64]),
    /// Category indices (`NaN` missing) and how many categories there are.
    Categories(&'a [f64], usize),
    /// Not compared.
    Skipped,
}

fn prepare(table: &TrainingTable, index: usize) -> Prepared<'_> {
    let column = table.column(index);
    match table.feature_kind(index) {
        Some(ColumnType::Numeric | ColumnType::Boolean) => {
            if column.iter().any(|v| v.is_nan()) {
                return Prepared::WithGaps(column);
            }
            let n = column.len() as f64;
            let mean = column.iter().sum::<f64>() / n;
            let variance = column.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            if variance.is_nan() || variance <= 0.0 {
                return Prepared::Skipped;
            }
            let sd = variance.sqrt();
            Prepared::Complete(column.iter().map(|v| (v - mean) / sd).collect())
        }
        Some(ColumnType::Categorical) => {
            let levels = table.categories(index).map_or(0, <[String]>::len);
            Prepared::Categories(column, levels)
        }
        Some(ColumnType::Text) | None => Prepared::Skipped,
    }
}

fn association(a: &Prepared<'_>, b: &Prepared<'_>) -> f64 {
    let value = match (a, b) {
        (Prepared::Complete(x), Prepared::Complete(y)) => {
            x.iter().zip(y).map(|(x, y)| x * y).sum::<f64>() / x.len().max(1) as f64
        }
        (Prepared::Complete(x), Prepared::WithGaps(y))
        | (Prepared::WithGaps(y), Prepared::Complete(x)) => pearson(x, y),
        (Prepared::WithGaps(x), Prepared::WithGaps(y)) => pearson(x, y),
        (Prepared::Complete(x), Prepared::Categories(c, k))
        | (Prepared::Categories(c, k), Prepared::Complete(x)) => correlation_ratio(x, c, *k),
        (Prepared::WithGaps(x), Prepared::Categories(c, k))
        | (Prepared::Categories(c, k), Prepared::WithGaps(x)) => correlation_ratio(x, c, *k),
        (Prepared::Categories(x, _), Prepared::Categories(y, _)) => cramers_v(x, y),
        (Prepared::Skipped, _) | (_, Prepared::Skipped) => 0.0,
    };
    let value = value.abs();
    if value.is_finite() {
        value.min(1.0)
    } else {
        0.0
    }
}

/// Pearson's r on the rows where both values are present.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let pairs = || {
        x.iter()
            .zip(y)
            .filter(|(a, b)| !a.is_nan() && !b.is_nan())
            .map(|(a, b)| (*a, *b))
    };
    let (mut n, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for (a, b) in pairs() {
        n += 1.0;
        sx += a;
        sy += b;
    }
    if n < 3.0 {
        return 0.0;
    }
    let (mx, my) = (sx / n, sy / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in pairs() {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

/// The square root of ε²: the share of `x`'s variance explained by the categories, adjusted
/// for their number.
fn correlation_ratio(x: &[f64], categories: &[f64], levels: usize) -> f64 {
    let mut counts = vec![0.0f64; levels];
    let mut sums = vec![0.0f64; levels];
    let (mut n, mut total) = (0.0, 0.0);
    for (&v, &c) in x.iter().zip(categories) {
        if v.is_nan() || c.is_nan() {
            continue;
        }
        let c = c as usize;
        if c >= levels {
            continue;
        }
        counts[c] += 1.0;
        sums[c] += v;
        n += 1.0;
        total += v;
    }
    let groups = counts.iter().filter(|&&c| c > 0.0).count() as f64;
    if groups < 2.0 || n <= groups {
        return 0.0;
    }
    let mean = total / n;
    let mut ss_total = 0.0;
    let mut ss_within = 0.0;
    for (&v, &c) in x.iter().zip(categories) {
        if v.is_nan() || c.is_nan() || c as usize >= levels {
            continue;
        }
        let group_mean = sums[c as usize] / counts[c as usize];
        ss_total += (v - mean) * (v - mean);
        ss_within += (v - group_mean) * (v - group_mean);
    }
    if ss_total.is_nan() || ss_total <= 0.0 {
        return 0.0;
    }
    let epsilon2 = 1.0 - (ss_within / (n - groups)) / (ss_total / (n - 1.0));
    epsilon2.max(0.0).sqrt()
}

/// Cramér's V with Bergsma's bias correction, on the rows where both values are present.
fn cramers_v(x: &[f64], y: &[f64]) -> f64 {
    let mut cells: HashMap<(u32, u32), f64> = HashMap::new();
    let mut rows: HashMap<u32, f64> = HashMap::new();
    let mut cols: HashMap<u32, f64> = HashMap::new();
    let mut n = 0.0;
    for (&a, &b) in x.iter().zip(y) {
        if a.is_nan() || b.is_nan() {
            continue;
        }
        let (a, b) = (a as u32, b as u32);
        *cells.entry((a, b)).or_default() += 1.0;
        *rows.entry(a).or_default() += 1.0;
        *cols.entry(b).or_default() += 1.0;
        n += 1.0;
    }
    let (r, k) = (rows.len() as f64, cols.len() as f64);
    if n < 3.0 || r < 2.0 || k < 2.0 {
        return 0.0;
    }
    // χ² = n (Σ n_ij² / (n_i n_j) − 1), summed over the cells that occur.
    let sum: f64 = cells
        .iter()
        .map(|((a, b), &count)| count * count / (rows[a] * cols[b]))
        .sum();
    let phi2 = (sum - 1.0).max(0.0);
    let phi2 = (phi2 - (k - 1.0) * (r - 1.0) / (n - 1.0)).max(0.0);
    let r = r - (r - 1.0) * (r - 1.0) / (n - 1.0);
    let k = k - (k - 1.0) * (k - 1.0) / (n - 1.0);
    let denominator = (r - 1.0).min(k - 1.0);
    if denominator > 0.0 {
        (phi2 / denominator).sqrt()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_on_present_pairs() {
        let x = [1.0, 2.0, 3.0, 4.0, f64::NAN];
        let y = [2.0, 4.0, 6.0, 8.0, 100.0];
        assert!((pearson(&x, &y) - 1.0).abs() < 1e-12);
        let z = [4.0, 3.0, 2.0, 1.0, 0.0];
        assert!((pearson(&x, &z) + 1.0).abs() < 1e-12);
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
    }

    #[test]
    fn categories_that_determine_a_number_are_associated() {
        let categories: Vec<f64> = (0..300).map(|i| (i % 3) as f64).collect();
        let determined: Vec<f64> = categories.iter().map(|c| c * 10.0).collect();
        assert!(correlation_ratio(&determined, &categories, 3) > 0.999);
        // Unrelated: the number cycles with a period the categories do not share.
        let unrelated: Vec<f64> = (0..300).map(|i| ((i / 3) % 2) as f64).collect();
        assert!(correlation_ratio(&unrelated, &categories, 3) < 0.1);
    }

    #[test]
    fn cramers_v_of_copies_and_of_independent_columns() {
        let a: Vec<f64> = (0..400).map(|i| (i % 4) as f64).collect();
        let relabeled: Vec<f64> = a.iter().map(|v| 3.0 - v).collect();
        assert!((cramers_v(&a, &relabeled) - 1.0).abs() < 1e-9);
        let independent: Vec<f64> = (0..400).map(|i| ((i / 4) % 2) as f64).collect();
        assert!(cramers_v(&a, &independent) < 0.05);
    }

    #[test]
    fn redundant_only_with_a_more_important_feature() {
        let associations = vec![
            vec![0.0, 0.95, 0.2],
            vec![0.95, 0.0, 0.97],
            vec![0.2, 0.97, 0.0],
        ];
        // 0 is the most important; 1 is tied strongly to 0 (and more strongly to the less
        // important 2); 2 is tied to 1.
        let impacts = [3.0, 2.0, 1.0];
        assert_eq!(
            redundant_with(&impacts, &associations),
            vec![None, Some(0), Some(1)]
        );
        let weak = vec![vec![0.0, 0.5], vec![0.5, 0.0]];
        assert_eq!(redundant_with(&[1.0, 0.5], &weak), vec![None, None]);
        // Equal impacts: neither is redundant with the other.
        let strong = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
        assert_eq!(redundant_with(&[0.0, 0.0], &strong), vec![None, None]);
    }
}
