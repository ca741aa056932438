//! The models REST API: creating a model and reading one, model cards' front matter, and models
//! surviving a restart and concurrent writes.

mod common;

use common::{TestServer, assert_error, assert_invalid, body_json, expect_json, model_url, names};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Creating

fn is_utc_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.contains('T') && (t.ends_with('Z') || t.ends_with("+00:00")))
}

#[tokio::test]
async fn create_returns_201_with_defaults_and_the_creator_as_owner() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let model = server
        .create_model(&token, json!({"name": "churn-model"}))
        .await;

    let id = model["id"].as_str().expect("id is a string");
    assert_eq!(id.len(), 36, "id should be a UUID: {id}");
    assert_eq!(id.matches('-').count(), 4, "id should be a UUID: {id}");
    assert_eq!(model["name"], "churn-model");
    assert_eq!(model["description"], "");
    assert_eq!(model["readme"], "");
    assert_eq!(model["target_type"], Value::Null);
    assert_eq!(model["target_name"], "");
    assert_eq!(model["class_labels"], json!([]));
    assert_eq!(model["tags"], json!([]));
    assert_eq!(model["metadata"], json!({}));
    assert_eq!(model["visibility"], "private");
    assert_eq!(model["archived"], false);
    assert_eq!(model["primary_version"], Value::Null);
    assert_eq!(model["latest_version"], Value::Null);
    assert_eq!(model["version_count"], 0);
    assert_eq!(model["aliases"], json!([]));
    assert_eq!(model["role"], "OWNER");
    assert_eq!(model["created_by"], "alice");
    assert!(is_utc_timestamp(&model["created_at"]), "{model}");
    assert!(is_utc_timestamp(&model["updated_at"]), "{model}");
}

#[tokio::test]
async fn create_stores_every_given_field() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let body = json!({
        "name": "Fraud.Detector_v2",
        "description": "Flags suspicious card payments",
        "readme": "# Fraud detector\n\nTrained on 2024 data.",
        "target_type": "binary",
        "target_name": "is_fraud",
        "class_labels": ["legit", "fraud"],
        "tags": ["payments", "risk"],
        "metadata": {"team": "risk", "source.system": "cards"},
        "visibility": "internal"
    });

    let created = server.create_model(&token, body.clone()).await;
    let fetched = server
        .get_json("/api/v1/models/Fraud.Detector_v2", &token)
        .await;

    for model in [&created, &fetched] {
        for key in [
            "name",
            "description",
            "readme",
            "target_type",
            "target_name",
            "class_labels",
            "tags",
            "metadata",
            "visibility",
        ] {
            assert_eq!(model[key], body[key], "field {key} in {model}");
        }
    }
    assert_eq!(fetched["id"], created["id"]);
}

#[tokio::test]
async fn every_target_type_and_visibility_is_accepted() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let target_types = [
        "binary",
        "multiclass",
        "regression",
        "anomaly",
        "text_generation",
        "other",
    ];
    let visibilities = ["private", "internal", "public"];
    for (i, target_type) in target_types.iter().enumerate() {
        let visibility = visibilities[i % visibilities.len()];
        let model = server
            .create_model(
                &token,
                json!({"name": format!("m{i}"), "target_type": target_type, "visibility": visibility}),
            )
            .await;
        assert_eq!(model["target_type"], *target_type);
        assert_eq!(model["visibility"], visibility);
    }
}

#[tokio::test]
async fn tags_are_trimmed_and_deduplicated() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let model = server
        .create_model(
            &token,
            json!({"name": "tagged", "tags": ["  churn ", "churn", "tabular", "tabular "]}),
        )
        .await;

    assert_eq!(model["tags"], json!(["churn", "tabular"]));
}

