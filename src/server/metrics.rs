//! What operators watch: `GET /metrics` in the Prometheus text format (requests by route
//! template, method and status with their latencies, jobs, stored bytes, the database pool),
//! guarded as `--metrics` says; and, in [`request`], a request id and one log line for every
//! request.
//!
//! Figures are kept in memory behind short-lived locks (never held across an await) and read by
//! the scrape; what lives in the database (queued jobs, stored bytes) is read by the scrape, the
//! stored bytes at most every [`STORED_FIGURES_TTL`].

pub mod exposition;
pub mod request;

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use exposition::{Exposition, Histogram, JOB_BUCKETS, REQUEST_BUCKETS};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long the stored-bytes figures read from the database are reused by later scrapes.
pub const STORED_FIGURES_TTL: Duration = Duration::from_secs(30);

/// Who may read `GET /metrics` (`--metrics`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsMode {
    /// Not served: `GET /metrics` answers 404.
    #[default]
    Off,
    /// Anyone who can reach the server.
    Public,
    /// Only scrapes sending `Authorization: Bearer <--metrics-token>`.
    Token,
}

/// The secret a scrape sends in token mode (`--metrics-token`): 16 to 256 visible ASCII
/// characters. `Debug` never shows it.
#[derive(Clone)]
pub struct MetricsToken(String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

impl std::str::FromStr for MetricsToken {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let visible = s.bytes().all(|b| b.is_ascii_graphic());
        if (16..=256).contains(&s.len()) && visible {
            Ok(Self(s.to_owned()))
        } else {
            Err(
                "the metrics token must be 16 to 256 visible ASCII characters without spaces \
                 (for example the output of `openssl rand -hex 32`)"
                    .to_owned(),
            )
        }
    }
}

/// How a scrape is let in; in token mode only the token's SHA-256 is kept.
#[derive(Clone)]
enum Access {
    Off,
    Public,
    Token([u8; 32]),
}

impl Access {
    fn new(mode: MetricsMode, token: Option<&MetricsToken>) -> Self {
        match (mode, token) {
            (MetricsMode::Off, _) => Self::Off,
            (MetricsMode::Public, _) => Self::Public,
            (MetricsMode::Token, Some(token)) => Self::Token(Sha256::digest(&token.0).into()),
            // The command line requires a token with this mode; without one nobody gets in.
            (MetricsMode::Token, None) => Self::Token(rand::random()),
        }
    }

    /// Compared through digests and without stopping at the first difference, so the time an
    /// answer takes says nothing about the token.
    fn admits(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let expected = match self {
            Self::Off => return Err(metrics_off()),
            Self::Public => return Ok(()),
            Self::Token(digest) => digest,
        };
        let sent = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty());
        let Some(sent) = sent else {
            return Err(ApiError::new(
                401,
                codes::NOT_AUTHENTICATED,
                "Reading the metrics needs the metrics token.",
                "Send `Authorization: Bearer <token>` with the token the server was started with (--metrics-token).",
            ));
        };
        let digest: [u8; 32] = Sha256::digest(sent.as_bytes()).into();
        let differs = digest
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs == 0 {
            Ok(())
        } else {
            Err(ApiError::new(
                401,
                codes::INVALID_TOKEN,
                "The metrics token is wrong.",
                "Send the token the server was started with (--metrics-token or MODELYARD_METRICS_TOKEN).",
            ))
        }
    }
}

fn metrics_off() -> ApiError {
    ApiError::new(
        404,
        codes::NOT_FOUND,
        "Metrics are off on this server.",
        "Start the server with --metrics token --metrics-token <secret> (or --metrics public) to serve them.",
    )
}

/// The request figures of one route template, method and status.
struct RequestSeries {
    method: &'static str,
    status: u16,
    latency: Histogram,
}

/// Figures this process keeps. Shared by the request layer, the workers and the scrape.
pub struct Metrics {
    access: Access,
    /// By route label, then a short list of (method, status): looked up without allocating.
    requests: Mutex<HashMap<Arc<str>, Vec<RequestSeries>>>,
    in_flight: AtomicI64,
    stored: Mutex<Option<(Instant, StoredFigures)>>,
}

impl Metrics {
    pub fn new(mode: MetricsMode, token: Option<&MetricsToken>) -> Self {
        Self {
            access: Access::new(mode, token),
            requests: Mutex::default(),
            in_flight: AtomicI64::new(0),
            stored: Mutex::default(),
        }
    }

    /// Off: nothing is recorded and `GET /metrics` answers 404.
    pub fn off() -> Self {
        Self::new(MetricsMode::Off, None)
    }

    pub fn enabled(&self) -> bool {
        !matches!(self.access, Access::Off)
    }

