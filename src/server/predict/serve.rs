//! `modelyard serve-predictions`: serves an ONNX model over the custom-model protocol (see
//! [`super::remote`]), so feature impact can be computed against a prediction server without
//! Python, in tests, demos, or next to a model Modelyard cannot run in-process.
//!
//! - `GET {prefix}/` answers 200 `{"message": "OK"}`.
//! - `POST {prefix}/predict_no_state/` takes `{"X": {"column": [values]}}`. The columns are
//!   given to the model **in the order they are sent** (an ONNX model has no column names);
//!   values are numbers, `null` (missing) or numbers written as text. It answers
//!   `{"predictions": [...]}`: numbers for a regressor, `{label: probability}` objects for a
//!   classifier.
//! - Errors answer 400 (not JSON) or 422 (does not fit the model) with `{"message": "…"}`.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::domain::dataset::{as_number, is_missing};
use crate::server::error::AppError;

use super::{Features, OnnxModel, PredictError, Predictions, Predictor, Task};

/// Largest request body accepted: 5000 rows of a few hundred columns fit easily.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024 * 1024;

#[derive(Clone, Debug, clap::Args)]
pub struct ServePredictionsArgs {
    /// The ONNX model to serve.
    #[arg(long)]
    pub model: PathBuf,
    /// Class labels in the order of the model's probability columns, comma-separated (by
    /// default the labels the model file names, else 0, 1, …). Naming two classes makes a model
    /// with one output column a binary classifier (the output is the second class's
    /// probability).
    #[arg(long, value_delimiter = ',')]
    pub classes: Vec<String>,
    /// Address to listen on; port 0 picks a free port. The base URL is printed on standard
    /// output.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Path prefix of the endpoints.
    #[arg(long, default_value = "/")]
    pub prefix: String,
}

/// A model and how to present its predictions.
pub struct PredictionService {
    model: Arc<dyn Predictor>,
    /// Empty for a regressor.
    labels: Vec<String>,
}

impl PredictionService {
    /// Serves `model`. `labels` names the classes of a classifier, in the order of its
    /// probability columns; empty for a regressor.
    pub fn new(model: Arc<dyn Predictor>, labels: Vec<String>) -> Self {
        Self { model, labels }
    }

    /// Serves an ONNX model; labels as for `--classes` (see [`ServePredictionsArgs`]). Runs one
    /// prediction so that a wrong number of labels is reported now rather than per request.
    pub fn onnx(model: OnnxModel, classes: Vec<String>) -> Result<Self, PredictError> {
        let n_features = model.n_features();
        let labels = if !classes.is_empty() {
            classes
        } else if model.task() == Task::Classification {
            model.info().class_labels.clone()
        } else {
            Vec::new()
        };
        let names: Vec<String> = (0..n_features).map(|i| format!("f{i}")).collect();
        let zeros = [0.0];
        let probe = model.predict(&Features::new(&names, vec![&zeros[..]; n_features])?)?;
        let n_classes = match probe {
            Predictions::Values(_) if labels.is_empty() => 0,
            Predictions::Values(_) | Predictions::PositiveProbability(_) => 2,
            Predictions::ClassProbabilities { n_classes, .. } => n_classes,
        };
        let labels = if n_classes > 0 && labels.is_empty() {
            (0..n_classes).map(|i| i.to_string()).collect()
        } else {
            labels
        };
        if labels.len() != n_classes {
            return Err(PredictError::UnsupportedModel(format!(
                "the model predicts {} classes, but {} labels were given ({})",
                n_classes.max(1),
                labels.len(),
                labels.join(", ")
            )));
        }
        Ok(Self::new(Arc::new(model), labels))
    }
}

/// The two endpoints under `prefix` (e.g. `/` or `/models/churn`).
pub fn router(service: PredictionService, prefix: &str) -> Router {
    let prefix = prefix.trim().trim_end_matches('/');
    let prefix = if prefix.is_empty() || prefix.starts_with('/') {
        prefix.to_owned()
    } else {
        format!("/{prefix}")
    };
    Router::new()
        .route(&format!("{prefix}/"), get(ready))
        .route(&format!("{prefix}/predict_no_state/"), post(predict))
        .route(&format!("{prefix}/predict_no_state"), post(predict))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(Arc::new(service))
}

