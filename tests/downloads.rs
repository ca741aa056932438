//! Usage figures: downloads of a version's files and zips are counted per version, UTC day and
//! kind, shown as `download_count` on versions and models, by day and by version at
//! `GET /api/v1/models/{model}/downloads`, and on the pages.

mod common;

use common::{TestServer, assert_error, assert_invalid, expect_json, file_url};
use reqwest::StatusCode;
use reqwest::header::RANGE;
use serde_json::{Value, json};
use std::time::Duration;

const WEIGHTS: usize = 300;

/// A server, `alice` with a token, and a model of hers (`visibility` as given) with version
/// 0.1.0 (weights.bin of 300 bytes and README.md) and version 0.2.0 (weights.bin).
async fn server_with_versions(model: &str, visibility: &str) -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(&token, json!({"name": model, "visibility": visibility}))
        .await;
    let weights: Vec<u8> = (0..WEIGHTS).map(|i| (i % 251) as u8).collect();
    server
        .upload_version(
            &token,
            model,
            &[("weights.bin", &weights), ("README.md", b"# v1")],
        )
        .await;
    server
        .upload_version(&token, model, &[("weights.bin", b"second")])
        .await;
    (server, token)
}

fn zip_url(model: &str, version: &str) -> String {
    format!("/api/v1/models/{model}/versions/{version}/download")
}

