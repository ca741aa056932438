//! What operators see: `GET /metrics` (off by default, token-protected or public by
//! configuration, Prometheus text with route templates), the `x-request-id` of every answer,
//! and the JSON log format.

mod common;

use common::{TestServer, assert_error, content_type, model_url};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashSet;

const METRICS_TOKEN: &str = "scrape-token-0123456789abcdef";

async fn token_server() -> TestServer {
    TestServer::start_with_env(&[
        ("MODELYARD_METRICS", "token"),
        ("MODELYARD_METRICS_TOKEN", METRICS_TOKEN),
    ])
    .await
}

/// The metrics text, read with the right token; asserts the answer is Prometheus text.
async fn scrape(server: &TestServer) -> String {
    let resp = server
        .get("/metrics")
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        content_type(&resp).starts_with("text/plain"),
        "{}",
        content_type(&resp)
    );
    resp.text().await.expect("the metrics text")
}

/// The value of the sample whose name and labels are exactly `series`, or 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

#[tokio::test]
async fn metrics_are_off_unless_configured() {
    let server = TestServer::start().await;
    let resp = server.get("/metrics").send().await.expect("GET /metrics");
    assert_error(resp, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn token_mode_refuses_scrapes_without_the_right_token() {
    let server = token_server().await;
    let none = server.get("/metrics").send().await.expect("GET /metrics");
    assert_eq!(
        none.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    assert_error(none, 401, "NOT_AUTHENTICATED").await;
    let wrong = server
        .get("/metrics")
        .bearer_auth("scrape-token-0123456789abcdeX")
        .send()
        .await
        .expect("GET /metrics");
    assert_error(wrong, 401, "INVALID_TOKEN").await;
    // A user's API token, even an admin's, is not the metrics token.
    let admin = server.user_with_token("root", true);
    let user_token = server
        .get("/metrics")
        .bearer_auth(&admin)
        .send()
        .await
        .expect("GET /metrics");
    assert_error(user_token, 401, "INVALID_TOKEN").await;
    assert!(
        !server.log().contains(METRICS_TOKEN),
        "the metrics token is never logged"
    );
}

#[tokio::test]
async fn requests_are_counted_by_route_template_with_latency_buckets() {
    let server = token_server().await;
    let before = scrape(&server).await;
    for family in [
        "# TYPE modelyard_http_requests_total counter",
        "# TYPE modelyard_http_request_duration_seconds histogram",
        "# TYPE modelyard_http_requests_in_flight gauge",
        "# TYPE modelyard_jobs gauge",
        "# TYPE modelyard_job_duration_seconds histogram",
        "# TYPE modelyard_stored_bytes gauge",
        "# TYPE modelyard_db_pool_connections gauge",
        "# TYPE modelyard_db_pool_idle_connections gauge",
    ] {
        assert!(before.contains(family), "{family} missing from:\n{before}");
    }
    assert!(
        before.contains("modelyard_jobs{kind=\"feature_impact\",state=\"queued\"} 0"),
        "{before}"
    );

    let labels = "route=\"/api/v1/models/{model}\",method=\"GET\",status=\"404\"";
    let counter = format!("modelyard_http_requests_total{{{labels}}}");
    let resp = server
        .get(&model_url("no-such-model-xyz"))
        .send()
        .await
        .expect("GET a model");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let once = scrape(&server).await;
    assert_eq!(sample(&once, &counter) - sample(&before, &counter), 1.0);
    server
        .get(&model_url("another-missing-model"))
        .send()
        .await
        .expect("GET a model");
    let twice = scrape(&server).await;
    assert_eq!(sample(&twice, &counter) - sample(&before, &counter), 2.0);
    assert!(
        !twice.contains("no-such-model-xyz") && !twice.contains("another-missing-model"),
        "raw paths never become labels:\n{twice}"
    );
    // The histogram: running totals up to +Inf, which counts every request, and the count.
    let inf = format!("modelyard_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}}");
    assert_eq!(sample(&twice, &inf), sample(&twice, &counter));
    let count = format!("modelyard_http_request_duration_seconds_count{{{labels}}}");
    assert_eq!(sample(&twice, &count), sample(&twice, &counter));
    let buckets: Vec<f64> = twice
        .lines()
        .filter(|l| {
            l.starts_with(&format!(
                "modelyard_http_request_duration_seconds_bucket{{{labels},le="
            ))
        })
        .map(|l| {
            l.rsplit(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("a count")
        })
        .collect();
    assert!(buckets.len() > 5, "{twice}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    // The scrapes themselves are counted under their route.
    assert!(
        sample(
            &twice,
            "modelyard_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"}"
        ) >= 2.0,
        "{twice}"
    );
    // Paths nothing serves are one series, whatever the path.
    server
        .get("/no/such/page/at/all")
        .send()
        .await
        .expect("GET");
    let after = scrape(&server).await;
    assert!(!after.contains("/no/such/page"), "{after}");
    assert!(after.contains("route=\"unmatched\""), "{after}");
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let server = TestServer::start().await;
    let mut seen = HashSet::new();
    for path in ["/healthz", "/healthz", "/api/v1/me", "/no/such/page"] {
        let resp = server.get(path).send().await.expect("GET");
        let id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path} answered without x-request-id"))
            .to_owned();
        assert!(!id.is_empty());
        assert!(seen.insert(id.clone()), "request id {id} given twice");
    }

    let echoed = server
        .get("/healthz")
        .header("x-request-id", "lb-7f3a-42.trace")
        .send()
        .await
        .expect("GET");
    assert_eq!(echoed.headers()["x-request-id"], "lb-7f3a-42.trace");
    // The client's id is in that request's log line.
    let log = server.log();
    assert!(
        log.lines()
            .any(|l| l.contains("request_id=lb-7f3a-42.trace") && l.contains("status=200")),
        "{log}"
    );

    let too_long = "a".repeat(129);
    for insane in [too_long.as_str(), "tab\there", "two words"] {
        let resp = server
            .get("/healthz")
            .header("x-request-id", insane)
            .send()
            .await
            .expect("GET");
        let id = resp.headers()["x-request-id"]
            .to_str()
            .expect("ASCII")
            .to_owned();
        assert_ne!(id, insane);
        assert!(
            !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()),
            "{id:?}"
        );
    }
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_naming_the_request() {
    let server = TestServer::start_with_env(&[
        ("MODELYARD_LOG_FORMAT", "json"),
        ("MODELYARD_METRICS", "public"),
    ])
    .await;
    let resp = server
        .get(&model_url("nothing-here"))
        .header("x-request-id", "json-check-0001")
        .send()
        .await
        .expect("GET a model");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // Public mode: no token needed.
    let metrics = server.get("/metrics").send().await.expect("GET /metrics");
    assert_eq!(metrics.status(), StatusCode::OK);

    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() > 2, "{log}");
    for line in &lines {
        for key in ["timestamp", "level", "target", "message"] {
            assert!(line.get(key).is_some(), "{key} missing in {line}");
        }
    }
    let answered = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "json-check-0001" && l["message"] == "answered")
        .unwrap_or_else(|| panic!("no line for the request in {log}"));
    assert_eq!(answered["status"], 404);
    assert_eq!(answered["span"]["method"], "GET");
    assert_eq!(answered["span"]["route"], "/api/v1/models/{model}");
    assert!(answered["duration_ms"].as_f64().is_some(), "{answered}");
}

#[tokio::test]
async fn stored_bytes_count_each_content_once() {
    let server = token_server().await;
    let token = server.user_with_token("maker", false);
    server
        .create_model(&token, serde_json::json!({"name": "sized"}))
        .await;
    let weights = vec![7u8; 3000];
    server
        .upload_version(
            &token,
            "sized",
            &[("model.bin", &weights), ("README.md", b"hello")],
        )
        .await;
    // The same bytes again in another version are stored once.
    server
        .upload_version(&token, "sized", &[("model.bin", &weights)])
        .await;
    let text = scrape(&server).await;
    assert_eq!(sample(&text, "modelyard_stored_blobs"), 2.0, "{text}");
    assert_eq!(sample(&text, "modelyard_stored_bytes"), 3005.0, "{text}");
    assert!(
        sample(&text, "modelyard_db_pool_connections") >= 1.0,
        "{text}"
    );
}
