//! Computing feature impact: the checks made before a job is queued (training data, target,
//! row count, a model that can run here or an allowed prediction server), and the job itself,
//! which samples the training data, runs permutation importance and stores the result.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::feature_impact::{
    FeatureImpactRequest, ImpactMethod, prediction_host_allowed, resolve_row_count,
};
use crate::domain::job::Job;
use crate::domain::model::Role;
use crate::domain::model_check::{is_checked_model_file, runnable_model_file};
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::error::{AppError, AppResult};
use crate::server::feature_impact::{self as engine, Progress, Settings, Task};
use crate::server::jobs::{JobContext, JobError, JobFuture, JobKind, StopSignal};
use crate::server::predict::remote::{self, RemoteOptions, RemotePredictor};
use crate::server::predict::{Predictor, RunnerLimits, runner};
use crate::server::services::feature_impact::{self as results, FeatureImpactRecord};
use crate::server::services::jobs::version_subject;
use crate::server::services::models::find_model;
use crate::server::services::versions::find_version;
use crate::server::services::{datasets, model_checks};
use crate::server::state::AppState;
use crate::server::storage::BlobStore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::AnyPool;
use std::ops::ControlFlow;
use std::sync::Arc;

/// The job kind's name.
pub const KIND: &str = "feature_impact";
/// Shuffles per feature; the score loss is their mean.
pub const REPEATS: usize = 5;
/// The seed when the request names none.
pub const DEFAULT_SEED: u64 = 0;

/// Where predictions come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Backend {
    /// The version's ONNX file, run in-process.
    Onnx { path: String, sha256: String },
    /// A prediction server speaking the custom-model protocol.
    Server { url: String },
}

impl Backend {
    fn describe(&self) -> String {
        match self {
            Backend::Onnx { path, .. } => format!("onnx:{path}"),
            Backend::Server { url } => match reqwest::Url::parse(url) {
                Ok(parsed) => remote::shown_url(&parsed),
                Err(_) => url.clone(),
            },
        }
    }
}

/// What a queued job needs; stored as the job's parameters.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RunParams {
    version_id: String,
    dataset_id: String,
    target: String,
    /// `regression`, `binary` or `multiclass`.
    task: String,
    row_count: u64,
    seed: u64,
    backend: Backend,
    requested_by: String,
}

fn task_of(target_type: Option<&str>) -> AppResult<Task> {
    match target_type.and_then(Task::from_target_type) {
        Some(task) => Ok(task),
        None => Err(ApiError::new(
            422,
            codes::UNSUPPORTED_TARGET_TYPE,
            match target_type {
                Some(t) => format!(
                    "Feature impact is computed for regression and classification models; this \
                     model's target type is '{t}'."
                ),
                None => {
                    "The model has no target type, so it is not known how to score it.".to_owned()
                }
            },
            "Set the model's target type (regression, binary or multiclass) in its settings, or \
             import feature impact computed elsewhere with PUT.",
        )
        .into()),
    }
}

