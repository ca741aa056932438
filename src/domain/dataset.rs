//! Datasets as clients see them, and the rules for reading a CSV's columns: which values count as
//! missing and what type each column holds (numeric, boolean, categorical or text).

use super::error::ApiError;
use super::model::preview;
use crate::domain::error::codes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Rows shown as a preview.
pub const PREVIEW_ROWS: usize = 20;
/// At most this many distinct values are remembered per column while inferring its type.
pub const MAX_TRACKED_DISTINCT: usize = 1000;
/// The most columns a dataset may have.
pub const MAX_COLUMNS: usize = 10_000;
/// The longest column name, in characters.
pub const MAX_COLUMN_NAME_CHARS: usize = 256;
/// The longest dataset name, in characters.
pub const MAX_DATASET_NAME_CHARS: usize = 128;
/// Preview cells longer than this many characters are cut (with `…`).
pub const MAX_PREVIEW_CELL_CHARS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetRef {
    pub id: String,
    pub name: String,
}

/// `PUT …/versions/{version}/training-data`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrainingDataRequest {
    pub dataset_id: String,
    #[serde(default)]
    pub holdout_dataset_id: Option<String>,
}

/// A dataset with the versions that use it (those the caller may see), as one dataset is fetched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetDetail {
    #[serde(flatten)]
    pub dataset: Dataset,
    pub used_by: Vec<DatasetUse>,
}

/// A version that uses a dataset, as training data, holdout data or both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetUse {
    pub model: String,
    pub version: String,
    pub training: bool,
    pub holdout: bool,
}

impl DatasetUse {
    /// "churn 1.2.0 (training)".
    pub fn describe(&self) -> String {
        let role = match (self.training, self.holdout) {
            (true, true) => "training and holdout",
            (false, true) => "holdout",
            _ => "training",
        };
        format!("{} {} ({role})", self.model, self.version)
    }
}

/// `GET /datasets` filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DatasetQuery {
    /// Matches the name, ignoring case.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A dataset's name: given, or else the uploaded file's name without its folders and `.csv`.
/// Surrounding spaces are dropped; 1 to [`MAX_DATASET_NAME_CHARS`] characters, no control
/// characters.
pub fn dataset_name(given: Option<&str>, file_name: Option<&str>) -> Result<String, ApiError> {
    let given = given.map(str::trim).filter(|n| !n.is_empty());
    let name = match given {
        Some(name) => name.to_owned(),
        None => {
            let file = file_name.unwrap_or_default();
            let base = file.rsplit(['/', '\\']).next().unwrap_or_default();
            let stem = match base.len().checked_sub(4) {
                Some(cut)
                    if base.is_char_boundary(cut) && base[cut..].eq_ignore_ascii_case(".csv") =>
                {
                    &base[..cut]
                }
                _ => base,
            };
            stem.trim().to_owned()
        }
    };
    let error = |msg: String| {
        ApiError::invalid(
            "name",
            codes::INVALID_DATASET_NAME,
            msg,
            format!(
                "Give a name of 1 to {MAX_DATASET_NAME_CHARS} characters, or upload a file whose name can serve as one."
            ),
        )
    };
    if name.is_empty() {
        return Err(error("The dataset needs a name.".to_owned()));
    }
    let chars = name.chars().count();
    if chars > MAX_DATASET_NAME_CHARS {
        return Err(error(format!(
            "Dataset names are at most {MAX_DATASET_NAME_CHARS} characters; this one has {chars}."
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(error(
            "The dataset name contains control characters (such as line breaks or tabs)."
                .to_owned(),
        ));
    }
    Ok(name)
}

fn bad_header(msg: String, solution: &str) -> ApiError {
    ApiError::invalid("file", codes::DATASET_BAD_HEADER, msg, solution)
}

/// Checks the number of columns of a header row: at most [`MAX_COLUMNS`].
pub fn check_column_count(count: usize) -> Result<(), ApiError> {
    if count > MAX_COLUMNS {
        return Err(ApiError::invalid(
            "file",
            codes::DATASET_TOO_MANY_COLUMNS,
            format!("The file has {count} columns; a dataset may have at most {MAX_COLUMNS}."),
            "Leave out columns the model does not use.",
        ));
    }
    Ok(())
}

/// Checks a header row: a name for every column, each name once, at most [`MAX_COLUMNS`].
pub fn check_column_names(names: &[String]) -> Result<(), ApiError> {
    check_column_count(names.len())?;
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let position = i + 1;
        if name.trim().is_empty() {
            return Err(bad_header(
                format!("Column {position} of the header row has no name."),
                "The first row must name every column; add the missing name.",
            ));
        }
        let chars = name.chars().count();
        if chars > MAX_COLUMN_NAME_CHARS {
            return Err(bad_header(
                format!(
                    "The name of column {position} ('{}') has {chars} characters; at most {MAX_COLUMN_NAME_CHARS} are allowed.",
                    preview(name)
                ),
                "Shorten the column name. Check that the first row is a header row and not data.",
            ));
        }
        if let Some(first) = seen.insert(name.as_str(), position) {
            return Err(bad_header(
                format!(
                    "The column '{}' appears twice in the header row (columns {first} and {position}).",
                    preview(name)
                ),
                "Give every column its own name.",
            ));
        }
    }
    Ok(())
}

/// `value` cut to [`MAX_PREVIEW_CELL_CHARS`] characters for a preview.
pub fn preview_cell(value: &str) -> String {
    match value.char_indices().nth(MAX_PREVIEW_CELL_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
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
    fn names_come_from_the_field_or_the_file() {
        assert_eq!(
            dataset_name(Some("  churn  "), Some("x.csv")),
            Ok("churn".into())
        );
        assert_eq!(
            dataset_name(None, Some("data/diabetes.CSV")),
            Ok("diabetes".into())
        );
        assert_eq!(
            dataset_name(Some(" "), Some("C:\\x\\train.csv")),
            Ok("train".into())
        );
        assert_eq!(
            dataset_name(None, Some("notes.txt")),
            Ok("notes.txt".into())
        );
        for bad in [dataset_name(None, Some(".csv")), dataset_name(None, None)] {
            assert_eq!(bad.expect_err("no name").field.as_deref(), Some("name"));
        }
        let long = "x".repeat(MAX_DATASET_NAME_CHARS + 1);
        assert!(dataset_name(Some(&long), None).is_err());
        assert!(dataset_name(Some(&"é".repeat(MAX_DATASET_NAME_CHARS)), None).is_ok());
        assert!(dataset_name(Some("a\nb"), None).is_err());
    }

    #[test]
    fn header_rows_need_every_name_once() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(check_column_names(&names(&["mean radius", "target"])).is_ok());
        let e = check_column_names(&names(&["a", " ", "c"])).expect_err("empty");
        assert_eq!(e.error_code, "DATASET_BAD_HEADER");
        assert!(e.error_msg.contains("Column 2"), "{}", e.error_msg);
        let e = check_column_names(&names(&["age", "bmi", "age"])).expect_err("twice");
        assert!(e.error_msg.contains("'age'") && e.error_msg.contains("columns 1 and 3"));
        let many: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        assert_eq!(
            check_column_names(&many).expect_err("many").error_code,
            "DATASET_TOO_MANY_COLUMNS"
        );
    }

    #[test]
    fn preview_cells_are_cut() {
        assert_eq!(preview_cell("short"), "short");
        let long = "é".repeat(MAX_PREVIEW_CELL_CHARS + 5);
        let cut = preview_cell(&long);
        assert_eq!(cut.chars().count(), MAX_PREVIEW_CELL_CHARS + 1);
        assert!(cut.ends_with('…'));
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
