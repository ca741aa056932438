//! `modelyard feature-impact`: computes feature impact locally, from an ONNX model file or a
//! prediction server, and prints it as JSON. Progress goes to standard error, with the time
//! the computation took.

use crate::domain::error::codes;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::domain::error::ApiError;
use crate::domain::feature_impact::{DEFAULT_ROW_COUNT, FeatureImpactItem, resolve_row_count};
use crate::server::error::AppError;
use crate::server::predict::{OnnxModel, Predictor, RemoteOptions, RemotePredictor};

use super::{DEFAULT_REPEATS, FeatureImpactError, Settings, Task, compute, read_table};

#[derive(Clone, Debug, clap::Args)]
pub struct FeatureImpactArgs {
    /// The ONNX model, run in-process (not needed with --prediction-url).
    #[arg(long, required_unless_present = "prediction_url")]
    pub model: Option<PathBuf>,
    /// The training data: a CSV file with a header row.
    #[arg(long)]
    pub data: PathBuf,
    /// The target column; every other column is a feature, in file order.
    #[arg(long)]
    pub target: String,
    /// What the model predicts.
    #[arg(long, value_enum)]
    pub task: Task,
    /// Rows to sample (10 to 100000; all rows when the file has fewer).
    #[arg(long, default_value_t = DEFAULT_ROW_COUNT)]
    pub row_count: u64,
    /// Seeds the sample and the shuffles: the same seed gives the same numbers.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Shuffles per feature.
    #[arg(long, default_value_t = DEFAULT_REPEATS)]
    pub repeats: usize,
    /// A prediction server's base URL (custom-model protocol) to get predictions from, instead
    /// of running --model.
    #[arg(long, conflicts_with = "model")]
    pub prediction_url: Option<String>,
}

/// What the command prints.
#[derive(Serialize)]
struct Output<'a> {
    metric: &'a str,
    base_score: f64,
    row_count: usize,
    rows_in_file: u64,
    skipped_missing_target: u64,
    n_repeats: usize,
    seed: u64,
    ran_redundancy_detection: bool,
    feature_impacts: &'a [FeatureImpactItem],
}

pub async fn run(args: FeatureImpactArgs) -> Result<(), AppError> {
    let row_count = resolve_row_count(Some(args.row_count), u64::MAX)?;
    let settings = Settings {
        row_count: row_count as usize,
        seed: args.seed,
        n_repeats: args.repeats,
    };
    let started = Instant::now();
    let (data, target, task) = (args.data.clone(), args.target.clone(), args.task);
    let table = blocking(move || read_table(&data, &target, task, &settings)).await?;
    let read_seconds = started.elapsed().as_secs_f64();
    eprintln!("{}", table.summary());

    let predictor: Box<dyn Predictor> = match (&args.prediction_url, &args.model) {
        (Some(url), _) => {
            let options = RemoteOptions {
                class_labels: table.class_labels().to_vec(),
                ..RemoteOptions::default()
            };
            let remote = RemotePredictor::connect(url, options)
                .await
                .map_err(ApiError::from)?;
            eprintln!("Predictions from {}", remote.url());
            Box::new(remote)
        }
        (None, Some(path)) => {
            let bytes = tokio::fs::read(path).await.map_err(|e| {
                AppError::Api(ApiError::new(
                    422,
                    codes::MODEL_UNREADABLE,
                    format!("Cannot read {}: {e}", path.display()),
                    "Check the path of the model file.",
                ))
            })?;
            let model = blocking(move || OnnxModel::load(&bytes).map_err(Into::into)).await?;
            Box::new(model)
        }
        (None, None) => {
            return Err(AppError::Api(ApiError::new(
                422,
                codes::NO_MODEL,
                "Neither --model nor --prediction-url was given.",
                "Give an ONNX file with --model or a prediction server with --prediction-url.",
            )));
        }
    };

    let computing = Instant::now();
    let (computed, table) = blocking(move || {
        let computed = compute(&*predictor, &table, &settings, &mut |progress| {
            eprintln!("[{:>3.0}%] {}", progress.fraction * 100.0, progress.message);
            ControlFlow::Continue(())
        })?;
        Ok((computed, table))
    })
    .await?;
    let compute_seconds = computing.elapsed().as_secs_f64();

    let output = Output {
        metric: computed.metric,
        base_score: computed.base_score,
        row_count: computed.row_count,
        rows_in_file: table.rows_in_file(),
        skipped_missing_target: table.skipped_missing_target(),
        n_repeats: settings.n_repeats,
        seed: settings.seed,
        ran_redundancy_detection: computed.ran_redundancy_detection,
        feature_impacts: &computed.items,
    };
    let json = serde_json::to_string_pretty(&output)
        .map_err(|e| AppError::Internal(format!("cannot write the result: {e}")))?;
    println!("{json}");
    eprintln!(
        "Computed feature impact in {compute_seconds:.3} s (reading and sampling the data: \
         {read_seconds:.3} s)."
    );
    Ok(())
}

/// Runs CPU-bound work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FeatureImpactError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("the computation stopped: {e}")))?
        .map_err(|e| AppError::Api(e.into()))
}