/// Picks the ONNX file feature impact runs: the only one, or `model.onnx` among several.
async fn onnx_backend(state: &AppState, version_id: &str) -> AppResult<Backend> {
    let files: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT path, sha256, size FROM version_files WHERE version_id = $1 ORDER BY path",
    )
    .bind(version_id)
    .fetch_all(&state.db)
    .await?;
    let models: Vec<_> = files
        .into_iter()
        .filter(|(path, _, _)| is_checked_model_file(path))
        .collect();
    let chosen = match models.as_slice() {
        [] => {
            return Err(ApiError::new(
                422,
                codes::NO_RUNNABLE_MODEL,
                "The version has no ONNX file to compute feature impact with.",
                "Upload the model as an .onnx file (e.g. exported with skl2onnx), give \
                 prediction_url to use a prediction server, or import feature impact with PUT.",
            )
            .into());
        }
        [only] => only,
        several => runnable_model_file(several.iter().map(|(path, _, _)| path.as_str()))
            .and_then(|chosen| several.iter().find(|(path, _, _)| path == chosen))
            .ok_or_else(|| {
                ApiError::new(
                    422,
                    codes::SEVERAL_MODELS,
                    format!(
                        "The version has {} ONNX files ({}); it is not clear which to run.",
                        several.len(),
                        several
                            .iter()
                            .map(|(p, _, _)| p.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "Name the one to run 'model.onnx', or use a prediction server.",
                )
            })?,
    };
    let (path, sha256, size) = chosen.clone();
    let check = model_checks::check_blob(state, &sha256, u64::try_from(size).unwrap_or(0)).await?;
    if !check.can_run() {
        let code = if check.unsupported_operators.is_empty() {
            codes::MODEL_CANNOT_RUN
        } else {
            codes::UNSUPPORTED_OPERATORS
        };
        return Err(ApiError::new(
            422,
            code,
            format!("'{path}' cannot be run here: {}", check.message),
            "Export the model without these operators, compute feature impact with a \
             prediction server (prediction_url), or import it with PUT.",
        )
        .into());
    }
    Ok(Backend::Onnx { path, sha256 })
}

fn no_training_data() -> ApiError {
    ApiError::new(
        422,
        codes::NO_TRAINING_DATA,
        "The version has no training data to compute feature impact on.",
        "Assign a dataset with PUT …/training-data (or on the version page), then try again.",
    )
}

/// The training data lacks inputs the version's signature names: every permutation would fail.
fn columns_missing(dataset: &str, missing: &[&str]) -> ApiError {
    let quoted: Vec<String> = missing.iter().map(|c| format!("'{c}'")).collect();
    ApiError::new(
        422,
        codes::DATASET_COLUMNS_MISSING,
        format!(
            "The training dataset '{dataset}' lacks {} the model's signature names as \
             {}: {}.",
            if missing.len() == 1 {
                "a column"
            } else {
                "columns"
            },
            if missing.len() == 1 {
                "an input"
            } else {
                "inputs"
            },
            quoted.join(", ")
        ),
        "Assign training data that has every input column of the signature (PUT …/training-data), \
         or upload a version whose MLmodel or ONNX file names the dataset's columns.",
    )
}

/// Checks everything that can be checked now and queues the job; answers its id.
pub async fn start(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    request: &FeatureImpactRequest,
) -> AppResult<String> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "compute feature impact of this model")?;
    let version = find_version(&state.db, &model, reference).await?;
    let (target_type, target): (Option<String>, String) =
        sqlx::query_as("SELECT target_type, target_name FROM models WHERE id = $1")
            .bind(&model.id)
            .fetch_one(&state.db)
            .await?;
    let task = task_of(target_type.as_deref())?;
    let dataset = datasets::training_data_of(&state.db, &version.id)
        .await?
        .ok_or_else(no_training_data)?;
    let row_count = resolve_row_count(request.row_count, dataset.row_count)?;
    if let Some(signature) = version.signature() {
        let columns: Vec<&str> = dataset.columns.iter().map(|c| c.name.as_str()).collect();
        let missing = signature.missing_columns(&columns);
        if !missing.is_empty() {
            return Err(columns_missing(&dataset.name, &missing).into());
        }
    }
    let backend = match request.prediction_url.as_deref() {
        Some(raw) => {
            let url = remote::validate_url(raw).map_err(|e| {
                ApiError::invalid(
                    "prediction_url",
                    codes::INVALID_PREDICTION_URL,
                    e.to_string(),
                    "Give the prediction server's base URL, e.g. http://127.0.0.1:6789 or \
                     http://models.internal:8080/my-model.",
                )
            })?;
            let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
            let port = url.port_or_known_default().unwrap_or(0);
            if !prediction_host_allowed(&host, port, &state.settings.prediction_hosts) {
                return Err(ApiError::invalid(
                    "prediction_url",
                    codes::PREDICTION_HOST_NOT_ALLOWED,
                    format!("This server does not call prediction servers on '{host}'."),
                    "Ask an admin to add the host to MODELYARD_PREDICTION_HOSTS.",
                )
                .into());
            }
            Backend::Server {
                url: url.to_string(),
            }
        }
        None => onnx_backend(state, &version.id).await?,
    };
    let params = RunParams {
        version_id: version.id.clone(),
        dataset_id: dataset.id.clone(),
        target,
        task: task.as_str().to_owned(),
        row_count,
        seed: request.seed.unwrap_or(DEFAULT_SEED),
        backend,
        requested_by: caller.user_id.clone(),
    };
    let params = serde_json::to_value(&params).map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .jobs
        .enqueue(
            KIND,
            Some(&version_subject(&version.id)),
            params,
            Some(&caller.user_id),
        )
        .await
}

