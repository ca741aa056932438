//! Reading and importing feature impact over the REST API, against the real binary: what an
//! import stores (normalized, most important first), what it refuses, who may read or import,
//! the audit trail, and that results survive a restart.

mod common;

use common::{TestServer, assert_error, assert_invalid, expect_json};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

fn impact_url(model: &str, version: &str) -> String {
    format!("/api/v1/models/{model}/versions/{version}/feature-impact")
}

/// A server, `alice` with a token, and her private model with one published version (0.1.0).
async fn server_with_version(model: &str) -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": model})).await;
    let created = server
        .as_user(&token)
        .post(
            &format!("/api/v1/models/{model}/versions"),
            json!({"publish": true}),
        )
        .await;
    let version = expect_json(created, StatusCode::CREATED).await;
    assert_eq!(version["version"], "0.1.0");
    assert_eq!(version["state"], "published");
    (server, token)
}

async fn put_impact(server: &TestServer, token: &str, model: &str, body: &Value) -> Response {
    server
        .put(&impact_url(model, "0.1.0"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("PUT feature impact")
}

async fn put_raw(server: &TestServer, token: &str, model: &str, body: &str) -> Response {
    server
        .put(&impact_url(model, "0.1.0"))
        .bearer_auth(token)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("PUT feature impact")
}

async fn get_impact(server: &TestServer, token: Option<&str>, model: &str) -> Response {
    let request = server.get(&impact_url(model, "0.1.0"));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.expect("GET feature impact")
}

fn names(impact: &Value) -> Vec<String> {
    impact["feature_impacts"]
        .as_array()
        .unwrap_or_else(|| panic!("feature_impacts should be an array in {impact}"))
        .iter()
        .map(|i| {
            i["feature_name"]
                .as_str()
                .expect("a feature name")
                .to_owned()
        })
        .collect()
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[tokio::test]
async fn an_import_is_stored_normalized_and_most_important_first() {
    let (mut server, token) = server_with_version("diabetes").await;

    let none = get_impact(&server, Some(&token), "diabetes").await;
    let body = assert_error(none, 404, "FEATURE_IMPACT_NOT_FOUND").await;
    assert!(
        body["solution_msg"]
            .as_str()
            .is_some_and(|s| s.contains("PUT")),
        "{body}"
    );

    let import = json!({
        "feature_impacts": [
            {"feature_name": "age", "impact_unnormalized": 0.1},
            {"feature_name": "bmi", "impact_unnormalized": 0.3421},
            {"feature_name": "bp", "impact_unnormalized": 0.2},
            {"feature_name": "s3", "impact_unnormalized": -0.05, "parent_feature_name": "s"}
        ],
        "shap_based": true,
        "row_count": 442
    });
    let stored = expect_json(
        put_impact(&server, &token, "diabetes", &import).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(names(&stored), ["bmi", "bp", "age", "s3"]);
    assert_eq!(stored["count"], 4);
    assert_eq!(stored["method"], "imported");
    assert_eq!(stored["shap_based"], true);
    assert_eq!(stored["row_count"], 442);
    assert_eq!(stored["ran_redundancy_detection"], false);
    let items = &stored["feature_impacts"];
    assert!(close(&items[0]["impact_normalized"], 1.0), "{stored}");
    assert!(close(&items[0]["impact_unnormalized"], 0.3421), "{stored}");
    assert!(
        close(&items[1]["impact_normalized"], 0.2 / 0.3421),
        "{stored}"
    );
    assert!(
        items[3]["impact_normalized"]
            .as_f64()
            .is_some_and(|v| v < 0.0),
        "a negative impact stays negative: {stored}"
    );
    assert_eq!(items[3]["parent_feature_name"], "s");
    assert_eq!(items[0]["redundant_with"], Value::Null);
    assert!(stored["computed_at"].as_str().is_some(), "{stored}");

    // Reading it back answers the same, by number or by alias.
    let read = server
        .get_json(&impact_url("diabetes", "0.1.0"), &token)
        .await;
    assert_eq!(read, stored);
    let latest = server
        .get_json(&impact_url("diabetes", "latest"), &token)
        .await;
    assert_eq!(latest, stored);

    // An import is written to the audit log with the change.
    let events = server
        .get_json("/api/v1/audit?model=diabetes&action=feature_impact", &token)
        .await;
    assert_eq!(events["total_count"], 1, "{events}");
    let event = &events["data"][0];
    assert_eq!(event["action"], "feature_impact.import");
    assert_eq!(event["actor"], "alice");
    assert_eq!(event["details"]["version"], "0.1.0");
    assert_eq!(event["details"]["features"], 4);

    // A second import replaces the first; shap_based defaults to false.
    let again = expect_json(
        put_impact(
            &server,
            &token,
            "diabetes",
            &json!({"feature_impacts": [
                {"feature_name": "s5", "impact_unnormalized": 2.5},
                {"feature_name": "bmi", "impact_unnormalized": 5}
            ]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(names(&again), ["bmi", "s5"]);
    assert_eq!(again["shap_based"], false);
    assert_eq!(again["row_count"], Value::Null);
    assert!(close(
        &again["feature_impacts"][1]["impact_normalized"],
        0.5
    ));

    // It is in the database, not in memory.
    server.restart().await;
    let after = server
        .get_json(&impact_url("diabetes", "0.1.0"), &token)
        .await;
    assert_eq!(after, again);
}

#[tokio::test]
async fn invalid_imports_are_refused_naming_the_field() {
    let (server, token) = server_with_version("wine").await;
    let entry =
        |name: &str, value: Value| json!({"feature_name": name, "impact_unnormalized": value});

    let empty = put_impact(&server, &token, "wine", &json!({"feature_impacts": []})).await;
    assert_invalid(empty, "NO_FEATURE_IMPACTS", "feature_impacts").await;

    let duplicate = put_impact(
        &server,
        &token,
        "wine",
        &json!({"feature_impacts": [entry("alcohol", json!(1)), entry(" alcohol ", json!(2))]}),
    )
    .await;
    assert_invalid(
        duplicate,
        "DUPLICATE_FEATURE",
        "feature_impacts[1].feature_name",
    )
    .await;

    let blank = put_impact(
        &server,
        &token,
        "wine",
        &json!({"feature_impacts": [entry("alcohol", json!(1)), entry("  ", json!(2))]}),
    )
    .await;
    assert_invalid(
        blank,
        "INVALID_FEATURE_NAME",
        "feature_impacts[1].feature_name",
    )
    .await;

    // JSON has no NaN or infinity; a number beyond any float is the closest a client can send.
    let huge = put_raw(
        &server,
        &token,
        "wine",
        r#"{"feature_impacts": [{"feature_name": "alcohol", "impact_unnormalized": 1e999}]}"#,
    )
    .await;
    assert_invalid(
        huge,
        "INVALID_FIELD",
        "feature_impacts[0].impact_unnormalized",
    )
    .await;
    let nan = put_raw(
        &server,
        &token,
        "wine",
        r#"{"feature_impacts": [{"feature_name": "alcohol", "impact_unnormalized": NaN}]}"#,
    )
    .await;
    assert_error(nan, 400, "MALFORMED_JSON").await;

    let text = put_impact(
        &server,
        &token,
        "wine",
        &json!({"feature_impacts": [entry("alcohol", json!("NaN"))]}),
    )
    .await;
    assert_invalid(
        text,
        "INVALID_FIELD",
        "feature_impacts[0].impact_unnormalized",
    )
    .await;

    let missing = put_impact(
        &server,
        &token,
        "wine",
        &json!({"feature_impacts": [{"feature_name": "alcohol"}]}),
    )
    .await;
    assert_invalid(missing, "INVALID_FIELD", "feature_impacts[0]").await;

    let unknown = put_impact(
        &server,
        &token,
        "wine",
        &json!({"feature_impacts": [entry("alcohol", json!(1))], "method": "permutation"}),
    )
    .await;
    let body = assert_error(unknown, 422, "INVALID_FIELD").await;
    assert!(
        body["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("method")),
        "{body}"
    );
    let unknown_entry = put_impact(
        &server,
        &token,
        "wine",
        &json!({"feature_impacts": [{"feature_name": "alcohol", "impact_unnormalized": 1, "weight": 2}]}),
    )
    .await;
    let body = assert_error(unknown_entry, 422, "INVALID_FIELD").await;
    assert!(
        body["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("feature_impacts[0]")),
        "{body}"
    );

    let zero_rows = put_impact(
        &server,
        &token,
        "wine",
        &json!({"feature_impacts": [entry("alcohol", json!(1))], "row_count": 0}),
    )
    .await;
    assert_invalid(zero_rows, "INVALID_ROW_COUNT", "row_count").await;

    let not_json = put_raw(&server, &token, "wine", "{\"feature_impacts\": [").await;
    assert_error(not_json, 400, "MALFORMED_JSON").await;

    // Nothing was stored by any of them.
    let none = get_impact(&server, Some(&token), "wine").await;
    assert_error(none, 404, "FEATURE_IMPACT_NOT_FOUND").await;
}

#[tokio::test]
async fn viewers_read_editors_import_and_outsiders_see_nothing() {
    let (server, owner) = server_with_version("churn").await;
    let viewer = server.user_with_token("vera", false);
    let editor = server.user_with_token("eddie", false);
    let outsider = server.user_with_token("otto", false);
    let shared = server
        .as_user(&owner)
        .patch(
            "/api/v1/models/churn/access",
            json!({"data": [
                {"username": "vera", "role": "VIEWER"},
                {"username": "eddie", "role": "EDITOR"}
            ]}),
        )
        .await;
    expect_json(shared, StatusCode::OK).await;
    let import =
        json!({"feature_impacts": [{"feature_name": "tenure", "impact_unnormalized": 0.7}]});

    // Editors import, into a published version too.
    let by_editor = put_impact(&server, &editor, "churn", &import).await;
    let stored = expect_json(by_editor, StatusCode::OK).await;
    assert_eq!(names(&stored), ["tenure"]);

    let by_viewer = put_impact(&server, &viewer, "churn", &import).await;
    assert_error(by_viewer, 403, "FORBIDDEN").await;
    let read = server
        .get_json(&impact_url("churn", "0.1.0"), &viewer)
        .await;
    assert_eq!(read, stored);

    // A private model is not found for anyone without a grant.
    for token in [Some(outsider.as_str()), None] {
        let hidden = get_impact(&server, token, "churn").await;
        assert_error(hidden, 404, "MODEL_NOT_FOUND").await;
    }
    let by_outsider = put_impact(&server, &outsider, "churn", &import).await;
    assert_error(by_outsider, 404, "MODEL_NOT_FOUND").await;
    let anonymous = server
        .anonymous()
        .put(&impact_url("churn", "0.1.0"), import)
        .await;
    assert_error(anonymous, 401, "NOT_AUTHENTICATED").await;

    let no_version = server
        .as_user(&owner)
        .get(&impact_url("churn", "9.9.9"))
        .await;
    assert_error(no_version, 404, "VERSION_NOT_FOUND").await;

    // A public model's feature impact is public too.
    let opened = server
        .as_user(&owner)
        .patch("/api/v1/models/churn", json!({"visibility": "public"}))
        .await;
    expect_json(opened, StatusCode::OK).await;
    let public = get_impact(&server, None, "churn").await;
    assert_eq!(expect_json(public, StatusCode::OK).await, stored);
}