/// GETs `path` in full, asserting 200, and answers how many bytes came.
async fn download(server: &TestServer, token: &str, path: &str) -> usize {
    let resp = server.as_user(token).get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.bytes().await.expect("body").len()
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// Counting does not hold up the download, so it lands a moment after the response: waits until
/// the version's `download_count` is `expected` (failing after a few seconds), and answers the
/// version.
async fn wait_for_count(
    server: &TestServer,
    token: &str,
    model: &str,
    version: &str,
    expected: i64,
) -> Value {
    for _ in 0..100 {
        let v = server.get_version(token, model, version).await;
        if v["download_count"] == expected {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let v = server.get_version(token, model, version).await;
    panic!("download_count never became {expected}: {v}");
}

#[tokio::test]
async fn file_and_zip_downloads_are_counted_per_version_and_day() {
    let (server, token) = server_with_versions("churn", "private").await;
    let before = today();
    assert_eq!(
        download(&server, &token, &file_url("churn", "0.1.0", "weights.bin")).await,
        WEIGHTS
    );
    download(&server, &token, &file_url("churn", "0.1.0", "README.md")).await;
    download(&server, &token, &zip_url("churn", "0.1.0")).await;

    let version = wait_for_count(&server, &token, "churn", "0.1.0", 3).await;
    let after = today();
    let day = version["last_download_at"].as_str().expect("a day");
    assert!(day == before || day == after, "{version}");
    let untouched = server.get_version(&token, "churn", "0.2.0").await;
    assert_eq!(untouched["download_count"], 0, "{untouched}");
    assert_eq!(untouched["last_download_at"], Value::Null, "{untouched}");
    // The list carries the same figures.
    let list = server
        .get_json("/api/v1/models/churn/versions", &token)
        .await;
    assert_eq!(list["data"][0]["download_count"], 0, "{list}");
    assert_eq!(list["data"][1]["download_count"], 3, "{list}");
    let model = server.get_json("/api/v1/models/churn", &token).await;
    assert_eq!(model["download_count"], 3, "{model}");

    let figures = server
        .get_json("/api/v1/models/churn/downloads", &token)
        .await;
    assert_eq!(figures["model"], "churn");
    assert_eq!(figures["days"], 30);
    assert_eq!(figures["total"], 3);
    let by_day = figures["by_day"].as_array().expect("by_day");
    assert_eq!(by_day.len(), 30, "every day of the window: {figures}");
    assert_eq!(
        by_day[29],
        json!({"day": day, "file": 2, "zip": 1}),
        "{figures}"
    );
    assert!(
        by_day[..29].iter().all(|d| d["file"] == 0 && d["zip"] == 0),
        "{figures}"
    );
    assert!(
        by_day[0]["day"].as_str() < by_day[29]["day"].as_str(),
        "oldest first: {figures}"
    );
    assert_eq!(
        figures["by_version"],
        json!([
            {"version": "0.2.0", "total": 0, "last_download_at": null},
            {"version": "0.1.0", "total": 3, "last_download_at": day},
        ])
    );
    let one_day = server
        .get_json("/api/v1/models/churn/downloads?days=1", &token)
        .await;
    assert_eq!(one_day["days"], 1);
    assert_eq!(
        one_day["by_day"],
        json!([{"day": day, "file": 2, "zip": 1}])
    );

    // The counts go with the version.
    let resp = server
        .as_user(&token)
        .delete("/api/v1/models/churn/versions/0.1.0")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let model = server.get_json("/api/v1/models/churn", &token).await;
    assert_eq!(model["download_count"], 0, "{model}");
    let figures = server
        .get_json("/api/v1/models/churn/downloads", &token)
        .await;
    assert_eq!(figures["total"], 0, "{figures}");
    assert_eq!(
        figures["by_version"],
        json!([{"version": "0.2.0", "total": 0, "last_download_at": null}])
    );
}

#[tokio::test]
async fn ranges_from_a_later_byte_and_head_requests_are_not_counted() {
    let (server, token) = server_with_versions("ranged", "private").await;
    let weights = file_url("ranged", "0.1.0", "weights.bin");
    let resp = server
        .get(&weights)
        .bearer_auth(&token)
        .header(RANGE, "bytes=100-")
        .send()
        .await
        .expect("GET a range");
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.bytes().await.expect("body").len(), WEIGHTS - 100);
    for path in [&weights, &zip_url("ranged", "0.1.0")] {
        let resp = server
            .client
            .head(server.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("HEAD");
        assert_eq!(resp.status(), StatusCode::OK, "HEAD {path}");
    }
    // A download in ranges counts once: for the range that starts at byte 0.
    let resp = server
        .get(&weights)
        .bearer_auth(&token)
        .header(RANGE, "bytes=0-99")
        .send()
        .await
        .expect("GET the first range");
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.bytes().await.expect("body").len(), 100);

    wait_for_count(&server, &token, "ranged", "0.1.0", 1).await;
    // Nothing else arrives later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let version = server.get_version(&token, "ranged", "0.1.0").await;
    assert_eq!(version["download_count"], 1, "{version}");
    let figures = server
        .get_json("/api/v1/models/ranged/downloads?days=1", &token)
        .await;
    assert_eq!(figures["by_day"][0]["file"], 1, "{figures}");
    assert_eq!(figures["by_day"][0]["zip"], 0, "{figures}");
}

#[tokio::test]
async fn downloads_of_a_private_model_are_not_found_for_others() {
    let (server, token) = server_with_versions("secret", "private").await;
    download(&server, &token, &zip_url("secret", "0.1.0")).await;
    wait_for_count(&server, &token, "secret", "0.1.0", 1).await;
    let bob = server.user_with_token("bob", false);
    let resp = server
        .as_user(&bob)
        .get("/api/v1/models/secret/downloads")
        .await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = server
        .anonymous()
        .get("/api/v1/models/secret/downloads")
        .await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;

    // A public model's figures are for anyone, and anyone's downloads count.
    server
        .create_model(&token, json!({"name": "open", "visibility": "public"}))
        .await;
    server
        .upload_version(&token, "open", &[("weights.bin", b"open")])
        .await;
    let resp = server
        .anonymous()
        .get(&file_url("open", "0.1.0", "weights.bin"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    wait_for_count(&server, &token, "open", "0.1.0", 1).await;
    let resp = server
        .anonymous()
        .get("/api/v1/models/open/downloads")
        .await;
    let figures = expect_json(resp, StatusCode::OK).await;
    assert_eq!(figures["total"], 1, "{figures}");
}

#[tokio::test]
async fn a_window_outside_one_to_365_days_is_refused() {
    let (server, token) = server_with_versions("windows", "private").await;
    for days in ["0", "366", "-3"] {
        let resp = server
            .as_user(&token)
            .get(&format!("/api/v1/models/windows/downloads?days={days}"))
            .await;
        assert_invalid(resp, "INVALID_FIELD", "days").await;
    }
    let resp = server
        .as_user(&token)
        .get("/api/v1/models/windows/downloads?days=many")
        .await;
    assert_error(resp, 400, "INVALID_QUERY").await;
    let year = server
        .get_json("/api/v1/models/windows/downloads?days=365", &token)
        .await;
    assert_eq!(year["by_day"].as_array().map(Vec::len), Some(365));
}

#[tokio::test]
async fn the_pages_show_downloads_and_when_a_version_was_last_downloaded() {
    let (server, token) = server_with_versions("shown", "public").await;
    download(&server, &token, &file_url("shown", "0.1.0", "weights.bin")).await;
    download(&server, &token, &zip_url("shown", "0.1.0")).await;
    let version = wait_for_count(&server, &token, "shown", "0.1.0", 2).await;
    let day = version["last_download_at"].as_str().expect("a day");
    let html = |path: &'static str| {
        let request = server.get(path);
        async move {
            let resp = request.send().await.expect("GET a page");
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            resp.text().await.expect("body")
        }
    };

    let page = html("/models/shown/versions/0.1.0").await;
    let summary = page
        .split("data-testid=\"version-downloads\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("the version page lists its downloads");
    assert!(summary.contains("Downloads"), "{summary}");
    assert!(summary.contains("2 downloads"), "{summary}");
    assert!(
        summary.contains(&format!("Last downloaded {day}")),
        "{summary}"
    );
    let page = html("/models/shown/versions/0.2.0").await;
    assert!(page.contains("0 downloads"), "0.2.0 page");
    assert!(page.contains("Never downloaded"), "0.2.0 page");

    let list = html("/models/shown/versions").await;
    assert!(list.contains("2 downloads"), "versions list");
    assert!(
        list.contains(&format!("Last downloaded {day}")),
        "versions list"
    );
    assert!(list.contains("Never downloaded"), "versions list");

    let overview = html("/models/shown").await;
    let figure = overview
        .split("data-testid=\"recent-downloads\"")
        .nth(1)
        .and_then(|rest| rest.split("</dd>").next())
        .expect("the overview shows recent downloads");
    assert!(figure.contains("Downloads (last 30 days)"), "{figure}");
    assert!(figure.contains("2 downloads"), "{figure}");
}

#[tokio::test]
async fn deleting_a_version_takes_its_downloads_and_itself_off_the_models_figures() {
    let (server, token) = server_with_versions("pruned", "private").await;
    download(&server, &token, &file_url("pruned", "0.1.0", "README.md")).await;
    download(&server, &token, &zip_url("pruned", "0.2.0")).await;
    download(&server, &token, &zip_url("pruned", "0.2.0")).await;
    wait_for_count(&server, &token, "pruned", "0.1.0", 1).await;
    wait_for_count(&server, &token, "pruned", "0.2.0", 2).await;
    let listed = |list: &Value| list["data"][0].clone();
    let model = listed(&server.list_models(&token, "").await);
    assert_eq!(
        (
            &model["download_count"],
            &model["version_count"],
            &model["latest_version"]
        ),
        (&json!(3), &json!(2), &json!("0.2.0")),
        "{model}"
    );

    let resp = server
        .as_user(&token)
        .delete("/api/v1/models/pruned/versions/0.2.0")
        .await;
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["model_deleted"], false, "{body}");
    for model in [
        listed(&server.list_models(&token, "").await),
        server.get_model(&token, "pruned").await,
    ] {
        assert_eq!(model["download_count"], 1, "{model}");
        assert_eq!(model["version_count"], 1, "{model}");
        assert_eq!(model["latest_version"], "0.1.0", "{model}");
    }
}
