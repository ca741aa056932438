//! Datasets as clients see them, and the rules for reading a CSV's columns: which values count as
//! missing and what type each column holds (numeric, boolean, categorical or text).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Rows shown as a preview.
pub const PREVIEW_ROWS: usize = 20;
/// At most this many distinct values are remembered per column while inferring its type.
pub const MAX_TRACKED_DISTINCT: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Numeric,
    Boolean,
    Categorical,
    Text,
}

impl ColumnType {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Numeric => "numeric",
            ColumnType::Boolean => "boolean",
            ColumnType::Categorical => "categorical",
            ColumnType::Text => "text",
        }
    }
}

/// One column of a dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    pub missing_count: u64,
    /// Distinct non-missing values, up to [`MAX_TRACKED_DISTINCT`] (then `null`: many).
    pub distinct_count: Option<u64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
}

/// A dataset as listed and fetched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: String,
    pub name: String,
    pub columns: Vec<Column>,
    pub row_count: u64,
    pub size: u64,
    pub sha256: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The first rows, as text, when one dataset is fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Vec<Vec<String>>>,
}

/// A dataset named from elsewhere (a version's training or holdout data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRef {
    pub id: String,
    pub name: String,
}

/// `PUT …/versions/{version}/training-data`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingDataRequest {
    pub dataset_id: String,
    #[serde(default)]
    pub holdout_dataset_id: Option<String>,
}

/// Whether a cell counts as a missing value.
pub fn is_missing(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || ["na", "n/a", "nan", "null", "none", "?", "-"]
            .iter()
            .any(|m| v.eq_ignore_ascii_case(m))
}

/// Reads a yes/no word (`true`, `no`, `Y`, …) as a boolean; numbers are not booleans.
pub fn as_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "t" | "y" => Some(true),
        "false" | "no" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// Reads a number the way a CSV writes one (also `1e-3`, `-inf` is not a number here).
pub fn as_number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// What is learned about one column while its values stream past.
#[derive(Clone, Debug, Default)]
pub struct ColumnStats {
    pub name: String,
    pub missing: u64,
    pub present: u64,
    pub all_numeric: bool,
    pub all_boolean: bool,
    pub distinct: HashSet<String>,
    pub distinct_overflow: bool,
    pub longest: usize,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl ColumnStats {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            all_numeric: true,
            all_boolean: true,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Default::default()
        }
    }

    pub fn observe(&mut self, value: &str) {
        if is_missing(value) {
            self.missing += 1;
            return;
        }
        self.present += 1;
        let value = value.trim();
        self.longest = self.longest.max(value.chars().count());
        match as_number(value) {
            Some(n) => {
                self.min = self.min.min(n);
                self.max = self.max.max(n);
                self.sum += n;
            }
            None => self.all_numeric = false,
        }
        if as_bool(value).is_none() {
            self.all_boolean = false;
        }
        if !self.distinct_overflow {
            if self.distinct.len() < MAX_TRACKED_DISTINCT {
                self.distinct.insert(value.to_owned());
            } else if !self.distinct.contains(value) {
                self.distinct_overflow = true;
                self.distinct.clear();
            }
        }
    }

    /// The column's type: numbers are numeric (0/1 included); yes/no words are boolean; few
    /// distinct short values are categorical; anything else is text. A column with no values is
    /// text.
    pub fn finish(self) -> Column {
        let distinct = (!self.distinct_overflow).then_some(self.distinct.len() as u64);
        let column_type = if self.present == 0 {
            ColumnType::Text
        } else if self.all_numeric {
            ColumnType::Numeric
        } else if self.all_boolean {
            ColumnType::Boolean
        } else {
            let many = (self.present as f64 * 0.5).max(20.0) as u64;
            match distinct {
                Some(d) if d <= many.min(MAX_TRACKED_DISTINCT as u64) && self.longest <= 100 => {
                    ColumnType::Categorical
                }
                _ => ColumnType::Text,
            }
        };
        let numeric = column_type == ColumnType::Numeric;
        Column {
            name: self.name,
            column_type,
            missing_count: self.missing,
            distinct_count: distinct,
            min: numeric.then_some(self.min),
            max: numeric.then_some(self.max),
            mean: numeric.then(|| self.sum / self.present as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> Column {
        let mut s = ColumnStats::new("c");
        for v in values {
            s.observe(v);
        }
        s.finish()
    }

    #[test]
    fn missing_values_are_recognised() {
        for v in ["", "  ", "NA", "n/a", "NaN", "null", "None", "?"] {
            assert!(is_missing(v), "{v:?}");
        }
        for v in ["0", "no", "nan-ish", "Nancy"] {
            assert!(!is_missing(v), "{v:?}");
        }
    }

    #[test]
    fn numbers_are_numeric_with_their_range() {
        let c = infer(&["1", "2.5", "", "-3e1", "NA"]);
        assert_eq!(c.column_type, ColumnType::Numeric);
        assert_eq!(c.missing_count, 2);
        assert_eq!((c.min, c.max), (Some(-30.0), Some(2.5)));
        assert_eq!(c.mean, Some((1.0 + 2.5 - 30.0) / 3.0));
        // 0/1 columns are numbers (a model reads them as such).
        assert_eq!(infer(&["0", "1", "1"]).column_type, ColumnType::Numeric);
    }

    #[test]
    fn yes_no_words_are_boolean() {
        assert_eq!(
            infer(&["true", "False", "yes", "N"]).column_type,
            ColumnType::Boolean
        );
        assert_eq!(
            infer(&["true", "maybe"]).column_type,
            ColumnType::Categorical
        );
    }

    #[test]
    fn few_distinct_values_are_categorical_and_many_are_text() {
        let colours: Vec<&str> = ["red", "green", "blue"]
            .iter()
            .cycle()
            .take(300)
            .copied()
            .collect();
        let c = infer(&colours);
        assert_eq!(c.column_type, ColumnType::Categorical);
        assert_eq!(c.distinct_count, Some(3));
        let ids: Vec<String> = (0..300).map(|i| format!("id-{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(infer(&refs).column_type, ColumnType::Text);
        let long = "a sentence that goes on and on ".repeat(5);
        assert_eq!(infer(&[&long, &long]).column_type, ColumnType::Text);
        assert_eq!(infer(&["", "NA"]).column_type, ColumnType::Text);
    }

    #[test]
    fn distinct_counting_is_bounded() {
        let ids: Vec<String> = (0..MAX_TRACKED_DISTINCT + 5)
            .map(|i| format!("x{i}"))
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let c = infer(&refs);
        assert_eq!(c.distinct_count, None);
        assert_eq!(c.column_type, ColumnType::Text);
    }
}