#[tokio::test]
async fn values_at_the_limits_are_accepted() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let mut labels: Vec<String> = (0..999).map(|i| format!("class-{i}")).collect();
    labels.push("l".repeat(256));
    let mut tags: Vec<String> = (0..31).map(|i| format!("tag-{i}")).collect();
    // 64 characters once trimmed.
    tags.push(format!("  {}  ", "t".repeat(64)));
    let mut metadata = serde_json::Map::new();
    for i in 0..63 {
        metadata.insert(format!("key-{i}"), json!("value"));
    }
    metadata.insert("k".repeat(128), json!("v".repeat(4096)));
    // Any JSON value, as a version's metadata takes.
    metadata.insert("threshold".to_owned(), json!(0.5));
    metadata.insert(
        "owners".to_owned(),
        json!({"team": "risk", "on_call": ["ana", "bo"]}),
    );
    let name = "n".repeat(64);

    let model = server
        .create_model(
            &token,
            json!({
                "name": name,
                // Limits count characters, not bytes.
                "description": "é".repeat(1024),
                "readme": "r".repeat(65_536),
                "target_name": "t".repeat(256),
                "class_labels": labels,
                "tags": tags,
                "metadata": metadata,
            }),
        )
        .await;

    assert_eq!(model["name"], name.as_str());
    assert_eq!(model["class_labels"].as_array().map(Vec::len), Some(1000));
    assert_eq!(model["tags"].as_array().map(Vec::len), Some(32));
    assert_eq!(model["tags"][31], "t".repeat(64).as_str());
    assert_eq!(model["metadata"].as_object().map(|m| m.len()), Some(66));
    assert_eq!(model["metadata"]["threshold"], 0.5);
    assert_eq!(model["metadata"]["owners"]["on_call"][1], "bo");
    assert_eq!(
        model["description"].as_str().map(|d| d.chars().count()),
        Some(1024)
    );
}

/// Bodies that break one rule each, with the error code and field they must produce.
fn invalid_model_bodies() -> Vec<(Value, &'static str, &'static str)> {
    let name_err = ("INVALID_MODEL_NAME", "name");
    let many_labels: Vec<String> = (0..1001).map(|i| format!("c{i}")).collect();
    let many_tags: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
    let many_keys: serde_json::Map<String, Value> =
        (0..257).map(|i| (format!("k{i}"), json!("v"))).collect();
    let with = |field: &str, value: Value| {
        let mut body = json!({"name": "valid-name"});
        body[field] = value;
        body
    };
    vec![
        (json!({"name": ""}), name_err.0, name_err.1),
        (json!({"name": "x".repeat(65)}), name_err.0, name_err.1),
        (json!({"name": "bad name!"}), name_err.0, name_err.1),
        (json!({"name": "a/b"}), name_err.0, name_err.1),
        (
            with("description", json!("d".repeat(1025))),
            "INVALID_DESCRIPTION",
            "description",
        ),
        (
            with("readme", json!("r".repeat(65_537))),
            "INVALID_README",
            "readme",
        ),
        (
            with("target_type", json!("classification")),
            "INVALID_TARGET_TYPE",
            "target_type",
        ),
        (
            with("target_name", json!("t".repeat(257))),
            "INVALID_TARGET_NAME",
            "target_name",
        ),
        (
            with("class_labels", json!(many_labels)),
            "INVALID_CLASS_LABELS",
            "class_labels",
        ),
        (
            with("class_labels", json!([""])),
            "INVALID_CLASS_LABELS",
            "class_labels",
        ),
        (
            with("class_labels", json!(["l".repeat(257)])),
            "INVALID_CLASS_LABELS",
            "class_labels",
        ),
        (
            with("class_labels", json!(["yes", "no", "yes"])),
            "INVALID_CLASS_LABELS",
            "class_labels",
        ),
        (with("tags", json!(many_tags)), "INVALID_TAGS", "tags"),
        (with("tags", json!(["   "])), "INVALID_TAGS", "tags"),
        (
            with("tags", json!(["t".repeat(65)])),
            "INVALID_TAGS",
            "tags",
        ),
        (
            with("tags", json!(["bell\u{7}tag"])),
            "INVALID_TAGS",
            "tags",
        ),
        (
            with("metadata", Value::Object(many_keys)),
            "INVALID_METADATA",
            "metadata",
        ),
        (
            with("metadata", json!({"": "v"})),
            "INVALID_METADATA",
            "metadata",
        ),
        (
            with("metadata", json!({"bell\u{7}key": "v"})),
            "INVALID_METADATA",
            "metadata",
        ),
        (
            with("metadata", json!({"k".repeat(129): "v"})),
            "INVALID_METADATA",
            "metadata",
        ),
        (
            with("metadata", json!({"k": "v".repeat(65_537)})),
            "INVALID_METADATA",
            "metadata",
        ),
        (
            with("visibility", json!("secret")),
            "INVALID_VISIBILITY",
            "visibility",
        ),
    ]
}