/// The newest feature-impact job of a version, for its page.
pub async fn latest_job(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
    reference: &str,
) -> AppResult<Option<Job>> {
    let model = find_model(&state.db, caller, model_key).await?;
    let version = find_version(&state.db, &model, reference).await?;
    state
        .jobs
        .latest_for(KIND, &version_subject(&version.id))
        .await
}

/// The job kind the workers run.
pub struct FeatureImpactJob {
    pool: AnyPool,
    blobs: BlobStore,
    limits: RunnerLimits,
}

impl FeatureImpactJob {
    pub fn new(pool: AnyPool, blobs: BlobStore, limits: RunnerLimits) -> Self {
        Self {
            pool,
            blobs,
            limits,
        }
    }

    async fn predictor(
        &self,
        backend: &Backend,
        class_labels: Vec<String>,
        stop: StopSignal,
    ) -> Result<Arc<dyn Predictor>, JobError> {
        match backend {
            Backend::Onnx { path, sha256 } => {
                let unreadable =
                    |e| JobError::Failed(format!("The model file '{path}' cannot be read: {e}."));
                let file = self.blobs.local_file(sha256).await.map_err(unreadable)?;
                let limits = self.limits.clone();
                // One process for each thread that shuffles features at the same time.
                let processes = engine::worker_threads();
                // `file` moves along, so a cached copy stays while the model's processes read it.
                let opened = tokio::task::spawn_blocking(move || {
                    runner::open_many(file.path(), &limits, processes)
                })
                .await
                .map_err(|e| JobError::Failed(format!("Loading the model failed: {e}")))?;
                let model = opened
                    .model
                    .map_err(|e| JobError::Failed(format!("{e} {}", e.solution())))?;
                Ok(Arc::new(model))
            }
            Backend::Server { url } => {
                let options = RemoteOptions {
                    class_labels,
                    stop: Some(stop),
                    ..RemoteOptions::default()
                };
                let remote = RemotePredictor::connect(url, options)
                    .await
                    .map_err(|e| JobError::Failed(format!("{e} {}", e.solution())))?;
                Ok(Arc::new(remote))
            }
        }
    }

