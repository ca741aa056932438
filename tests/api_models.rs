//! The models REST API, driven over HTTP against the real binary.

mod common;

use common::{
    TestServer, assert_error, assert_invalid, body_json, content_type, expect_json, names,
};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

/// GET /api/v1/models with a query string (including the leading `?`, or empty).
async fn list(server: &TestServer, token: &str, query: &str) -> Value {
    server
        .get_json(&format!("/api/v1/models{query}"), token)
        .await
}

/// The absolute URL of a `next` / `previous` link, which may be a path or a full URL.
fn link_url(server: &TestServer, link: &Value) -> String {
    let link = link
        .as_str()
        .unwrap_or_else(|| panic!("expected a link, got {link}"));
    if link.starts_with("http://") || link.starts_with("https://") {
        link.to_owned()
    } else {
        assert!(link.starts_with('/'), "links are paths or URLs: {link}");
        server.url(link)
    }
}

async fn follow(server: &TestServer, token: &str, link: &Value) -> Value {
    let resp = server
        .client
        .get(link_url(server, link))
        .bearer_auth(token)
        .send()
        .await
        .expect("follow a paging link");
    expect_json(resp, StatusCode::OK).await
}

async fn patch_model(
    server: &TestServer,
    token: &str,
    model: &str,
    body: Value,
) -> reqwest::Response {
    server
        .patch(&format!("/api/v1/models/{model}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("PATCH a model")
}

async fn get_model(server: &TestServer, token: &str, model: &str) -> reqwest::Response {
    server
        .get(&format!("/api/v1/models/{model}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET a model")
}

async fn get_anonymously(server: &TestServer, model: &str) -> reqwest::Response {
    server
        .get(&format!("/api/v1/models/{model}"))
        .send()
        .await
        .expect("GET a model without credentials")
}

/// Model names in the list answered for `query`.
async fn names_in(server: &TestServer, token: &str, query: &str) -> Vec<String> {
    names(&list(server, token, query).await)
}

fn is_utc_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.contains('T') && (t.ends_with('Z') || t.ends_with("+00:00")))
}

// ---------------------------------------------------------------------------------------------
// Creating

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
        let resp = server
            .post("/api/v1/models")
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("POST /api/v1/models");
        assert_invalid(resp, code, field).await;
    }

    let all = list(&server, &token, "").await;
    assert_eq!(all["total_count"], 0, "no invalid model was stored: {all}");
}

#[tokio::test]
async fn missing_name_is_422() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .json(&json!({"description": "no name"}))
        .send()
        .await
        .expect("POST /api/v1/models");

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
        .post("/api/v1/models")
        .bearer_auth(&token)
        .json(&json!({"name": "colourful", "colour": "red"}))
        .send()
        .await
        .expect("POST /api/v1/models");

    assert_error(resp, 422, "INVALID_FIELD").await;
    let resp = get_model(&server, &token, "colourful").await;
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
            .post("/api/v1/models")
            .bearer_auth(&token)
            .json(&json!({"name": name}))
            .send()
            .await
            .expect("POST /api/v1/models");
        assert_error(resp, 409, "MODEL_NAME_TAKEN").await;
    }

    let all = list(&server, &token, "").await;
    assert_eq!(names(&all), vec!["Churn-Model"]);
}

