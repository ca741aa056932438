//! Feature impact by permutation importance, as DataRobot defines it: score the model on a
//! sample of its training data, shuffle one feature at a time, score again, and report how much
//! worse each shuffle made the score.
//!
//! Two calls do the work; both are synchronous and CPU-bound (run them in `spawn_blocking`):
//!
//! ```text
//! let settings = Settings { row_count: 2500, seed: 0, n_repeats: 5 };
//! let table = read_table(&csv_path, "target", Task::Binary, &settings)?;   // stream + sample
//! let model = OnnxModel::load(&bytes)?;          // or RemotePredictor::connect(url, options)
//! let computed = compute(&model, &table, &settings, &mut |progress| {
//!     job.set_progress(progress.fraction);
//!     job.log(&progress.message);
//!     if job.is_canceled() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
//! })?;
//! // computed.items: most important first, normalized so the top feature has 1.
//! ```
//!
//! - [`table`] reads the CSV and draws the sample (reservoir sampling, seeded).
//! - [`compute`] scores (RMSE for regression, log loss for classification, probabilities clipped to
//!   [`PROBABILITY_CLIP`]),
//!   shuffles each feature `n_repeats` times with the same seeded permutations, averages the
//!   score increases, normalizes them with the domain's [`normalize`], and flags redundant
//!   features ([`redundancy`]).
//! - [`command`] holds the `modelyard feature-impact` command line.

pub mod command;
mod error;
pub mod redundancy;
mod score;
mod shuffle;
pub mod table;
#[cfg(test)]
mod tests;

pub use error::FeatureImpactError;
pub use score::PROBABILITY_CLIP;
pub use table::{TrainingTable, read_table, read_table_from};

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::domain::dataset::ColumnType;
use crate::domain::feature_impact::{FeatureImpactItem, MAX_ROW_COUNT, normalize};
use crate::server::predict::{Features, Predictions, Predictor};

/// Shuffles per feature when none is asked for (scikit-learn's fixtures use 5 too).
pub const DEFAULT_REPEATS: usize = 5;
/// Most shuffles per feature.
pub const MAX_REPEATS: usize = 50;
/// Most threads shuffling features at once. Each runs its own predictions; against a
/// prediction server this is also the most requests in flight.
pub const MAX_THREADS: usize = 4;

/// Threads that shuffle features at once: the machine's cores, at most [`MAX_THREADS`]. A
/// predictor that runs in other processes starts this many.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
}

/// What the model predicts, from the model's target type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Task {
    Regression,
    Binary,
    Multiclass,
}

impl Task {
    /// The task for a model's target type (`regression`, `binary`, `multiclass`); other
    /// target types have no feature impact.
    pub fn from_target_type(target_type: &str) -> Option<Task> {
        match target_type {
            "regression" => Some(Task::Regression),
            "binary" => Some(Task::Binary),
            "multiclass" => Some(Task::Multiclass),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Task::Regression => "regression",
            Task::Binary => "binary",
            Task::Multiclass => "multiclass",
        }
    }

    /// The score feature impact is measured in: `rmse` or `log_loss`.
    pub fn metric(self) -> &'static str {
        match self {
            Task::Regression => "rmse",
            Task::Binary | Task::Multiclass => "log_loss",
        }
    }
}

/// How the computation samples and shuffles. The same settings on the same file and model give
/// the same numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Rows to sample (all rows when the file has fewer). Check requests against the domain's
    /// bounds with `resolve_row_count` first; here 1..=`MAX_ROW_COUNT` is accepted.
    pub row_count: usize,
    /// Seeds both the sample and the shuffles.
    pub seed: u64,
    /// Shuffles per feature (1..=[`MAX_REPEATS`]).
    pub n_repeats: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            row_count: crate::domain::feature_impact::DEFAULT_ROW_COUNT as usize,
            seed: 0,
            n_repeats: DEFAULT_REPEATS,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> Result<(), FeatureImpactError> {
        if !(1..=MAX_ROW_COUNT as usize).contains(&self.row_count) {
            return Err(FeatureImpactError::InvalidSettings(format!(
                "The row count must be between 1 and {MAX_ROW_COUNT}; it was {}.",
                self.row_count
            )));
        }
        if !(1..=MAX_REPEATS).contains(&self.n_repeats) {
            return Err(FeatureImpactError::InvalidSettings(format!(
                "The number of repeats must be between 1 and {MAX_REPEATS}; it was {}.",
                self.n_repeats
            )));
        }
        Ok(())
    }
}