    async fn run_job(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let params: RunParams = serde_json::from_value(ctx.params.clone())
            .map_err(|e| JobError::Failed(format!("The job's parameters cannot be read: {e}")))?;
        let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM versions WHERE id = $1")
            .bind(&params.version_id)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Err(JobError::Failed(
                "The version was deleted before feature impact was computed.".to_owned(),
            ));
        }
        let dataset = datasets::load(&self.pool, &params.dataset_id)
            .await
            .map_err(JobError::from)?;
        ctx.log(format!(
            "Sampling {} of {} rows of '{}' (seed {}), target '{}'.",
            params.row_count, dataset.row_count, dataset.name, params.seed, params.target
        ))
        .await?;
        ctx.log(format!("Predictions from {}.", params.backend.describe()))
            .await?;
        let task = Task::from_target_type(&params.task).ok_or_else(|| {
            JobError::Failed(format!("'{}' models have no feature impact.", params.task))
        })?;
        let data = self.blobs.local_file(&dataset.sha256).await.map_err(|e| {
            JobError::Failed(format!(
                "The training data '{}' cannot be read: {e}.",
                dataset.name
            ))
        })?;
        let settings = Settings {
            row_count: usize::try_from(params.row_count).unwrap_or(usize::MAX),
            seed: params.seed,
            n_repeats: REPEATS,
        };
        let target = params.target.clone();
        // `data` moves along, so a cached copy stays while it is read.
        let table = tokio::task::spawn_blocking(move || {
            engine::read_table(data.path(), &target, task, &settings)
        })
        .await
        .map_err(|e| JobError::Failed(format!("Reading the training data stopped: {e}")))?
        .map_err(|e| JobError::Failed(format!("{e} {}", e.solution())))?;
        ctx.log(table.summary()).await?;
        let predictor = self
            .predictor(
                &params.backend,
                table.class_labels().to_vec(),
                ctx.stop_signal(),
            )
            .await?;
        ctx.checkpoint()?;
        let stop = ctx.stop_signal();
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Progress>();
        let work = tokio::task::spawn_blocking(move || {
            let should_stop = || stop.is_set();
            engine::compute_until(
                &*predictor,
                &table,
                &settings,
                &should_stop,
                &mut |progress| {
                    let _ = sender.send(progress);
                    ControlFlow::Continue(())
                },
            )
        });
        // Progress and log lines are written as the computation reports them.
        while let Some(progress) = receiver.recv().await {
            ctx.log(progress.message.clone()).await?;
            // Cancellation is seen by the computation through the flag; progress only records.
            let _ = ctx.progress(progress.fraction).await;
        }
        let computed = work
            .await
            .map_err(|e| JobError::Failed(format!("The computation stopped unexpectedly: {e}")))?
            .map_err(|e| {
                if e.is_canceled() {
                    JobError::Canceled
                } else {
                    JobError::Failed(format!("{e} {}", e.solution()))
                }
            })?;
        ctx.checkpoint()?;
        let top = computed.items.first().map(|i| i.feature_name.clone());
        let features = computed.items.len();
        let record = FeatureImpactRecord {
            method: ImpactMethod::Permutation,
            shap_based: false,
            dataset_id: Some(params.dataset_id.clone()),
            row_count: Some(computed.row_count as u64),
            ran_redundancy_detection: computed.ran_redundancy_detection,
            metric: Some(computed.metric.to_owned()),
            base_score: Some(computed.base_score),
            backend: Some(params.backend.describe()),
            items: computed.items,
            job_id: Some(ctx.id.clone()),
            computed_by: Some(params.requested_by.clone()),
        };
        let mut tx = crate::server::db::begin_write(&self.pool).await?;
        results::store(&mut tx, &params.version_id, record)
            .await
            .map_err(JobError::from)?;
        audit::record(
            &mut tx,
            Some(&params.requested_by),
            "feature_impact.compute",
            &format!("version:{}", params.version_id),
            json!({"dataset_id": params.dataset_id, "row_count": computed.row_count,
                   "metric": computed.metric, "backend": params.backend.describe()}),
        )
        .await
        .map_err(JobError::from)?;
        tx.commit().await?;
        ctx.log(format!(
            "Done: {features} features, {} {:.6} before shuffling{}.",
            computed.metric,
            computed.base_score,
            top.as_deref()
                .map(|t| format!("; most important: {t}"))
                .unwrap_or_default()
        ))
        .await?;
        Ok(json!({
            "version_id": params.version_id,
            "features": features,
            "top_feature": top,
            "metric": computed.metric,
            "base_score": computed.base_score,
            "row_count": computed.row_count,
        }))
    }
}

impl JobKind for FeatureImpactJob {
    fn name(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext) -> JobFuture<'a> {
        Box::pin(self.run_job(ctx))
    }
}