    fn record_request(&self, route: &str, method: &'static str, status: u16, elapsed: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        if !requests.contains_key(route) {
            requests.insert(Arc::from(route), Vec::new());
        }
        let Some(list) = requests.get_mut(route) else {
            return;
        };
        let seconds = elapsed.as_secs_f64();
        match list
            .iter_mut()
            .find(|s| s.method == method && s.status == status)
        {
            Some(series) => series.latency.observe(seconds),
            None => {
                let mut latency = Histogram::new(REQUEST_BUCKETS);
                latency.observe(seconds);
                list.push(RequestSeries {
                    method,
                    status,
                    latency,
                });
            }
        }
    }

    /// A copy of the request figures, sorted, so the lock is held only while copying.
    fn request_snapshot(&self) -> Vec<(Arc<str>, &'static str, u16, Histogram)> {
        let mut rows: Vec<_> = {
            let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
            requests
                .iter()
                .flat_map(|(route, list)| {
                    list.iter()
                        .map(|s| (route.clone(), s.method, s.status, s.latency.clone()))
                })
                .collect()
        };
        rows.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
        rows
    }

    /// The stored-bytes figures, read again from the database once they are older than
    /// [`STORED_FIGURES_TTL`].
    async fn stored_figures(&self, db: &AnyPool) -> Option<StoredFigures> {
        let cached = *self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, figures)) = cached
            && at.elapsed() < STORED_FIGURES_TTL
        {
            return Some(figures);
        }
        let read: Result<(i64, i64), sqlx::Error> =
            sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs")
                .fetch_one(db)
                .await;
        match read {
            Ok((blobs, bytes)) => {
                let figures = StoredFigures { blobs, bytes };
                *self.stored.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some((Instant::now(), figures));
                Some(figures)
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot read the stored bytes");
                cached.map(|(_, figures)| figures)
            }
        }
    }
}

/// What the blob store holds, as its rows in the database say (content-addressed: each
/// distinct content once).
#[derive(Clone, Copy, Debug)]
struct StoredFigures {
    blobs: i64,
    bytes: i64,
}

/// How long this process's jobs took, by kind and how they ended. Kept by the job runner.
#[derive(Default)]
pub struct JobDurations {
    by_kind: Mutex<HashMap<(&'static str, &'static str), Histogram>>,
}

impl JobDurations {
    /// `outcome` is `succeeded`, `failed`, `canceled` or `stopped` (the server stopped it).
    pub fn record(&self, kind: &'static str, outcome: &'static str, elapsed: Duration) {
        let mut by_kind = self.by_kind.lock().unwrap_or_else(PoisonError::into_inner);
        by_kind
            .entry((kind, outcome))
            .or_insert_with(|| Histogram::new(JOB_BUCKETS))
            .observe(elapsed.as_secs_f64());
    }

    /// How many jobs of `kind` ended with `outcome`.
    pub fn count(&self, kind: &str, outcome: &str) -> u64 {
        let by_kind = self.by_kind.lock().unwrap_or_else(PoisonError::into_inner);
        by_kind
            .iter()
            .filter(|((k, o), _)| *k == kind && *o == outcome)
            .map(|(_, h)| h.count())
            .sum()
    }

    fn snapshot(&self) -> Vec<((&'static str, &'static str), Histogram)> {
        let mut rows: Vec<_> = {
            let by_kind = self.by_kind.lock().unwrap_or_else(PoisonError::into_inner);
            by_kind.iter().map(|(k, h)| (*k, h.clone())).collect()
        };
        rows.sort_by_key(|(key, _)| *key);
        rows
    }
}

/// What a scrape reads: this process's figures, the database, and the jobs it runs. Made from
/// the app state for `GET /metrics`.
#[derive(Clone)]
pub struct MetricsSources {
    pub metrics: Arc<Metrics>,
    pub db: AnyPool,
    pub job_durations: Arc<JobDurations>,
    /// Every job kind this build runs, so each has its queue figures even when none is queued.
    pub job_kinds: Vec<&'static str>,
}

/// `GET /metrics`.
pub async fn scrape(State(sources): State<MetricsSources>, headers: HeaderMap) -> Response {
    if let Err(error) = sources.metrics.access.admits(&headers) {
        let unauthorized = error.status == 401;
        let mut response = crate::server::error::error_response(error);
        if unauthorized {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return response;
    }
    let text = render(&sources).await;
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(exposition::CONTENT_TYPE),
        )],
        text,
    )
        .into_response()
}