/// How far the computation got, reported after the baseline, after each feature and after
/// redundancy detection.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// 0 to 1.
    pub fraction: f64,
    /// A line for the job log, e.g. `bmi: 0.1234 (3/10)`.
    pub message: String,
}

/// The result of [`compute`].
#[derive(Clone, Debug, PartialEq)]
pub struct Computed {
    /// Most important first; the top feature's `impact_normalized` is 1 (see `normalize`).
    pub items: Vec<FeatureImpactItem>,
    /// `rmse` or `log_loss`.
    pub metric: &'static str,
    /// The score of the unshuffled sample.
    pub base_score: f64,
    /// Rows scored.
    pub row_count: usize,
    /// False when there were too many features to compare (see
    /// [`redundancy::MAX_REDUNDANCY_FEATURES`]).
    pub ran_redundancy_detection: bool,
}

/// Computes permutation importance of every feature of `table` for `predictor`.
///
/// `on_progress` is called on this thread after the baseline score, after each feature (in the
/// order they finish) and after redundancy detection; returning `ControlFlow::Break(())` stops
/// the work within one prediction per thread and gives [`FeatureImpactError::Canceled`].
///
/// Features are shuffled on up to [`MAX_THREADS`] threads (no more than the machine's cores);
/// every feature's result depends only on the seed, never on the threads, so a rerun gives the
/// same numbers. Columns that hold one value throughout are not predicted at all: shuffling
/// them changes nothing, so their impact is 0.
pub fn compute(
    predictor: &dyn Predictor,
    table: &TrainingTable,
    settings: &Settings,
    on_progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Computed, FeatureImpactError> {
    compute_until(predictor, table, settings, &|| false, on_progress)
}

/// [`compute`], also stopping (with [`FeatureImpactError::Canceled`]) as soon as `should_stop`
/// says so: it is asked before every prediction, so a cancel waits for at most one prediction
/// per thread rather than for a whole feature. A prediction that fails once `should_stop` is
/// set (a prediction server's batches stop early too) counts as canceled.
pub fn compute_until(
    predictor: &dyn Predictor,
    table: &TrainingTable,
    settings: &Settings,
    should_stop: &(dyn Fn() -> bool + Sync),
    on_progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Computed, FeatureImpactError> {
    settings.validate()?;
    check_fit(predictor, table)?;
    let features = table.features()?;
    let n_features = table.n_features();
    let n_rows = table.n_rows();
    let metric = score::metric_name(&table.target);
    let steps = (n_features + 2) as f64;

    let base_score = score::score(
        &table.target,
        &predict_until(predictor, &features, should_stop)?,
    )?;
    report(
        on_progress,
        1.0 / steps,
        format!("Baseline {metric}: {base_score:.6} on {n_rows} rows."),
    )?;

    let permutations = shuffle::permutations(n_rows, settings.n_repeats, settings.seed);
    let impacts = shuffle_every_feature(
        predictor,
        table,
        &features,
        &permutations,
        base_score,
        should_stop,
        &mut |done, feature, impact| {
            report(
                on_progress,
                (1 + done) as f64 / steps,
                format!(
                    "{}: {impact:.6} ({done}/{n_features})",
                    table.feature_names()[feature]
                ),
            )
        },
    )?;

    let associations = redundancy::associations(table);
    let redundant = associations
        .as_deref()
        .map(|a| redundancy::redundant_with(&impacts, a));
    let mut items: Vec<FeatureImpactItem> = table
        .feature_names()
        .iter()
        .enumerate()
        .map(|(i, name)| FeatureImpactItem {
            feature_name: name.clone(),
            impact_normalized: 0.0,
            impact_unnormalized: impacts[i],
            redundant_with: redundant
                .as_ref()
                .and_then(|r| r[i])
                .map(|j| table.feature_names()[j].clone()),
            parent_feature_name: None,
        })
        .collect();
    normalize(&mut items);
    let flagged = items.iter().filter(|i| i.redundant_with.is_some()).count();
    report(
        on_progress,
        1.0,
        match associations {
            Some(_) => format!("Redundancy detection: {flagged} redundant features."),
            None => format!(
                "Redundancy detection skipped: more than {} features.",
                redundancy::MAX_REDUNDANCY_FEATURES
            ),
        },
    )?;
    Ok(Computed {
        items,
        metric,
        base_score,
        row_count: n_rows,
        ran_redundancy_detection: associations.is_some(),
    })
}

/// Refuses, before any work, a table the model cannot take.
fn check_fit(predictor: &dyn Predictor, table: &TrainingTable) -> Result<(), FeatureImpactError> {
    if let Some(width) = predictor.input_width()
        && width != table.n_features()
    {
        return Err(FeatureImpactError::FeatureCountMismatch {
            model: width,
            table: table.n_features(),
            target: table.target_name().to_owned(),
        });
    }
    if !predictor.accepts_text() {
        for i in 0..table.n_features() {
            let kind = match table.feature_kind(i) {
                Some(ColumnType::Categorical) => "categorical",
                Some(ColumnType::Text) => "text",
                _ => continue,
            };
            return Err(FeatureImpactError::NonNumericFeature {
                column: table.feature_names()[i].clone(),
                kind,
            });
        }
    }
    Ok(())
}

fn report(
    on_progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    fraction: f64,
    message: String,
) -> Result<(), FeatureImpactError> {
    match on_progress(Progress {
        fraction: fraction.clamp(0.0, 1.0),
        message,
    }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(FeatureImpactError::Canceled),
    }
}

/// The mean score increase of every feature, computed on worker threads; `on_feature` runs on
/// this thread as each feature finishes (features done so far, which one, its impact).
fn shuffle_every_feature(
    predictor: &dyn Predictor,
    table: &TrainingTable,
    features: &Features<'_>,
    permutations: &[Vec<u32>],
    base_score: f64,
    should_stop: &(dyn Fn() -> bool + Sync),
    on_feature: &mut dyn FnMut(usize, usize, f64) -> Result<(), FeatureImpactError>,
) -> Result<Vec<f64>, FeatureImpactError> {
    let n_features = table.n_features();
    let threads = worker_threads().min(n_features).max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut impacts = vec![0.0; n_features];
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel();
        for _ in 0..threads {
            let sender = sender.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || {
                let mut shuffled = vec![0.0; table.n_rows()];
                while !stop.load(Ordering::Relaxed) {
                    let feature = next.fetch_add(1, Ordering::Relaxed);
                    if feature >= n_features {
                        break;
                    }
                    let result = feature_impact(
                        predictor,
                        table,
                        features,
                        feature,
                        permutations,
                        base_score,
                        &mut shuffled,
                        &|| stop.load(Ordering::Relaxed) || should_stop(),
                    );
                    if sender.send((feature, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut done = 0;
        let outcome = results.iter().try_for_each(|(feature, result)| {
            let impact = result?;
            impacts[feature] = impact;
            done += 1;
            on_feature(done, feature, impact)
        });
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        outcome
    })?;
    Ok(impacts)
}

/// Predicts unless `should_stop` says to stop first; a failure once it does is a cancel.
fn predict_until(
    predictor: &dyn Predictor,
    features: &Features<'_>,
    should_stop: &dyn Fn() -> bool,
) -> Result<Predictions, FeatureImpactError> {
    if should_stop() {
        return Err(FeatureImpactError::Canceled);
    }
    predictor.predict(features).map_err(|e| {
        if should_stop() {
            FeatureImpactError::Canceled
        } else {
            e.into()
        }
    })
}

/// One feature's mean score increase over the permutations.
#[allow(clippy::too_many_arguments)]
fn feature_impact(
    predictor: &dyn Predictor,
    table: &TrainingTable,
    features: &Features<'_>,
    feature: usize,
    permutations: &[Vec<u32>],
    base_score: f64,
    shuffled: &mut [f64],
    should_stop: &dyn Fn() -> bool,
) -> Result<f64, FeatureImpactError> {
    let column = table.column(feature);
    if column
        .iter()
        .all(|v| v.to_bits() == column.first().map_or(0, |f| f.to_bits()))
    {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for permutation in permutations {
        for (slot, &row) in shuffled.iter_mut().zip(permutation) {
            *slot = column[row as usize];
        }
        let table_shuffled = features.with_column(feature, shuffled)?;
        let predictions = predict_until(predictor, &table_shuffled, should_stop)?;
        let score = score::score(&table.target, &predictions)?;
        total += score - base_score;
    }
    Ok(total / permutations.len().max(1) as f64)
}