#[tokio::test]
async fn create_without_credentials_is_401() {
    let server = TestServer::start().await;

    let resp = server
        .post("/api/v1/models")
        .json(&json!({"name": "anonymous"}))
        .send()
        .await
        .expect("POST /api/v1/models");

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

    let resp = get_model(&server, &token, "no-such-model").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;

    let resp = get_model(&server, &token, "00000000-0000-4000-8000-000000000000").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;

    let resp = patch_model(
        &server,
        &token,
        "no-such-model",
        json!({"description": "x"}),
    )
    .await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;

    let resp = server
        .delete("/api/v1/models/no-such-model")
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE");
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

// ---------------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn list_answers_the_envelope_with_counts() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let empty = list(&server, &token, "").await;
    assert_eq!(empty["count"], 0);
    assert_eq!(empty["total_count"], 0);
    assert_eq!(empty["data"], json!([]));

    for name in ["a", "b", "c"] {
        server.create_model(&token, json!({"name": name})).await;
    }
    let page = list(&server, &token, "").await;

    assert_eq!(page["count"], 3);
    assert_eq!(page["total_count"], 3);
    assert_eq!(page["offset"], 0);
    assert_eq!(page["limit"], 50, "the default limit is 50");
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["previous"], Value::Null);
    assert_eq!(page["data"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn paging_follows_next_and_previous_links() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    for name in ["m3", "m1", "m5", "m2", "m4"] {
        server.create_model(&token, json!({"name": name})).await;
    }

    let first = list(&server, &token, "?order_by=name&limit=2").await;
    assert_eq!(names(&first), vec!["m1", "m2"]);
    assert_eq!(first["count"], 2);
    assert_eq!(first["total_count"], 5);
    assert_eq!(first["offset"], 0);
    assert_eq!(first["limit"], 2);
    assert_eq!(first["previous"], Value::Null);

    let second = follow(&server, &token, &first["next"]).await;
    assert_eq!(names(&second), vec!["m3", "m4"], "next keeps the order");
    assert_eq!(second["offset"], 2);
    assert_eq!(second["total_count"], 5);
    assert!(second["previous"].is_string(), "{second}");

    let third = follow(&server, &token, &second["next"]).await;
    assert_eq!(names(&third), vec!["m5"]);
    assert_eq!(third["count"], 1);
    assert_eq!(third["next"], Value::Null, "no page after the last");

    let back = follow(&server, &token, &third["previous"]).await;
    assert_eq!(names(&back), vec!["m3", "m4"]);
    let start = follow(&server, &token, &second["previous"]).await;
    assert_eq!(names(&start), vec!["m1", "m2"]);
}

#[tokio::test]
async fn offset_past_the_end_is_an_empty_page() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    for name in ["a", "b"] {
        server.create_model(&token, json!({"name": name})).await;
    }

    let page = list(&server, &token, "?offset=10&limit=5").await;

    assert_eq!(page["count"], 0);
    assert_eq!(page["total_count"], 2);
    assert_eq!(page["data"], json!([]));
    assert_eq!(page["next"], Value::Null);
}

#[tokio::test]
async fn paging_out_of_range_is_422_invalid_paging() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for query in ["?limit=0", "?limit=1001", "?offset=-1", "?limit=-5"] {
        let resp = server
            .get(&format!("/api/v1/models{query}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET /api/v1/models");
        assert_error(resp, 422, "INVALID_PAGING").await;
    }
    let max = list(&server, &token, "?limit=1000").await;
    assert_eq!(max["limit"], 1000);
}

#[tokio::test]
async fn non_numeric_paging_is_400_invalid_query() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for query in ["?limit=ten", "?offset=abc"] {
        let resp = server
            .get(&format!("/api/v1/models{query}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET /api/v1/models");
        assert_error(resp, 400, "INVALID_QUERY").await;
    }
}

#[tokio::test]
async fn unknown_order_by_is_422_invalid_order_by() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for query in [
        "?order_by=size",
        "?order_by=--name",
        "?order_by=name,created",
    ] {
        let resp = server
            .get(&format!("/api/v1/models{query}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET /api/v1/models");
        assert_error(resp, 422, "INVALID_ORDER_BY").await;
    }
}

#[tokio::test]
async fn order_by_name_created_and_updated() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    for name in ["b-model", "a-model", "c-model"] {
        server.create_model(&token, json!({"name": name})).await;
    }

    assert_eq!(
        names_in(&server, &token, "?order_by=name").await,
        ["a-model", "b-model", "c-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=-name").await,
        ["c-model", "b-model", "a-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=created").await,
        ["b-model", "a-model", "c-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=-created").await,
        ["c-model", "a-model", "b-model"]
    );
    assert_eq!(
        names_in(&server, &token, "").await,
        ["c-model", "a-model", "b-model"],
        "default is -updated"
    );

    let resp = patch_model(
        &server,
        &token,
        "b-model",
        json!({"description": "touched"}),
    )
    .await;
    expect_json(resp, StatusCode::OK).await;

    assert_eq!(
        names_in(&server, &token, "").await,
        ["b-model", "c-model", "a-model"],
        "a change moves a model up"
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=-updated").await,
        ["b-model", "c-model", "a-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=updated").await,
        ["a-model", "c-model", "b-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=created").await,
        ["b-model", "a-model", "c-model"],
        "a change does not alter creation order"
    );
}

