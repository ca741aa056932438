//! Predictions from a prediction server speaking the custom-model protocol, for models in any
//! language:
//!
//! - `GET {prefix}/` answers 200 when the server is ready;
//! - `POST {prefix}/predict_no_state/` with `{"X": {"column": [values, …], …}}` (columns in the
//!   training data's order, target left out) answers `{"predictions": [...]}`, one per row:
//!   a number (a regression value, or for a binary model the positive class's probability) or
//!   an object of class probabilities `{"label": probability, …}`, matched to the classes by
//!   label.
//!
//! Numeric cells are sent as numbers (missing ones as `null`), categorical and text cells as
//! strings. Rows go in batches of [`DEFAULT_BATCH_ROWS`], one request at a time per calling
//! thread. The [`Predictor`] trait is synchronous: `predict` waits on the async HTTP client
//! through the runtime handle taken at [`RemotePredictor::connect`], so it must be called from
//! a blocking thread (`spawn_blocking` or a plain thread), never from async code.
//!
//! A URL may carry credentials (sent as HTTP basic auth); they and the query string are left
//! out of every message and log line.

use crate::server::jobs::StopSignal;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq};
use serde_json::Value;

use super::{Features, PredictError, Predictions, Predictor};

/// Rows per request: large enough that a request's overhead does not matter, small enough that
/// a request with a few hundred columns stays within a few tens of MiB.
pub const DEFAULT_BATCH_ROWS: usize = 5000;
/// Time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for one request, answer included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest answer read from the server.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// Characters of an unexpected answer quoted in an error.
const SNIPPET_CHARS: usize = 300;

/// How to talk to the server and read its answers.
#[derive(Clone, Debug)]
pub struct RemoteOptions {
    /// The classes in the order predictions are reported: empty for regression, two for a
    /// binary model (the second is the positive class), more for multiclass. Feature impact
    /// passes the training table's `class_labels()`.
    pub class_labels: Vec<String>,
    pub batch_rows: usize,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_response_bytes: usize,
    /// Checked between batches: once set, no further batch is sent.
    pub stop: Option<StopSignal>,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        Self {
            class_labels: Vec::new(),
            batch_rows: DEFAULT_BATCH_ROWS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            stop: None,
        }
    }
}

/// A prediction server, checked ready.
pub struct RemotePredictor {
    predict_url: Url,
    shown: String,
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    options: RemoteOptions,
}

impl std::fmt::Debug for RemotePredictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemotePredictor")
            .field("url", &self.shown)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Checks a prediction server's base URL: http or https, with a host. Returns it with a
