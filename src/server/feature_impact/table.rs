//! The sample feature impact is computed on: `row_count` rows of a CSV file drawn reproducibly
//! while the file streams past, split into feature columns and the target.
//!
//! Rows are drawn by reservoir sampling (Vitter's algorithm R), so only the sample is held in
//! memory however large the file is. Every row is still read once: to count the rows, to check
//! that each has as many cells as the header, and to learn every class of a classification target
//! (a rare class missing from the sample must not shift the indices of the others).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::domain::dataset::{ColumnStats, ColumnType, as_bool, as_number, is_missing};
use crate::server::predict::{Features, PredictError};

use super::shuffle::{SeededRng, Stream};
use super::{FeatureImpactError, Settings, Task};

/// Most classes a classification target may have.
pub const MAX_CLASSES: usize = 1000;

/// A sample of training data: feature columns (every column except the target, in file order)
/// and the target, row for row.
#[derive(Clone, Debug)]
pub struct TrainingTable {
    task: Task,
    target_name: String,
    feature_names: Vec<String>,
    kinds: Vec<ColumnType>,
    /// Numbers; booleans as 0/1; for categorical and text columns the index of each row's value
    /// in `categories`. Missing values are `NaN`.
    columns: Vec<Vec<f64>>,
    categories: Vec<Option<Vec<String>>>,
    pub(super) target: Target,
    rows_in_file: u64,
    skipped_missing_target: u64,
}

/// The target column of the sample.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Target {
    /// Regression: one number per row.
    Values(Vec<f64>),
    /// Classification: the classes in sorted order and each row's index among them.
    Classes {
        labels: Vec<String>,
        indices: Vec<u32>,
    },
}

impl TrainingTable {
    pub fn task(&self) -> Task {
        self.task
    }

    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// Feature names in file order (the target left out).
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Rows in the sample.
    pub fn n_rows(&self) -> usize {
        match &self.target {
            Target::Values(values) => values.len(),
            Target::Classes { indices, .. } => indices.len(),
        }
    }

    /// How column `index` was read: numeric, boolean (as 0/1), categorical or text.
    pub fn feature_kind(&self, index: usize) -> Option<ColumnType> {
        self.kinds.get(index).copied()
    }

    /// A column's values: numbers, 0/1 for booleans, category indices for categorical and text
    /// columns (see [`Features`]); `NaN` where missing.
    pub fn column(&self, index: usize) -> &[f64] {
        &self.columns[index]
    }

    /// The distinct values of a categorical or text column, sorted; its [`column`](Self::column)
    /// holds indices into them. `None` for numeric and boolean columns.
    pub fn categories(&self, index: usize) -> Option<&[String]> {
        self.categories.get(index).and_then(|c| c.as_deref())
    }

    /// The classes of a classification target, sorted as scikit-learn sorts them (numerically
    /// when every label is a number, else as text); empty for regression. For a binary target
    /// the second one is the positive class.
    pub fn class_labels(&self) -> &[String] {
        match &self.target {
            Target::Values(_) => &[],
            Target::Classes { labels, .. } => labels,
        }
    }

    /// Data rows in the file (the header not counted).
    pub fn rows_in_file(&self) -> u64 {
        self.rows_in_file
    }

    /// Rows left out because their target was missing.
    pub fn skipped_missing_target(&self) -> u64 {
        self.skipped_missing_target
    }

    /// The feature columns as a predictor takes them.
    pub fn features(&self) -> Result<Features<'_>, PredictError> {
        Features::with_categories(
            &self.feature_names,
            self.columns.iter().map(Vec::as_slice).collect(),
            self.categories.iter().map(|c| c.as_deref()).collect(),
        )
    }

    /// A line for the job log, e.g. "Sampled 2500 of 10000 rows (3 rows without a target
    /// value skipped)."
    pub fn summary(&self) -> String {
        let mut line = format!(
            "Sampled {} of {} rows of the training data",
            self.n_rows(),
            self.rows_in_file
        );
        if self.skipped_missing_target > 0 {
            line.push_str(&format!(
                " ({} rows without a value in the target '{}' skipped)",
                self.skipped_missing_target, self.target_name
            ));
        }
        line.push_str(&format!(
            "; {} features, target '{}' ({}",
            self.n_features(),
            self.target_name,
            self.task.as_str()
        ));
        if let Target::Classes { labels, .. } = &self.target {
            line.push_str(&format!(", classes {}", quoted_list(labels, 10)));
        }
        line.push_str(").");
        line
    }
}