#[tokio::test]
async fn search_matches_name_description_and_tags_ignoring_case() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(
            &token,
            json!({"name": "churn-model", "description": "Predicts customer churn", "target_type": "binary"}),
        )
        .await;
    server
        .create_model(
            &token,
            json!({"name": "fraud-detector", "description": "Flags card transactions", "tags": ["Payments", "risk"], "target_type": "anomaly"}),
        )
        .await;
    server
        .create_model(
            &token,
            json!({"name": "image-classifier", "description": "A CNN for product photos", "target_type": "multiclass"}),
        )
        .await;

    let by_name = list(&server, &token, "?search=CHURN").await;
    assert_eq!(names(&by_name), ["churn-model"]);
    assert_eq!(by_name["total_count"], 1);
    assert_eq!(
        names(&list(&server, &token, "?search=transactions").await),
        ["fraud-detector"]
    );
    assert_eq!(
        names(&list(&server, &token, "?search=cnn").await),
        ["image-classifier"]
    );
    assert_eq!(
        names(&list(&server, &token, "?search=payMENTS").await),
        ["fraud-detector"]
    );
    assert_eq!(
        names(&list(&server, &token, "?search=-&order_by=name").await),
        ["churn-model", "fraud-detector", "image-classifier"]
    );

    let none = list(&server, &token, "?search=zebra").await;
    assert_eq!(none["count"], 0);
    assert_eq!(none["total_count"], 0);
    assert_eq!(none["data"], json!([]));
}

#[tokio::test]
async fn tag_and_target_type_filter_the_list() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(
            &token,
            json!({"name": "churn-model", "tags": ["tabular"], "target_type": "binary"}),
        )
        .await;
    server
        .create_model(&token, json!({"name": "fraud-detector", "tags": ["Payments", "tabular"], "target_type": "anomaly"}))
        .await;
    server
        .create_model(
            &token,
            json!({"name": "image-classifier", "tags": ["vision"], "target_type": "multiclass"}),
        )
        .await;

    assert_eq!(
        names(&list(&server, &token, "?tag=Payments").await),
        ["fraud-detector"]
    );
    assert_eq!(
        names(&list(&server, &token, "?tag=tabular&order_by=name").await),
        ["churn-model", "fraud-detector"]
    );
    assert_eq!(
        names(&list(&server, &token, "?target_type=multiclass").await),
        ["image-classifier"]
    );
    assert_eq!(
        names(&list(&server, &token, "?tag=tabular&target_type=binary").await),
        ["churn-model"]
    );
}

// ---------------------------------------------------------------------------------------------
// Changing

#[tokio::test]
async fn patch_changes_only_the_given_fields() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let before = server
        .create_model(
            &token,
            json!({"name": "churn-model", "description": "old", "target_type": "binary", "tags": ["a"], "target_name": "churned"}),
        )
        .await;

    let resp = patch_model(
        &server,
        &token,
        "churn-model",
        json!({"description": "new words", "tags": ["b", "c"], "metadata": {"team": "growth"}}),
    )
    .await;
    let after = expect_json(resp, StatusCode::OK).await;

    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["description"], "new words");
    assert_eq!(after["tags"], json!(["b", "c"]));
    assert_eq!(after["metadata"], json!({"team": "growth"}));
    assert_eq!(after["target_type"], "binary", "untouched fields stay");
    assert_eq!(after["target_name"], "churned", "untouched fields stay");
    assert_eq!(after["created_at"], before["created_at"]);
    let fetched = server.get_json("/api/v1/models/churn-model", &token).await;
    assert_eq!(fetched["description"], "new words", "the change is stored");
}

#[tokio::test]
async fn patch_null_clears_target_type() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(&token, json!({"name": "m", "target_type": "regression"}))
        .await;

    let resp = patch_model(&server, &token, "m", json!({"target_type": null})).await;
    let after = expect_json(resp, StatusCode::OK).await;

    assert_eq!(after["target_type"], Value::Null);
    let fetched = server.get_json("/api/v1/models/m", &token).await;
    assert_eq!(fetched["target_type"], Value::Null);
}