/// trailing slash, so the endpoints resolve below it.
pub fn validate_url(url: &str) -> Result<Url, PredictError> {
    let mut parsed = Url::parse(url.trim()).map_err(|e| {
        PredictError::InvalidUrl(format!("The prediction URL is not a valid URL ({e})."))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(PredictError::InvalidUrl(format!(
            "The prediction URL must start with http:// or https://, not {}://.",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(PredictError::InvalidUrl(
            "The prediction URL names no host.".to_owned(),
        ));
    }
    parsed.set_fragment(None);
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

/// The URL as shown in messages and logs: no credentials, no query.
pub fn shown_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

impl RemotePredictor {
    /// Checks the URL and that the server answers `GET {prefix}/` with 200. Keeps a handle on
    /// the current Tokio runtime for [`Predictor::predict`].
    pub async fn connect(url: &str, options: RemoteOptions) -> Result<Self, PredictError> {
        let base = validate_url(url)?;
        let shown = shown_url(&base);
        let predict_url = base.join("predict_no_state/").map_err(|e| {
            PredictError::InvalidUrl(format!("The prediction URL cannot be extended ({e})."))
        })?;
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("modelyard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PredictError::Server(format!("Cannot set up an HTTP client: {e}")))?;
        let predictor = Self {
            predict_url,
            shown,
            client,
            runtime: tokio::runtime::Handle::current(),
            options: RemoteOptions {
                batch_rows: options.batch_rows.max(1),
                ..options
            },
        };
        let response = predictor
            .client
            .get(base)
            .send()
            .await
            .map_err(|e| predictor.transport_error(&e))?;
        let status = response.status();
        if status != StatusCode::OK {
            let body = predictor.read_bounded(response).await.unwrap_or_default();
            return Err(PredictError::Unreachable(format!(
                "The prediction server at {} is not ready: it answered {status}{}.",
                predictor.shown,
                snippet(&body)
            )));
        }
        Ok(predictor)
    }

    /// The server's base URL without credentials or query, for logs.
    pub fn url(&self) -> &str {
        &self.shown
    }

    async fn post(&self, body: Vec<u8>) -> Result<Vec<u8>, PredictError> {
        let response = self
            .client
            .post(self.predict_url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let body = self.read_bounded(response).await?;
        if status != StatusCode::OK {
            return Err(PredictError::Server(format!(
                "The prediction server at {} answered {status} to POST predict_no_state/{}.",
                self.shown,
                snippet(&body)
            )));
        }
        Ok(body)
    }

    async fn read_bounded(&self, mut response: reqwest::Response) -> Result<Vec<u8>, PredictError> {
        let limit = self.options.max_response_bytes;
        let too_large = || {
            PredictError::Server(format!(
                "The prediction server at {} answered more than {limit} bytes.",
                self.shown
            ))
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport_error(&self, e: &reqwest::Error) -> PredictError {
        let cause = root_cause(e);
        if e.is_timeout() {
            let (what, limit) = if e.is_connect() {
                ("accept a connection", self.options.connect_timeout)
            } else {
                ("answer", self.options.request_timeout)
            };
            PredictError::Unreachable(format!(
                "The prediction server at {} did not {what} within {} s.",
                self.shown,
                limit.as_secs_f64()
            ))
        } else if e.is_connect() {
            PredictError::Unreachable(format!(
                "Could not connect to {}: {cause} — start the prediction server or check the URL.",
                self.shown
            ))
        } else {
            PredictError::Server(format!(
                "The request to the prediction server at {} failed: {cause}.",
                self.shown
            ))
        }
    }

    /// Turns one batch's answer into one entry per row.
    fn read_answer(&self, body: &[u8], rows: usize) -> Result<Vec<Answer>, PredictError> {
        let malformed = |why: String| {
            PredictError::Server(format!(
                "The prediction server at {} answered {why}{}.",
                self.shown,
                snippet(body)
            ))
        };
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| malformed(format!("with malformed JSON ({e})")))?;
        let Some(Value::Array(predictions)) = value.get("predictions") else {
            return Err(malformed("without a \"predictions\" list".to_owned()));
        };
        if predictions.len() != rows {
            return Err(PredictError::Server(format!(
                "The prediction server at {} answered {} predictions for {rows} rows.",
                self.shown,
                predictions.len()
            )));
        }
        predictions
            .iter()
            .enumerate()
            .map(|(row, p)| match p {
                Value::Number(n) => n
                    .as_f64()
                    .map(Answer::Number)
                    .ok_or_else(|| malformed(format!("{n} for row {}", row + 1))),
                Value::Object(map) => self.class_probabilities(map, row),
                other => Err(malformed(format!(
                    "{} for row {}, neither a number nor class probabilities",
                    shorten(&other.to_string()),
                    row + 1
                ))),
            })
            .collect()
    }

    /// A row's `{label: probability}` object in the order of the classes.
    fn class_probabilities(
        &self,
        map: &serde_json::Map<String, Value>,
        row: usize,
    ) -> Result<Answer, PredictError> {
        let labels = &self.options.class_labels;
        if labels.is_empty() {
            return Err(PredictError::Server(format!(
                "The prediction server at {} answered class probabilities, but the model's \
                 target type is regression.",
                self.shown
            )));
        }
        let named: Vec<String> = map.keys().map(|k| format!("'{}'", shorten(k))).collect();
        let mismatch = || {
            PredictError::Server(format!(
                "The prediction server at {} answered probabilities for the classes {} in row \
                 {}; the training data's classes are {}.",
                self.shown,
                named.join(", "),
                row + 1,
                labels
                    .iter()
                    .map(|l| format!("'{}'", shorten(l)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        };
        if map.len() != labels.len() {
            return Err(mismatch());
        }
        labels
            .iter()
            .map(|label| {
                let value = map.get(label).or_else(|| {
                    // `1` and `1.0` name the same class.
                    let number = label.trim().parse::<f64>().ok()?;
                    map.iter()
                        .find(|(k, _)| k.trim().parse::<f64>().ok() == Some(number))
                        .map(|(_, v)| v)
                });
                value.and_then(Value::as_f64).ok_or_else(mismatch)
            })
            .collect::<Result<Vec<f64>, _>>()
            .map(Answer::Probabilities)
    }

    /// Assembles the rows' answers into predictions of the kind the classes call for.
    fn predictions(&self, answers: Vec<Answer>) -> Result<Predictions, PredictError> {
        let n_classes = self.options.class_labels.len();
        let mixed = || {
            PredictError::Server(format!(
                "The prediction server at {} answered numbers for some rows and class \
                 probabilities for others.",
                self.shown
            ))
        };
        match n_classes {
            0 => answers
                .into_iter()
                .map(|a| match a {
                    Answer::Number(v) => Ok(v),
                    Answer::Probabilities(_) => Err(mixed()),
                })
                .collect::<Result<Vec<f64>, _>>()
                .map(Predictions::Values),
            2 => answers
                .into_iter()
                .map(|a| match a {
                    Answer::Number(p) => Ok(p),
                    Answer::Probabilities(ps) => Ok(ps[1]),
                })
                .collect::<Result<Vec<f64>, _>>()
                .map(Predictions::PositiveProbability),
            _ => {
                let mut probabilities = Vec::with_capacity(answers.len() * n_classes);
                for answer in answers {
                    match answer {
                        Answer::Probabilities(ps) => probabilities.extend(ps),
                        Answer::Number(_) => {
                            return Err(PredictError::Server(format!(
                                "The prediction server at {} answered one number per row; a \
                                 multiclass model must answer {{label: probability}} objects.",
                                self.shown
                            )));
                        }
                    }
                }
                Ok(Predictions::ClassProbabilities {
                    n_classes,
                    probabilities,
                })
            }
        }
    }
}

enum Answer {
    Number(f64),
    Probabilities(Vec<f64>),
}

impl Predictor for RemotePredictor {
    fn predict(&self, features: &Features<'_>) -> Result<Predictions, PredictError> {
        let n_rows = features.n_rows();
        let mut answers = Vec::with_capacity(n_rows);
        let mut start = 0;
        while start < n_rows {
            if self.options.stop.as_ref().is_some_and(StopSignal::is_set) {
                return Err(PredictError::Server(
                    "Stopped before the next batch: the work was canceled.".to_owned(),
                ));
            }
            let end = (start + self.options.batch_rows).min(n_rows);
            let body = serde_json::to_vec(&Batch {
                features,
                start,
                end,
            })
            .map_err(|e| PredictError::Server(format!("Cannot write the request: {e}")))?;
            let answer = self.runtime.block_on(self.post(body))?;
            answers.extend(self.read_answer(&answer, end - start)?);
            start = end;
        }
        self.predictions(answers)
    }

    fn accepts_text(&self) -> bool {
        true
    }
}

/// Rows `start..end` as `{"X": {"column": [values]}}`.
struct Batch<'f, 'a> {
    features: &'f Features<'a>,
    start: usize,
    end: usize,
}

impl Serialize for Batch<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut top = serializer.serialize_map(Some(1))?;
        top.serialize_entry("X", &Columns(self))?;
        top.end()
    }
}

struct Columns<'b, 'f, 'a>(&'b Batch<'f, 'a>);

impl Serialize for Columns<'_, '_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let batch = self.0;
        let features = batch.features;
        let mut map = serializer.serialize_map(Some(features.columns().len()))?;
        for (index, (name, column)) in features.names().iter().zip(features.columns()).enumerate() {
            map.serialize_entry(
                name,
                &Cells {
                    values: &column[batch.start..batch.end],
                    categories: features.categories(index),
                },
            )?;
        }
        map.end()
    }
}

struct Cells<'c> {
    values: &'c [f64],
    categories: Option<&'c [String]>,
}

impl Serialize for Cells<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.values.len()))?;
        for &value in self.values {
            if !value.is_finite() {
                seq.serialize_element(&None::<f64>)?;
            } else if let Some(categories) = self.categories {
                seq.serialize_element(&categories.get(value as usize))?;
            } else {
                seq.serialize_element(&value)?;
            }
        }
        seq.end()
    }
}

/// The innermost error's message, without the OS error number: "connection refused".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let message = inner.to_string();
    let message = match message.find(" (os error") {
        Some(at) => &message[..at],
        None => &message,
    };
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown error".to_owned(),
    }
}

/// ": <the start of the body>" for an error message, or nothing for an empty body.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        String::new()
    } else {
        format!(": {}", shorten(&text))
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= SNIPPET_CHARS {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(SNIPPET_CHARS).collect::<String>())
    }
}