/// Reads a CSV file and samples `settings.row_count` rows of it (all rows when it has fewer),
/// reproducibly for `settings.seed`. See [`read_table_from`].
pub fn read_table(
    path: &Path,
    target: &str,
    task: Task,
    settings: &Settings,
) -> Result<TrainingTable, FeatureImpactError> {
    let file = File::open(path).map_err(|e| {
        tracing::warn!(path = %path.display(), error = %e, "cannot open training data");
        FeatureImpactError::Unreadable(format!("the file cannot be opened ({e})"))
    })?;
    read_table_from(
        BufReader::with_capacity(1 << 16, file),
        target,
        task,
        settings,
    )
}

/// Reads CSV (a header row, then data) from `reader` and samples `settings.row_count` rows.
///
/// - Feature columns are every column except `target`, in file order. A column whose sampled
///   values are all numbers becomes numbers (missing cells `NaN`); yes/no words become 1/0;
///   anything else is kept as categories (the column's type follows the datasets' rules, applied
///   to the sample).
/// - Rows whose target is missing are skipped (counted in
///   [`TrainingTable::skipped_missing_target`]). Regression needs a number in every other
///   row; classification maps labels to class indices in sorted order (numerically when every
///   label is a number), which is the order scikit-learn and skl2onnx give a model's classes;
///   a binary target needs exactly two classes.
/// - The sample keeps the file's row order.
pub fn read_table_from<R: Read>(
    reader: R,
    target: &str,
    task: Task,
    settings: &Settings,
) -> Result<TrainingTable, FeatureImpactError> {
    settings.validate()?;
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let header = csv.headers().map_err(csv_error)?.clone();
    let names: Vec<String> = header.iter().map(str::to_owned).collect();
    check_header(&names)?;
    let target_index = names
        .iter()
        .position(|n| n == target)
        .or_else(|| names.iter().position(|n| n.trim() == target.trim()))
        .ok_or_else(|| FeatureImpactError::TargetNotFound {
            target: target.to_owned(),
            columns: quoted_list(&names, 20),
        })?;
    let target_name = names[target_index].clone();
    if names.len() < 2 {
        return Err(FeatureImpactError::NoFeatures(target_name));
    }

    let wanted = settings.row_count;
    let mut rng = SeededRng::new(settings.seed, Stream::Sample);
    let mut sample: Vec<(u64, csv::StringRecord)> = Vec::with_capacity(wanted.min(1 << 16));
    let mut record = csv::StringRecord::new();
    let mut rows_in_file = 0u64;
    let mut skipped = 0u64;
    let mut eligible = 0u64;
    let mut labels: HashSet<String> = HashSet::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e)),
        }
        rows_in_file += 1;
        let line = record.position().map_or(rows_in_file + 1, |p| p.line());
        if record.len() != names.len() {
            return Err(FeatureImpactError::RaggedRow {
                line,
                cells: record.len(),
                expected: names.len(),
            });
        }
        let cell = &record[target_index];
        if is_missing(cell) {
            skipped += 1;
            continue;
        }
        match task {
            Task::Regression => {
                if as_number(cell).is_none() {
                    return Err(FeatureImpactError::TargetNotNumeric {
                        line,
                        target: target_name,
                        value: shorten(cell),
                    });
                }
            }
            Task::Binary | Task::Multiclass => {
                let label = cell.trim();
                if !labels.contains(label) {
                    let most = if task == Task::Binary { 2 } else { MAX_CLASSES };
                    if labels.len() >= most {
                        return Err(FeatureImpactError::WrongClassCount(too_many_classes(
                            task,
                            line,
                            &target_name,
                            label,
                            &labels,
                        )));
                    }
                    labels.insert(label.to_owned());
                }
            }
        }
        // Algorithm R: the first rows fill the reservoir, each later row replaces a random one
        // with probability wanted / rows seen.
        if (eligible as usize) < wanted {
            sample.push((line, record.clone()));
        } else {
            let slot = rng.below(eligible + 1) as usize;
            if slot < wanted {
                sample[slot].0 = line;
                std::mem::swap(&mut sample[slot].1, &mut record);
            }
        }
        eligible += 1;
    }
    if eligible == 0 {
        return Err(FeatureImpactError::NoRows {
            target: target_name,
            skipped,
        });
    }
    sample.sort_unstable_by_key(|(line, _)| *line);
    if skipped > 0 {
        tracing::info!(
            skipped,
            target = %target_name,
            "rows without a target value were left out of the feature-impact sample"
        );
    }

    let target_column = match task {
        Task::Regression => Target::Values(
            sample
                .iter()
                .map(|(_, r)| as_number(&r[target_index]).unwrap_or(f64::NAN))
                .collect(),
        ),
        Task::Binary | Task::Multiclass => {
            let (labels, index_of) = sorted_classes(labels);
            if labels.len() < 2 || (task == Task::Binary && labels.len() != 2) {
                return Err(FeatureImpactError::WrongClassCount(format!(
                    "The target '{target_name}' has {} class{} ({}); a {} target needs {}.",
                    labels.len(),
                    if labels.len() == 1 { "" } else { "es" },
                    quoted_list(&labels, 10),
                    task.as_str(),
                    if task == Task::Binary {
                        "exactly two"
                    } else {
                        "at least two"
                    }
                )));
            }
            let indices = sample
                .iter()
                .map(|(_, r)| index_of.get(r[target_index].trim()).copied().unwrap_or(0))
                .collect();
            Target::Classes { labels, indices }
        }
    };

    let mut feature_names = Vec::with_capacity(names.len() - 1);
    let mut kinds = Vec::with_capacity(names.len() - 1);
    let mut columns = Vec::with_capacity(names.len() - 1);
    let mut categories = Vec::with_capacity(names.len() - 1);
    for (index, name) in names.iter().enumerate() {
        if index == target_index {
            continue;
        }
        let cells = || sample.iter().map(move |(_, r)| &r[index]);
        let (kind, column, values) = read_column(name, cells);
        feature_names.push(name.clone());
        kinds.push(kind);
        columns.push(column);
        categories.push(values);
    }
    Ok(TrainingTable {
        task,
        target_name,
        feature_names,
        kinds,
        columns,
        categories,
        target: target_column,
        rows_in_file,
        skipped_missing_target: skipped,
    })
}