#[tokio::test]
async fn patch_can_rename_change_visibility_and_archive() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let created = server
        .create_model(&token, json!({"name": "old-name"}))
        .await;

    let resp = patch_model(
        &server,
        &token,
        "OLD-NAME",
        json!({"name": "new-name", "visibility": "public", "archived": true}),
    )
    .await;
    let after = expect_json(resp, StatusCode::OK).await;

    assert_eq!(after["name"], "new-name");
    assert_eq!(after["visibility"], "public");
    assert_eq!(after["archived"], true);
    assert_eq!(after["id"], created["id"]);
    let resp = get_model(&server, &token, "old-name").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let fetched = server.get_json("/api/v1/models/new-name", &token).await;
    assert_eq!(fetched["id"], created["id"]);
}

#[tokio::test]
async fn patch_validates_like_create_and_leaves_the_model_unchanged() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(
            &token,
            json!({"name": "steady", "description": "as it was"}),
        )
        .await;
    let before = server.get_json("/api/v1/models/steady", &token).await;

    let cases = [
        (json!({"name": "bad name!"}), "INVALID_MODEL_NAME", "name"),
        (json!({"name": ""}), "INVALID_MODEL_NAME", "name"),
        (
            json!({"description": "d".repeat(1025)}),
            "INVALID_DESCRIPTION",
            "description",
        ),
        (
            json!({"readme": "r".repeat(65_537)}),
            "INVALID_README",
            "readme",
        ),
        (
            json!({"target_type": "classification"}),
            "INVALID_TARGET_TYPE",
            "target_type",
        ),
        (
            json!({"target_name": "t".repeat(257)}),
            "INVALID_TARGET_NAME",
            "target_name",
        ),
        (
            json!({"class_labels": ["a", "a"]}),
            "INVALID_CLASS_LABELS",
            "class_labels",
        ),
        (json!({"tags": ["  "]}), "INVALID_TAGS", "tags"),
        (
            json!({"metadata": {"k": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}}),
            "INVALID_METADATA",
            "metadata",
        ),
        (
            json!({"visibility": "secret"}),
            "INVALID_VISIBILITY",
            "visibility",
        ),
        // One bad field spoils the whole change.
        (
            json!({"description": "would change", "visibility": "secret"}),
            "INVALID_VISIBILITY",
            "visibility",
        ),
    ];
    for (i, (body, code, field)) in cases.into_iter().enumerate() {
        eprintln!("case {i}: expecting {code} on {field}");
        let resp = patch_model(&server, &token, "steady", body).await;
        assert_invalid(resp, code, field).await;
    }

    let resp = patch_model(&server, &token, "steady", json!({"colour": "red"})).await;
    assert_error(resp, 422, "INVALID_FIELD").await;

    let after = server.get_json("/api/v1/models/steady", &token).await;
    assert_eq!(after, before, "failed changes leave the model as it was");
}

#[tokio::test]
async fn rename_onto_another_name_ignoring_case_is_409() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "Taken"})).await;
    server.create_model(&token, json!({"name": "mover"})).await;

    let resp = patch_model(&server, &token, "mover", json!({"name": "taken"})).await;

    assert_error(resp, 409, "MODEL_NAME_TAKEN").await;
    let mover = server.get_json("/api/v1/models/mover", &token).await;
    assert_eq!(mover["name"], "mover");
}

#[tokio::test]
async fn renaming_a_model_to_another_case_of_its_own_name_is_allowed() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "churn"})).await;

    let resp = patch_model(&server, &token, "churn", json!({"name": "Churn"})).await;

    let after = expect_json(resp, StatusCode::OK).await;
    assert_eq!(after["name"], "Churn");
}

// ---------------------------------------------------------------------------------------------
// Deleting

#[tokio::test]
async fn delete_is_204_then_404() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "doomed"})).await;
    server
        .create_model(&token, json!({"name": "survivor"}))
        .await;

    let resp = server
        .delete("/api/v1/models/DOOMED")
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let resp = get_model(&server, &token, "doomed").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = server
        .delete("/api/v1/models/doomed")
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE again");
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    assert_eq!(names(&list(&server, &token, "").await), ["survivor"]);
    // The name is free again.
    server.create_model(&token, json!({"name": "doomed"})).await;
}

// ---------------------------------------------------------------------------------------------
// Who sees what