#[tokio::test]
async fn each_invalid_field_is_422_with_its_code_and_field_and_creates_nothing() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for (i, (body, code, field)) in invalid_model_bodies().into_iter().enumerate() {
        eprintln!("case {i}: expecting {code} on {field}");
        let resp = server.as_user(&token).post("/api/v1/models", body).await;
        assert_invalid(resp, code, field).await;
    }

    let all = server.list_models(&token, "").await;
    assert_eq!(all["total_count"], 0, "no invalid model was stored: {all}");
}

#[tokio::test]
async fn missing_name_is_422() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let resp = server
        .as_user(&token)
        .post("/api/v1/models", json!({"description": "no name"}))
        .await;

    let status = resp.status();
    let body = body_json(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let code = body["error_code"].as_str().unwrap_or_default();
    assert!(
        code == "INVALID_MODEL_NAME" || code == "INVALID_FIELD",
        "a missing name is a name or field error: {body}"
    );
}

#[tokio::test]
async fn unknown_field_is_422_invalid_field() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let resp = server
        .as_user(&token)
        .post(
            "/api/v1/models",
            json!({"name": "colourful", "colour": "red"}),
        )
        .await;

    assert_error(resp, 422, "INVALID_FIELD").await;
    let resp = server.as_user(&token).get(&model_url("colourful")).await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

#[tokio::test]
async fn duplicate_name_ignoring_case_is_409() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(&token, json!({"name": "Churn-Model"}))
        .await;

    for name in ["Churn-Model", "churn-model", "CHURN-MODEL"] {
        let resp = server
            .as_user(&token)
            .post("/api/v1/models", json!({"name": name}))
            .await;
        assert_error(resp, 409, "MODEL_NAME_TAKEN").await;
    }

    let all = server.list_models(&token, "").await;
    assert_eq!(names(&all), vec!["Churn-Model"]);
}

#[tokio::test]
async fn create_without_credentials_is_401() {
    let server = TestServer::start().await;

    let resp = server
        .anonymous()
        .post("/api/v1/models", json!({"name": "anonymous"}))
        .await;

    assert_error(resp, 401, "NOT_AUTHENTICATED").await;
}

// ---------------------------------------------------------------------------------------------
// Reading one

#[tokio::test]
async fn get_by_name_in_any_case_or_by_id() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let created = server
        .create_model(&token, json!({"name": "Churn-Model"}))
        .await;
    let id = created["id"].as_str().expect("id");

    for key in ["Churn-Model", "churn-model", "CHURN-MODEL", id] {
        let model = server
            .get_json(&format!("/api/v1/models/{key}"), &token)
            .await;
        assert_eq!(model["id"], created["id"], "looked up by {key}");
        assert_eq!(model["name"], "Churn-Model", "looked up by {key}");
        assert_eq!(model["role"], "OWNER");
    }
}

#[tokio::test]
async fn unknown_model_is_404() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let caller = server.as_user(&token);
    let answers = [
        caller.get(&model_url("no-such-model")).await,
        caller
            .get(&model_url("00000000-0000-4000-8000-000000000000"))
            .await,
        server
            .patch_model(&token, "no-such-model", json!({"description": "x"}))
            .await,
        caller.delete(&model_url("no-such-model")).await,
    ];
    for resp in answers {
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }
}

// ---------------------------------------------------------------------------------------------
// Durability

#[tokio::test]
async fn models_survive_a_restart() {
    let mut server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let created = server
        .create_model(
            &token,
            json!({"name": "durable", "description": "kept", "tags": ["disk"], "visibility": "internal"}),
        )
        .await;

    server.restart().await;

    let fetched = server.get_json("/api/v1/models/durable", &token).await;
    assert_eq!(fetched, created, "the model comes back exactly as created");
    let all = server.list_models(&token, "").await;
    assert_eq!(all["total_count"], 1);
}