/// Types one column by the datasets' rules and reads it.
fn read_column<'r, I: Iterator<Item = &'r str>>(
    name: &str,
    cells: impl Fn() -> I,
) -> (ColumnType, Vec<f64>, Option<Vec<String>>) {
    let mut stats = ColumnStats::new(name);
    for cell in cells() {
        stats.observe(cell);
    }
    // A column with no values in the sample is read as numbers (all missing) rather than text,
    // so that it does not stop a model that takes numbers only.
    let kind = if stats.present == 0 {
        ColumnType::Numeric
    } else {
        stats.finish().column_type
    };
    match kind {
        ColumnType::Numeric => {
            let column = cells().map(|c| as_number(c).unwrap_or(f64::NAN)).collect();
            (kind, column, None)
        }
        ColumnType::Boolean => {
            let column = cells()
                .map(|c| as_bool(c).map_or(f64::NAN, |b| if b { 1.0 } else { 0.0 }))
                .collect();
            (kind, column, None)
        }
        ColumnType::Categorical | ColumnType::Text => {
            let values: Vec<String> = cells()
                .filter(|c| !is_missing(c))
                .map(str::trim)
                .collect::<BTreeSet<&str>>()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let column = cells()
                .map(|c| {
                    if is_missing(c) {
                        f64::NAN
                    } else {
                        values
                            .binary_search_by(|v| v.as_str().cmp(c.trim()))
                            .map_or(f64::NAN, |i| i as f64)
                    }
                })
                .collect();
            (kind, column, Some(values))
        }
    }
}