async fn render(sources: &MetricsSources) -> String {
    let metrics = &sources.metrics;
    let mut out = Exposition::default();

    out.family(
        "modelyard_build_info",
        "gauge",
        "The running build; the value is always 1.",
    );
    out.sample(
        "modelyard_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1,
    );

    let requests = metrics.request_snapshot();
    out.family(
        "modelyard_http_requests_total",
        "counter",
        "Requests answered, by route template, method and status.",
    );
    for (route, method, status, latency) in &requests {
        let status = status.to_string();
        let labels = [
            ("route", &**route),
            ("method", *method),
            ("status", &status),
        ];
        out.sample("modelyard_http_requests_total", &labels, latency.count());
    }
    out.family(
        "modelyard_http_request_duration_seconds",
        "histogram",
        "Time from receiving a request to its response headers, by route template, method and status.",
    );
    for (route, method, status, latency) in &requests {
        let status = status.to_string();
        let labels = [
            ("route", &**route),
            ("method", *method),
            ("status", &status),
        ];
        out.histogram("modelyard_http_request_duration_seconds", &labels, latency);
    }
    out.family(
        "modelyard_http_requests_in_flight",
        "gauge",
        "Requests being answered now.",
    );
    out.sample(
        "modelyard_http_requests_in_flight",
        &[],
        metrics.in_flight.load(Ordering::Relaxed),
    );

    match job_queue(&sources.db).await {
        Ok(rows) => {
            out.family(
                "modelyard_jobs",
                "gauge",
                "Jobs queued or running, by kind, in every instance sharing the database.",
            );
            let mut kinds: Vec<&str> = sources.job_kinds.clone();
            kinds.extend(rows.iter().map(|(kind, _, _)| kind.as_str()));
            kinds.sort_unstable();
            kinds.dedup();
            for kind in kinds {
                for state in ["queued", "running"] {
                    let count = rows
                        .iter()
                        .find(|(k, s, _)| k == kind && s == state)
                        .map_or(0, |(_, _, n)| *n);
                    out.sample("modelyard_jobs", &[("kind", kind), ("state", state)], count);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the job queue"),
    }
    out.family(
        "modelyard_job_duration_seconds",
        "histogram",
        "How long the jobs this process ran took, by kind and outcome (succeeded, failed, canceled, stopped).",
    );
    for ((kind, outcome), histogram) in sources.job_durations.snapshot() {
        out.histogram(
            "modelyard_job_duration_seconds",
            &[("kind", kind), ("outcome", outcome)],
            &histogram,
        );
    }

    if let Some(stored) = metrics.stored_figures(&sources.db).await {
        out.family(
            "modelyard_stored_blobs",
            "gauge",
            "Distinct stored contents (files are stored once however many versions use them).",
        );
        out.sample("modelyard_stored_blobs", &[], stored.blobs);
        out.family(
            "modelyard_stored_bytes",
            "gauge",
            "Bytes the blob store holds, as the database records them.",
        );
        out.sample("modelyard_stored_bytes", &[], stored.bytes);
    }

    let pool = &sources.db;
    out.family(
        "modelyard_db_pool_connections",
        "gauge",
        "Open database connections of this process.",
    );
    out.sample("modelyard_db_pool_connections", &[], pool.size());
    out.family(
        "modelyard_db_pool_idle_connections",
        "gauge",
        "Open database connections waiting for work.",
    );
    out.sample("modelyard_db_pool_idle_connections", &[], pool.num_idle());
    out.family(
        "modelyard_db_pool_max_connections",
        "gauge",
        "The most connections the pool opens.",
    );
    out.sample(
        "modelyard_db_pool_max_connections",
        &[],
        pool.options().get_max_connections(),
    );

    // Webhook deliveries (attempts, outcomes, latency by event) belong here once webhooks exist.
    out.finish()
}

/// Queued and running jobs by kind; the `jobs_queue` index covers the filter.
async fn job_queue(db: &AnyPool) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, state, COUNT(*) FROM jobs WHERE state IN ('queued', 'running')
         GROUP BY kind, state",
    )
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn tokens_are_checked_and_never_shown() {
        let token: MetricsToken = "s3cret-scrape-token-123".parse().expect("a sane token");
        assert!(!format!("{token:?}").contains("s3cret"));
        let access = Access::new(MetricsMode::Token, Some(&token));
        assert!(
            access
                .admits(&bearer("Bearer s3cret-scrape-token-123"))
                .is_ok()
        );
        assert!(
            access
                .admits(&bearer("bearer s3cret-scrape-token-123"))
                .is_ok()
        );
        let wrong = access.admits(&bearer("Bearer s3cret-scrape-token-124"));
        assert!(wrong.expect_err("wrong").is(codes::INVALID_TOKEN));
        let none = access.admits(&HeaderMap::new());
        assert!(none.expect_err("none").is(codes::NOT_AUTHENTICATED));
        let off = Access::new(MetricsMode::Off, Some(&token)).admits(&HeaderMap::new());
        assert_eq!(off.expect_err("off").status, 404);
        assert!("short".parse::<MetricsToken>().is_err());
        assert!(
            "has a space in it, sixteen+"
                .parse::<MetricsToken>()
                .is_err()
        );
        assert!("x".repeat(257).parse::<MetricsToken>().is_err());
    }

    #[test]
    fn requests_are_counted_by_route_method_and_status() {
        let metrics = Metrics::new(MetricsMode::Public, None);
        metrics.record_request("/a/{x}", "GET", 200, Duration::from_millis(3));
        metrics.record_request("/a/{x}", "GET", 200, Duration::from_millis(30));
        metrics.record_request("/a/{x}", "GET", 404, Duration::from_millis(1));
        let rows = metrics.request_snapshot();
        let counts: Vec<(&str, u16, u64)> = rows
            .iter()
            .map(|(r, _, s, h)| (&**r, *s, h.count()))
            .collect();
        assert_eq!(counts, vec![("/a/{x}", 200, 2), ("/a/{x}", 404, 1)]);
    }
}