#[tokio::test]
async fn private_model_is_404_for_another_user_but_visible_to_admins() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    let root = server.user_with_token("root", true);
    server
        .create_model(&alice, json!({"name": "secret-model"}))
        .await;

    let resp = get_model(&server, &bob, "secret-model").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = patch_model(
        &server,
        &bob,
        "secret-model",
        json!({"description": "mine now"}),
    )
    .await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = server
        .delete("/api/v1/models/secret-model")
        .bearer_auth(&bob)
        .send()
        .await
        .expect("DELETE");
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;

    let seen_by_admin = server.get_json("/api/v1/models/secret-model", &root).await;
    assert_eq!(seen_by_admin["name"], "secret-model");
    let still = server.get_json("/api/v1/models/secret-model", &alice).await;
    assert_eq!(still["description"], "", "bob's attempts changed nothing");
}

#[tokio::test]
async fn internal_model_is_readable_but_not_changeable_by_another_user() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    server
        .create_model(
            &alice,
            json!({"name": "shared-model", "description": "alice's", "visibility": "internal"}),
        )
        .await;

    let seen = server.get_json("/api/v1/models/shared-model", &bob).await;
    assert_eq!(seen["name"], "shared-model");
    assert!(
        seen["role"] != "OWNER" && seen["role"] != "EDITOR",
        "bob has no grant: {seen}"
    );

    let resp = patch_model(
        &server,
        &bob,
        "shared-model",
        json!({"description": "bob's"}),
    )
    .await;
    assert_error(resp, 403, "FORBIDDEN").await;
    let resp = server
        .delete("/api/v1/models/shared-model")
        .bearer_auth(&bob)
        .send()
        .await
        .expect("DELETE");
    assert_error(resp, 403, "FORBIDDEN").await;

    let after = server.get_json("/api/v1/models/shared-model", &alice).await;
    assert_eq!(after["description"], "alice's");
}

#[tokio::test]
async fn list_shows_only_models_the_caller_can_see() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    let root = server.user_with_token("root", true);
    for (name, visibility) in [
        ("a-private", "private"),
        ("b-internal", "internal"),
        ("c-public", "public"),
    ] {
        server
            .create_model(&alice, json!({"name": name, "visibility": visibility}))
            .await;
    }
    server
        .create_model(&bob, json!({"name": "d-bobs-private"}))
        .await;

    let for_bob = list(&server, &bob, "?order_by=name").await;
    assert_eq!(
        names(&for_bob),
        ["b-internal", "c-public", "d-bobs-private"]
    );
    assert_eq!(for_bob["total_count"], 3);
    let for_alice = list(&server, &alice, "?order_by=name").await;
    assert_eq!(names(&for_alice), ["a-private", "b-internal", "c-public"]);
    let for_admin = list(&server, &root, "?order_by=name").await;
    assert_eq!(for_admin["total_count"], 4);
}

#[tokio::test]
async fn public_model_is_readable_without_credentials() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    server
        .create_model(
            &alice,
            json!({"name": "open-model", "visibility": "public"}),
        )
        .await;
    server
        .create_model(
            &alice,
            json!({"name": "staff-model", "visibility": "internal"}),
        )
        .await;
    server
        .create_model(&alice, json!({"name": "closed-model"}))
        .await;

    let resp = get_anonymously(&server, "open-model").await;
    let model = expect_json(resp, StatusCode::OK).await;
    assert_eq!(model["name"], "open-model");
    assert_eq!(model["role"], Value::Null, "anonymous readers have no role");

    for hidden in ["staff-model", "closed-model"] {
        let resp = get_anonymously(&server, hidden).await;
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }

    let resp = server.get("/api/v1/models").send().await.expect("GET list");
    let anonymous_list = expect_json(resp, StatusCode::OK).await;
    assert_eq!(names(&anonymous_list), ["open-model"]);

    let resp = server
        .patch("/api/v1/models/open-model")
        .json(&json!({"description": "vandalised"}))
        .send()
        .await
        .expect("PATCH");
    assert_error(resp, 401, "NOT_AUTHENTICATED").await;
    let resp = server
        .delete("/api/v1/models/open-model")
        .send()
        .await
        .expect("DELETE");
    assert_error(resp, 401, "NOT_AUTHENTICATED").await;
}

// ---------------------------------------------------------------------------------------------
// Request handling