/// Writes that read before they write (name checks, lookups) must wait for each other, not fail:
/// with a deferred transaction SQLite refuses the late writer ("database is locked") and the
/// client got a 500.
#[tokio::test]
async fn concurrent_writes_all_succeed() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let send = |method: reqwest::Method, path: String, body: Value| {
        server
            .client
            .request(method, server.url(&path))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let statuses = |responses: Vec<reqwest::Result<reqwest::Response>>| {
        responses
            .into_iter()
            .map(|r| r.expect("send a request").status().as_u16())
            .collect::<Vec<_>>()
    };
    let n = 8;
    let created = futures_util::future::join_all((0..n).flat_map(|i| {
        [
            send(
                reqwest::Method::POST,
                "/api/v1/users".into(),
                json!({"username": format!("user-{i}"), "password": "a-long-enough-password"}),
            ),
            send(
                reqwest::Method::POST,
                "/api/v1/teams".into(),
                json!({"name": format!("team-{i}")}),
            ),
            send(
                reqwest::Method::POST,
                "/api/v1/models".into(),
                json!({"name": format!("model-{i}")}),
            ),
        ]
    }))
    .await;
    assert_eq!(statuses(created), vec![201; 3 * n]);
    server.create_model(&admin, json!({"name": "shared"})).await;
    let changed = futures_util::future::join_all((0..n).flat_map(|i| {
        [
            send(
                reqwest::Method::PATCH,
                "/api/v1/models/shared/access".into(),
                json!({"data": [{"username": format!("user-{i}"), "role": "VIEWER"}]}),
            ),
            send(
                reqwest::Method::PUT,
                format!("/api/v1/teams/team-0/members/user-{i}"),
                json!({}),
            ),
            send(
                reqwest::Method::PATCH,
                format!("/api/v1/models/model-{i}"),
                json!({"name": format!("renamed-{i}")}),
            ),
            send(
                reqwest::Method::PATCH,
                format!("/api/v1/users/user-{i}"),
                json!({"display_name": format!("User {i}")}),
            ),
        ]
    }))
    .await;
    assert_eq!(statuses(changed), vec![200; 4 * n]);
}

// ---------------------------------------------------------------------------------------------
// Model cards

#[tokio::test]
async fn a_cards_front_matter_becomes_fields_and_its_license_filters_the_list() {
    let server = TestServer::start().await;
    let token = server.user_with_token("carder", false);
    let card = "---\nlicense: MIT\ndatasets:\n  - churn-2024\nlanguage: en\ntags: [tabular]\nmetrics: [auc]\n---\n# Churn\n\nScores churn.";
    let model = server
        .create_model(
            &token,
            json!({"name": "licensed", "readme": card, "visibility": "public"}),
        )
        .await;
    assert_eq!(model["license"], "mit");
    assert_eq!(
        model["card_metadata"],
        json!({"license": "mit", "datasets": ["churn-2024"], "language": ["en"], "tags": ["tabular"], "metrics": ["auc"]})
    );
    assert_eq!(model["readme"], card, "the card is kept as written");
    server
        .create_model(
            &token,
            json!({"name": "unlicensed", "readme": "# No front matter"}),
        )
        .await;

    let listed = server.get_json("/api/v1/models?license=MIT", &token).await;
    assert_eq!(names(&listed), ["licensed"]);
    assert_eq!(
        listed["data"][0]["card_metadata"]["datasets"][0],
        "churn-2024"
    );
    let resp = server
        .as_user(&token)
        .get("/api/v1/models?license=not%20a%20license")
        .await;
    assert_invalid(resp, "INVALID_MODEL_CARD", "license").await;

    // A card whose front matter cannot be read is refused and the model keeps its card.
    for bad in [
        "---\nlicense: [a, b]\n---\n",
        "---\ndatasets: {x: 1}\n---\n",
        "---\nlicense: 'open\n---\n",
    ] {
        let resp = server
            .as_user(&token)
            .patch("/api/v1/models/licensed", json!({"readme": bad}))
            .await;
        assert_invalid(resp, "INVALID_MODEL_CARD", "readme").await;
    }
    let resp = server
        .as_user(&token)
        .patch(
            "/api/v1/models/licensed",
            json!({"readme": "---\nlicense: apache-2.0\n---\nNew words."}),
        )
        .await;
    let patched = expect_json(resp, StatusCode::OK).await;
    assert_eq!(patched["license"], "apache-2.0");
    assert_eq!(
        names(&server.get_json("/api/v1/models?license=mit", &token).await),
        Vec::<String>::new()
    );

    // The page shows the fields and the card without its front matter.
    let page = server
        .anonymous()
        .get("/models/licensed")
        .await
        .text()
        .await
        .expect("body")
        .replace("<!>", "");
    assert!(
        page.contains(r#"href="/models?license=apache-2.0""#),
        "{page}"
    );
    let card_html = page
        .split("data-testid=\"model-card\"")
        .nth(1)
        .and_then(|rest| rest.split("</article>").next())
        .expect("the card");
    assert!(card_html.contains("New words."), "{card_html}");
    assert!(!card_html.contains("license"), "{card_html}");
}