/// `modelyard serve-predictions`: loads the model, listens, prints the base URL on standard
/// output, and serves until `shutdown` resolves.
pub async fn run(
    args: ServePredictionsArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    let bytes = tokio::fs::read(&args.model)
        .await
        .map_err(|e| AppError::Internal(format!("cannot read {}: {e}", args.model.display())))?;
    let service = tokio::task::spawn_blocking(move || {
        OnnxModel::load(&bytes).and_then(|model| {
            let n_features = model.n_features();
            PredictionService::onnx(model, args.classes).map(|s| (s, n_features))
        })
    })
    .await
    .map_err(|e| AppError::Internal(format!("loading the model stopped: {e}")))?;
    let (service, n_features) =
        service.map_err(|e| AppError::Api(crate::domain::error::ApiError::from(e)))?;
    let kind = if service.labels.is_empty() {
        "regression".to_owned()
    } else {
        format!("classes {}", service.labels.join(", "))
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| AppError::Internal(format!("cannot listen on {}: {e}", args.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| AppError::Internal(format!("cannot read the listening address: {e}")))?;
    let prefix = args.prefix.trim().trim_matches('/');
    let base = if prefix.is_empty() {
        format!("http://{address}/")
    } else {
        format!("http://{address}/{prefix}/")
    };
    tracing::info!(
        "serving {} ({n_features} features, {kind}) at {base}",
        args.model.display()
    );
    println!("{base}");
    axum::serve(listener, router(service, &args.prefix))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| AppError::Internal(format!("server error: {e}")))
}

async fn ready() -> Response {
    (StatusCode::OK, axum::Json(json!({"message": "OK"}))).into_response()
}

async fn predict(State(service): State<Arc<PredictionService>>, body: Bytes) -> Response {
    match answer(service, body).await {
        Ok(predictions) => (
            StatusCode::OK,
            axum::Json(json!({ "predictions": predictions })),
        )
            .into_response(),
        Err((status, message)) => {
            tracing::debug!(%status, message, "prediction request refused");
            (status, axum::Json(json!({ "message": message }))).into_response()
        }
    }
}

async fn answer(
    service: Arc<PredictionService>,
    body: Bytes,
) -> Result<Vec<Value>, (StatusCode, String)> {
    let request: PredictRequest = serde_json::from_slice(&body).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("The body is not a prediction request {{\"X\": {{column: [values]}}}}: {e}"),
        )
    })?;
    let columns = request.x.0;
    let unfit = |message: String| (StatusCode::UNPROCESSABLE_ENTITY, message);
    let n_rows = columns.first().map_or(0, |(_, cells)| cells.len());
    let mut names = Vec::with_capacity(columns.len());
    let mut values = Vec::with_capacity(columns.len());
    for (name, cells) in columns {
        if cells.len() != n_rows {
            return Err(unfit(format!(
                "Column '{name}' has {} values, the first column has {n_rows}.",
                cells.len()
            )));
        }
        let numbers = cells
            .into_iter()
            .map(|cell| match cell {
                None => Ok(f64::NAN),
                Some(Cell::Number(n)) => Ok(n),
                Some(Cell::Text(t)) if is_missing(&t) => Ok(f64::NAN),
                Some(Cell::Text(t)) => as_number(&t).ok_or_else(|| {
                    unfit(format!(
                        "Column '{name}' holds the text '{}'; this model takes numbers only.",
                        t.chars().take(60).collect::<String>()
                    ))
                }),
            })
            .collect::<Result<Vec<f64>, _>>()?;
        names.push(name);
        values.push(numbers);
    }
    let model = Arc::clone(&service.model);
    let predictions = tokio::task::spawn_blocking(move || {
        let columns = values.iter().map(Vec::as_slice).collect();
        let features = Features::new(&names, columns)?;
        model.predict(&features)
    })
    .await
    .map_err(|e| {
        tracing::error!("prediction task failed: {e}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The prediction failed.".to_owned(),
        )
    })?
    .map_err(|e| unfit(e.to_string()))?;
    Ok(present(&service.labels, predictions))
}

/// Predictions as the protocol answers them.
fn present(labels: &[String], predictions: Predictions) -> Vec<Value> {
    let object = |probabilities: &[f64]| {
        let map: Map<String, Value> = labels
            .iter()
            .zip(probabilities)
            .map(|(label, p)| (label.clone(), json!(p)))
            .collect();
        Value::Object(map)
    };
    match predictions {
        Predictions::Values(values) if labels.is_empty() => {
            values.into_iter().map(|v| json!(v)).collect()
        }
        Predictions::Values(p) | Predictions::PositiveProbability(p) => {
            p.into_iter().map(|p| object(&[1.0 - p, p])).collect()
        }
        Predictions::ClassProbabilities {
            n_classes,
            probabilities,
        } => probabilities.chunks_exact(n_classes).map(object).collect(),
    }
}

#[derive(Deserialize)]
struct PredictRequest {
    #[serde(rename = "X")]
    x: OrderedColumns,
}

/// The request's columns in the order they were sent (a JSON object read into a map would
/// lose it).
struct OrderedColumns(Vec<(String, Vec<Option<Cell>>)>);

#[derive(Deserialize)]
#[serde(untagged)]
enum Cell {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for OrderedColumns {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ColumnsVisitor;
        impl<'de> Visitor<'de> for ColumnsVisitor {
            type Value = OrderedColumns;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of columns, {\"name\": [values]}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedColumns, A::Error> {
                let mut columns = Vec::new();
                while let Some(entry) = map.next_entry::<String, Vec<Option<Cell>>>()? {
                    columns.push(entry);
                }
                Ok(OrderedColumns(columns))
            }
        }
        deserializer.deserialize_map(ColumnsVisitor)
    }
}