#[tokio::test]
async fn malformed_json_is_400() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "m"})).await;

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"name": "broken","#)
        .send()
        .await
        .expect("POST");
    assert_error(resp, 400, "MALFORMED_JSON").await;

    let resp = server
        .patch("/api/v1/models/m")
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "application/json")
        .body("{description: 'x'}")
        .send()
        .await
        .expect("PATCH");
    assert_error(resp, 400, "MALFORMED_JSON").await;
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_415() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let body = r#"{"name": "typed"}"#;

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "text/plain")
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE").await;

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE").await;

    let resp = get_model(&server, &token, "typed").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

#[tokio::test]
async fn body_over_one_mebibyte_is_413() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let body = format!(
        r#"{{"name": "huge", "description": "{}"}}"#,
        "x".repeat(1024 * 1024 + 64)
    );

    // A server that answers before reading the whole body may reset the connection under a
    // client still sending; only such transport failures are retried.
    let mut attempts = 0;
    let resp = loop {
        attempts += 1;
        let sent = server
            .post("/api/v1/models")
            .bearer_auth(&token)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(resp) => break resp,
            Err(e) if attempts < 5 => eprintln!("attempt {attempts}: {e}"),
            Err(e) => panic!("no response to an oversized body after {attempts} attempts: {e}"),
        }
    };
    assert_error(resp, 413, "BODY_TOO_LARGE").await;

    let resp = get_model(&server, &token, "huge").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

#[tokio::test]
async fn unknown_api_route_is_404_json() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for path in [
        "/api/v1/no-such-thing",
        "/api/v2/models",
        "/api/nothing/here",
    ] {
        let resp = server
            .get(path)
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET");
        let kind = content_type(&resp);
        assert!(
            kind.starts_with("application/json"),
            "{path} should answer JSON, got {kind:?}"
        );
        assert_error(resp, 404, "NOT_FOUND").await;
    }
    let resp = server
        .get("/api/v1/no-such-thing")
        .send()
        .await
        .expect("GET without credentials");
    assert_error(resp, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let doc = server.get_json("/api/v1/openapi.json", &token).await;

    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "OpenAPI 3.1, got {version:?}");
    let paths = doc["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("`paths` should be an object: {doc}"));
    for (path, methods) in [
        ("/api/v1/models", &["get", "post"][..]),
        ("/api/v1/models/{model}", &["get", "patch", "delete"][..]),
        ("/api/v1/me", &["get"][..]),
        ("/api/v1/tokens", &["get", "post"][..]),
        ("/api/v1/tokens/{id}", &["delete"][..]),
    ] {
        let item = paths.get(path).unwrap_or_else(|| {
            panic!("{path} missing from {:?}", paths.keys().collect::<Vec<_>>())
        });
        for method in methods {
            assert!(
                item.get(*method).is_some(),
                "{method} {path} is not documented"
            );
        }
    }
}

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
    let all = list(&server, &token, "").await;
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
        .get("/api/v1/models?license=not%20a%20license")
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_invalid(resp, "INVALID_MODEL_CARD", "license").await;

    // A card whose front matter cannot be read is refused and the model keeps its card.
    for bad in [
        "---\nlicense: [a, b]\n---\n",
        "---\ndatasets: {x: 1}\n---\n",
        "---\nlicense: 'open\n---\n",
    ] {
        let resp = server
            .patch("/api/v1/models/licensed")
            .bearer_auth(&token)
            .json(&json!({"readme": bad}))
            .send()
            .await
            .expect("PATCH");
        assert_invalid(resp, "INVALID_MODEL_CARD", "readme").await;
    }
    let resp = server
        .patch("/api/v1/models/licensed")
        .bearer_auth(&token)
        .json(&json!({"readme": "---\nlicense: apache-2.0\n---\nNew words."}))
        .send()
        .await
        .expect("PATCH");
    let patched = expect_json(resp, StatusCode::OK).await;
    assert_eq!(patched["license"], "apache-2.0");
    assert_eq!(
        names(&server.get_json("/api/v1/models?license=mit", &token).await),
        Vec::<String>::new()
    );

    // The page shows the fields and the card without its front matter.
    let page = server
        .get("/models/licensed")
        .send()
        .await
        .expect("GET the model page")
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
