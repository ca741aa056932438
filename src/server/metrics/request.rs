//! Every request gets an id (the client's `x-request-id` when it is sane, a new one otherwise),
//! returned in the `x-request-id` header and carried by a tracing span, so each log line a
//! request causes names it. When the request is answered one line says how (method, route,
//! status, duration), and its figures go to [`Metrics`].

use super::Metrics;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The route label of a request no route template matched: a file of the built site (the
/// fallback, or the bundles under `/pkg`, a nested service that axum names no template for), or
/// (4xx and 5xx) a path that does not exist. Route templates start with `/`; these do not.
const STATIC_ROUTE: &str = "static";
const UNMATCHED_ROUTE: &str = "unmatched";

/// The middleware: applied to every route (and the fallback) by the router, so the matched
/// route template is known.
pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    // A shared string inside: cloning it allocates nothing.
    let template = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    // The path without its query: a query may carry a secret (the setup link's token).
    let span = tracing::info_span!(
        "request",
        request_id = %id.to_str().unwrap_or_default(),
        method,
        route = tracing::field::Empty,
        path = %request.uri().path(),
    );
    if let Some(template) = &template {
        span.record("route", template.as_str());
    }
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let _in_flight = metrics.enabled().then(|| InFlight::enter(&metrics));
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = match &template {
        Some(template) => template.as_str(),
        None if status < 400 => STATIC_ROUTE,
        None => UNMATCHED_ROUTE,
    };
    if template.is_none() {
        span.record("route", route);
    }
    if metrics.enabled() {
        metrics.record_request(route, method, status, elapsed);
    }
    response.headers_mut().insert(REQUEST_ID, id);
    span.in_scope(|| {
        tracing::info!(
            target: "modelyard::request",
            status,
            // Whole microseconds: enough, and short in the log.
            duration_ms = elapsed.as_micros() as f64 / 1000.0,
            "answered"
        );
    });
    response
}

/// The client's request id if it is 1 to [`MAX_REQUEST_ID_LEN`] visible ASCII characters (so
/// it is safe in a header and a log line), otherwise a new random one (32 hex digits).
pub fn request_id(headers: &HeaderMap) -> HeaderValue {
    if let Some(given) = headers.get(REQUEST_ID)
        && is_sane_request_id(given.as_bytes())
    {
        return given.clone();
    }
    let fresh = format!("{:032x}", rand::random::<u128>());
    HeaderValue::from_str(&fresh).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

pub fn is_sane_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len()) && id.iter().all(u8::is_ascii_graphic)
}

/// Methods beyond the standard ones are one label, so a client cannot grow the series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts a request as in flight until it is answered or dropped (the client went away).
struct InFlight<'a>(&'a Metrics);

impl<'a> InFlight<'a> {
    fn enter(metrics: &'a Metrics) -> Self {
        metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(metrics)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_others_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("abc-123_XYZ.9"));
        assert_eq!(request_id(&headers), "abc-123_XYZ.9");
        for bad in [
            "x".repeat(MAX_REQUEST_ID_LEN + 1),
            "has space".to_owned(),
            String::new(),
        ] {
            headers.insert(REQUEST_ID, HeaderValue::from_str(&bad).expect("header"));
            let id = request_id(&headers);
            assert_ne!(id, bad.as_str());
            assert_eq!(id.len(), 32);
        }
        let tab = HeaderValue::from_bytes(b"a\tb").expect("tab is allowed in a header");
        headers.insert(REQUEST_ID, tab);
        assert_eq!(request_id(&headers).len(), 32);
        assert_ne!(request_id(&HeaderMap::new()), request_id(&HeaderMap::new()));
    }

    /// The cost of this layer per request, against the same router without it: run with
    /// `cargo test --features ssr --lib request_overhead -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn request_overhead() {
        use axum::Router;
        use axum::body::Body;
        use axum::middleware::from_fn_with_state;
        use axum::routing::get;
        use tower::ServiceExt;

        const REQUESTS: u32 = 20_000;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let bare = Router::new().route("/api/v1/models/{model}", get(|| async { "ok" }));
        let observed = |metrics: Metrics| {
            bare.clone()
                .layer(from_fn_with_state(Arc::new(metrics), observe))
        };
        let time = |router: &Router| -> f64 {
            runtime.block_on(async {
                let started = Instant::now();
                for _ in 0..REQUESTS {
                    let request = Request::get("/api/v1/models/m")
                        .body(Body::empty())
                        .expect("a request");
                    let response = router.clone().oneshot(request).await.expect("infallible");
                    assert!(response.status().is_success());
                }
                started.elapsed().as_nanos() as f64 / f64::from(REQUESTS)
            })
        };
        let with_metrics = observed(Metrics::new(super::super::MetricsMode::Public, None));
        let without_metrics = observed(Metrics::off());
        // Request log lines formatted as in production, into nowhere.
        let text_logs = || {
            tracing_subscriber::fmt()
                .with_writer(std::io::sink)
                .with_max_level(tracing::Level::INFO)
                .finish()
        };
        let json_logs = || {
            tracing_subscriber::fmt()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(std::io::sink)
                .with_max_level(tracing::Level::INFO)
                .finish()
        };
        let mut best = [f64::MAX; 5];
        for _ in 0..3 {
            best[0] = best[0].min(time(&bare));
            best[1] = best[1].min(time(&without_metrics));
            best[2] = best[2].min(time(&with_metrics));
            best[3] = best[3].min(tracing::subscriber::with_default(text_logs(), || {
                time(&with_metrics)
            }));
            best[4] = best[4].min(tracing::subscriber::with_default(json_logs(), || {
                time(&with_metrics)
            }));
        }
        println!(
            "ns per request: bare {:.0}; request id only {:.0}; with metrics {:.0}; \
             with metrics and text logs {:.0}; with metrics and JSON logs {:.0}",
            best[0], best[1], best[2], best[3], best[4]
        );
    }
}
