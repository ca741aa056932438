//! The demo a newcomer is offered on first run: one tick on the setup page loads two real
//! models whose versions carry metrics, aliases, training data and feature impact.

mod common;

use common::TestServer;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, LOCATION, REFERER};
use serde_json::Value;
use std::time::{Duration, Instant};

fn setup_token(log: &str) -> Option<String> {
    let start = log.rfind("/setup?token=")? + "/setup?token=".len();
    Some(
        log[start..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect(),
    )
}

/// The model once all of its versions are published (the demo publishes each once its
/// feature impact is done), within a bounded wait.
async fn published_model(server: &TestServer, token: &str, name: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let resp = server
            .as_user(token)
            .get(&format!("/api/v1/models/{name}/versions?state=published"))
            .await;
        if resp.status() == StatusCode::OK {
            let list: Value = resp.json().await.expect("json");
            let model = server
                .get_json(&format!("/api/v1/models/{name}"), token)
                .await;
            let aliases = model["aliases"].as_array().map_or(0, Vec::len);
            if list["total_count"] == model["version_count"] && aliases == 2 {
                return model;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the demo of {name} did not finish"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn the_setup_page_loads_the_demo_in_one_click() {
    let server = TestServer::start().await;
    let token = setup_token(&server.log()).expect("the log names a setup link");
    let page = server
        .anonymous()
        .get(&format!("/setup?token={token}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(page.contains(r#"name="load_demo""#), "{page}");

    let done = server
        .post("/fn/complete_setup")
        .header(ACCEPT, "text/html")
        .header(REFERER, server.url(&format!("/setup?token={token}")))
        .form(&[
            ("token", token.as_str()),
            ("username", "first"),
            ("display_name", "First Admin"),
            ("password", "a long first password"),
            ("confirm_password", "a long first password"),
            ("load_demo", "on"),
        ])
        .send()
        .await
        .expect("POST complete_setup");
    assert_eq!(done.status(), StatusCode::FOUND);
    let location = done.headers()[LOCATION]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.ends_with("/login?setup=done&demo=loading"),
        "{location}"
    );

    let api = server.add_token("first");
    let diabetes = published_model(&server, &api, "diabetes-progression").await;
    assert_eq!(diabetes["version_count"], 3);
    let aliases: Vec<(String, String, bool)> = diabetes["aliases"]
        .as_array()
        .expect("aliases")
        .iter()
        .map(|a| {
            (
                a["alias"].as_str().unwrap_or_default().to_owned(),
                a["version"].as_str().unwrap_or_default().to_owned(),
                a["protected"] == true,
            )
        })
        .collect();
    assert_eq!(
        aliases,
        [
            ("production".to_owned(), "0.2.0".to_owned(), true),
            ("staging".to_owned(), "0.3.0".to_owned(), false)
        ]
    );
    assert!(
        diabetes["readme"]
            .as_str()
            .is_some_and(|r| r.contains("# Diabetes"))
    );

    // Every version has its training score as a metric, and the overview charts it.
    for number in ["0.1.0", "0.2.0", "0.3.0"] {
        let version = server
            .get_json(
                &format!("/api/v1/models/diabetes-progression/versions/{number}"),
                &api,
            )
            .await;
        assert_eq!(version["metrics"][0]["key"], "train_rmse", "{version}");
        let value = version["metrics"][0]["value"].as_f64().unwrap_or(-1.0);
        assert!(value > 0.0 && value.is_finite(), "{version}");
    }
    let cookie = server.login_cookie("first", "a long first password").await;
    let overview = server
        .with_cookie(server.get("/models/diabetes-progression"), &cookie)
        .send()
        .await
        .expect("GET the model page")
        .text()
        .await
        .expect("body")
        .replace("<!>", "");
    assert!(
        overview.contains("train_rmse across 3 versions"),
        "{overview}"
    );
    let impact = server
        .get_json(
            "/api/v1/models/diabetes-progression/versions/0.2.0/feature-impact",
            &api,
        )
        .await;
    assert_eq!(impact["feature_impacts"][0]["impact_normalized"], 1.0);

    let cancer = published_model(&server, &api, "breast-cancer-screening").await;
    assert_eq!(
        cancer["class_labels"],
        serde_json::json!(["malignant", "benign"])
    );
    let version = server
        .get_json(
            "/api/v1/models/breast-cancer-screening/versions/0.1.0",
            &api,
        )
        .await;
    assert_eq!(version["metrics"][0]["key"], "train_log_loss");
}