/// Classes in scikit-learn's order, and each label's index. Labels that are all numbers sort
/// numerically (`2` before `10`), and spellings of one number (`1`, `1.0`) are one class.
fn sorted_classes(labels: HashSet<String>) -> (Vec<String>, HashMap<String, u32>) {
    let mut labels: Vec<String> = labels.into_iter().collect();
    let numbers: Option<Vec<f64>> = labels.iter().map(|l| as_number(l)).collect();
    let mut index_of = HashMap::with_capacity(labels.len());
    match numbers {
        Some(_) => {
            labels.sort_by(|a, b| {
                let (x, y) = (as_number(a).unwrap_or(0.0), as_number(b).unwrap_or(0.0));
                x.total_cmp(&y)
                    .then_with(|| a.len().cmp(&b.len()))
                    .then(a.cmp(b))
            });
            let mut classes: Vec<String> = Vec::with_capacity(labels.len());
            let mut last: Option<f64> = None;
            for label in labels {
                let value = as_number(&label).unwrap_or(0.0);
                if last != Some(value) {
                    classes.push(label.clone());
                    last = Some(value);
                }
                index_of.insert(label, (classes.len() - 1) as u32);
            }
            (classes, index_of)
        }
        None => {
            labels.sort();
            for (i, label) in labels.iter().enumerate() {
                index_of.insert(label.clone(), i as u32);
            }
            (labels, index_of)
        }
    }
}

fn too_many_classes(
    task: Task,
    line: u64,
    target: &str,
    label: &str,
    seen: &HashSet<String>,
) -> String {
    let mut seen: Vec<String> = seen.iter().cloned().collect();
    seen.sort();
    match task {
        Task::Binary => format!(
            "Line {line}: the target '{target}' holds a third class '{}' (besides {}); a binary \
             target has exactly two classes.",
            shorten(label),
            quoted_list(&seen, 2)
        ),
        _ => format!(
            "The target '{target}' has more than {MAX_CLASSES} classes (line {line} adds '{}').",
            shorten(label)
        ),
    }
}

fn check_header(names: &[String]) -> Result<(), FeatureImpactError> {
    if names.is_empty() || (names.len() == 1 && names[0].trim().is_empty()) {
        return Err(FeatureImpactError::BadHeader(
            "the file is empty (no header row)".to_owned(),
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(FeatureImpactError::BadHeader(format!(
                "column {} has no name",
                i + 1
            )));
        }
        if let Some(first) = seen.insert(name.as_str(), i) {
            return Err(FeatureImpactError::BadHeader(format!(
                "the name '{}' is used by columns {} and {}",
                shorten(name),
                first + 1,
                i + 1
            )));
        }
    }
    Ok(())
}

fn csv_error(e: csv::Error) -> FeatureImpactError {
    let line = e.position().map_or(0, |p| p.line());
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            FeatureImpactError::Unreadable(format!("reading the file failed ({io})"))
        }
        csv::ErrorKind::Utf8 { err, .. } => FeatureImpactError::MalformedCsv {
            line,
            message: format!("cell {} is not UTF-8 text", err.field() + 1),
        },
        _ => FeatureImpactError::MalformedCsv { line, message },
    }
}

/// Values quoted for a message, at most `most` of them.
fn quoted_list(values: &[String], most: usize) -> String {
    let mut out: Vec<String> = values
        .iter()
        .take(most)
        .map(|v| format!("'{}'", shorten(v)))
        .collect();
    if values.len() > most {
        out.push(format!("and {} more", values.len() - most));
    }
    out.join(", ")
}

/// A cell as quoted in a message: at most 60 characters.
fn shorten(value: &str) -> String {
    const MOST: usize = 60;
    let value = value.trim();
    if value.chars().count() <= MOST {
        value.to_owned()
    } else {
        let cut: String = value.chars().take(MOST).collect();
        format!("{cut}…")
    }
}
