//! A version's lifecycle over REST: publishing, the primary version, deactivating and deleting.

mod common;

use common::{assert_error, expect_json, numbers, server_with_model, version_url, versions_url};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Lifecycle and the primary version

#[tokio::test]
async fn publishing_freezes_a_version_and_may_be_repeated() {
    let (server, token) = server_with_model("released").await;
    server.create_version(&token, "released", json!({})).await;

    let published = server.publish(&token, "released", "0.1.0").await;
    assert_eq!(published["state"], "published");
    assert!(published["published_at"].is_string(), "{published}");

    let again = server.publish(&token, "released", "0.1.0").await;
    assert_eq!(again["state"], "published");
    assert_eq!(again["published_at"], published["published_at"]);

    let list = server
        .get_json(
            &format!("{}?state=published", versions_url("released")),
            &token,
        )
        .await;
    assert_eq!(numbers(&list), ["0.1.0"]);
    let list = server
        .get_json(&format!("{}?state=draft", versions_url("released")), &token)
        .await;
    assert_eq!(numbers(&list), Vec::<String>::new());
}

#[tokio::test]
async fn a_published_version_keeps_its_metrics_and_lineage_but_not_its_words() {
    let (server, token) = server_with_model("frozen").await;
    server.create_version(&token,
        "frozen",
        json!({"metrics": [{"key": "rmse", "value": 1.5}], "framework": {"library_name": "sklearn"}}),
    )
    .await;
    server.publish(&token, "frozen", "0.1.0").await;

    for (body, field) in [
        (
            json!({"metrics": [{"key": "rmse", "value": 0.1}]}),
            "metrics",
        ),
        (json!({"metrics": null}), "metrics"),
        (
            json!({"framework": {"library_name": "xgboost"}}),
            "framework",
        ),
        (
            json!({"environment": {"python_version": "3.12"}}),
            "environment",
        ),
        (
            json!({"run_id": "another-run", "description": "fine"}),
            "run_id",
        ),
    ] {
        let resp = server
            .as_user(&token)
            .patch(&version_url("frozen", "0.1.0"), body.clone())
            .await;
        let error = assert_error(resp, 409, "VERSION_PUBLISHED").await;
        assert_eq!(error["field"], field, "{body}");
        assert!(
            error["solution_msg"]
                .as_str()
                .is_some_and(|s| s.contains("base_version")),
            "{error}"
        );
    }
    let version = server.get_version(&token, "frozen", "0.1.0").await;
    assert_eq!(version["metrics"], json!([{"key": "rmse", "value": 1.5}]));
    assert_eq!(
        version["description"], "",
        "a refused PATCH changes nothing"
    );

    // Sending the same metrics back changes nothing, so it is not refused.
    let resp = server
        .as_user(&token)
        .patch(
            &version_url("frozen", "0.1.0"),
            json!({
                "metrics": [{"key": "rmse", "value": 1.5}],
                "description": "the release",
                "tags": ["stable"],
                "metadata": {"threshold": 0.5, "owners": ["risk"]}
            }),
        )
        .await;
    let patched = expect_json(resp, StatusCode::OK).await;
    assert_eq!(patched["description"], "the release");
    assert_eq!(patched["tags"], json!(["stable"]));
    assert_eq!(patched["metadata"]["threshold"], 0.5);

    let audit = server.get_json("/api/v1/audit?model=frozen", &token).await;
    let update = audit["data"]
        .as_array()
        .and_then(|events| events.iter().find(|e| e["action"] == "version.update"))
        .cloned()
        .unwrap_or_else(|| panic!("an audited update: {audit}"));
    assert_eq!(
        update["details"]["fields"],
        json!(["description", "metadata", "tags"])
    );
}

#[tokio::test]
async fn a_draft_cannot_be_primary() {
    let (server, token) = server_with_model("unready").await;
    server.create_version(&token, "unready", json!({})).await;

    let resp = server.promote(&token, "unready", "0.1.0").await;
    assert_error(resp, 409, "VERSION_CANNOT_BE_PRIMARY").await;

    let model = server.get_model(&token, "unready").await;
    assert_eq!(model["primary_version"], Value::Null);
    let resp = server
        .as_user(&token)
        .get(&version_url("unready", "primary"))
        .await;
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
}

#[tokio::test]
async fn primary_defaults_to_the_newest_published_version_until_one_is_promoted() {
    let (server, token) = server_with_model("ranked").await;
    for _ in 0..3 {
        server.create_version(&token, "ranked", json!({})).await;
    }
    server.publish(&token, "ranked", "0.1.0").await;
    assert_eq!(
        server.get_model(&token, "ranked").await["primary_version"],
        "0.1.0"
    );
    server.publish(&token, "ranked", "0.2.0").await;

    let model = server.get_model(&token, "ranked").await;
    assert_eq!(model["primary_version"], "0.2.0");
    assert_eq!(model["latest_version"], "0.3.0");
    assert_eq!(
        server.get_version(&token, "ranked", "0.2.0").await["is_primary"],
        true
    );
    assert_eq!(
        server.get_version(&token, "ranked", "0.1.0").await["is_primary"],
        false
    );

    let resp = server.promote(&token, "ranked", "0.1.0").await;
    let model = expect_json(resp, StatusCode::OK).await;
    assert_eq!(model["primary_version"], "0.1.0");
    assert_eq!(
        server.get_version(&token, "ranked", "0.1.0").await["is_primary"],
        true
    );
    assert_eq!(
        server.get_version(&token, "ranked", "0.2.0").await["is_primary"],
        false
    );

    // A promoted version stays primary when newer ones are published.
    server.publish(&token, "ranked", "0.3.0").await;
    assert_eq!(
        server.get_model(&token, "ranked").await["primary_version"],
        "0.1.0"
    );
}

#[tokio::test]
async fn the_promoted_primary_version_cannot_be_deactivated() {
    let (server, token) = server_with_model("pinned").await;
    server.create_version(&token, "pinned", json!({})).await;
    server.create_version(&token, "pinned", json!({})).await;
    server.publish(&token, "pinned", "0.1.0").await;
    server.publish(&token, "pinned", "0.2.0").await;
    expect_json(
        server.promote(&token, "pinned", "0.1.0").await,
        StatusCode::OK,
    )
    .await;

    let resp = server
        .version_action(&token, "pinned", "0.1.0", "deactivate")
        .await;
    assert_error(resp, 409, "VERSION_IS_PRIMARY").await;

    let version = server.get_version(&token, "pinned", "0.1.0").await;
    assert_eq!(version["active"], true);
    assert_eq!(
        server.get_model(&token, "pinned").await["primary_version"],
        "0.1.0"
    );
}

#[tokio::test]
async fn an_inactive_version_cannot_be_promoted_until_activated_again() {
    let (server, token) = server_with_model("dormant").await;
    server.create_version(&token, "dormant", json!({})).await;
    server.create_version(&token, "dormant", json!({})).await;
    server.publish(&token, "dormant", "0.1.0").await;
    server.publish(&token, "dormant", "0.2.0").await;

    let resp = server
        .version_action(&token, "dormant", "0.1.0", "deactivate")
        .await;
    let version = expect_json(resp, StatusCode::OK).await;
    assert_eq!(version["active"], false);
    assert_eq!(version["state"], "published");

    let resp = server.promote(&token, "dormant", "0.1.0").await;
    assert_error(resp, 409, "VERSION_CANNOT_BE_PRIMARY").await;
    assert_eq!(
        server.get_model(&token, "dormant").await["primary_version"],
        "0.2.0"
    );

    let resp = server
        .version_action(&token, "dormant", "0.1.0", "activate")
        .await;
    let version = expect_json(resp, StatusCode::OK).await;
    assert_eq!(version["active"], true);
    let model = expect_json(
        server.promote(&token, "dormant", "0.1.0").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(model["primary_version"], "0.1.0");
}

#[tokio::test]
async fn deactivating_the_default_primary_falls_back_to_the_next_published_version() {
    let (server, token) = server_with_model("fallback").await;
    server.create_version(&token, "fallback", json!({})).await;
    server.create_version(&token, "fallback", json!({})).await;
    server.publish(&token, "fallback", "0.1.0").await;
    server.publish(&token, "fallback", "0.2.0").await;
    assert_eq!(
        server.get_model(&token, "fallback").await["primary_version"],
        "0.2.0"
    );

    let resp = server
        .version_action(&token, "fallback", "0.2.0", "deactivate")
        .await;
    expect_json(resp, StatusCode::OK).await;

    let model = server.get_model(&token, "fallback").await;
    assert_eq!(
        model["primary_version"], "0.1.0",
        "an inactive version is never primary"
    );
    assert_eq!(
        server.get_version(&token, "fallback", "0.2.0").await["is_primary"],
        false
    );
}

// ---------------------------------------------------------------------------------------------
// Deleting

#[tokio::test]
async fn deleting_a_version_keeps_the_model_and_the_other_versions() {
    let (server, token) = server_with_model("pruning").await;
    server
        .upload_version_with(&token, "pruning", &[], &[("a.txt", b"a")])
        .await;
    server
        .upload_version_with(&token, "pruning", &[], &[("a.txt", b"b")])
        .await;

    let resp = server
        .as_user(&token)
        .delete(&version_url("pruning", "0.2.0"))
        .await;
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["model_deleted"], false, "{body}");
    assert_eq!(body["version"], "0.2.0", "{body}");

    let resp = server
        .as_user(&token)
        .get(&version_url("pruning", "0.2.0"))
        .await;
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    let model = server.get_model(&token, "pruning").await;
    assert_eq!(model["version_count"], 1);
    assert_eq!(model["latest_version"], "0.1.0");
    assert_eq!(
        server.file_bytes(&token, "pruning", "0.1.0", "a.txt").await,
        b"a"
    );
}

#[tokio::test]
async fn deleting_the_only_version_deletes_the_model() {
    let (server, token) = server_with_model("solo").await;
    server
        .upload_version_with(&token, "solo", &[], &[("a.txt", b"a")])
        .await;

    let resp = server
        .as_user(&token)
        .delete(&version_url("solo", "0.1.0"))
        .await;
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["model_deleted"], true, "{body}");

    let resp = server.as_user(&token).get("/api/v1/models/solo").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let list = server.get_json("/api/v1/models", &token).await;
    assert_eq!(list["total_count"], 0, "{list}");
}

#[tokio::test]
async fn an_abandoned_first_upload_can_go_without_taking_the_model() {
    let (server, token) = server_with_model("kept").await;
    server.create_version(&token, "kept", json!({})).await;

    let resp = server
        .as_user(&token)
        .delete(&format!("{}?keep_model=true", version_url("kept", "0.1.0")))
        .await;
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["model_deleted"], false, "{body}");
    let model = server.get_model(&token, "kept").await;
    assert_eq!(model["version_count"], 0, "{model}");
    assert_eq!(model["latest_version"], Value::Null);

    let resp = server
        .as_user(&token)
        .delete(&format!(
            "{}?keep_model=maybe",
            version_url("kept", "0.1.0")
        ))
        .await;
    assert_error(resp, 400, "INVALID_QUERY").await;
}

#[tokio::test]
async fn deleting_a_version_drops_its_aliases_and_its_promotion() {
    let (server, token) = server_with_model("shrinking").await;
    for _ in 0..3 {
        server.create_version(&token, "shrinking", json!({})).await;
        let latest = server.get_version(&token, "shrinking", "latest").await;
        server
            .publish(
                &token,
                "shrinking",
                latest["version"].as_str().expect("number"),
            )
            .await;
    }
    expect_json(
        server.promote(&token, "shrinking", "0.2.0").await,
        StatusCode::OK,
    )
    .await;
    server
        .alias(&token, "shrinking", "production", "0.2.0")
        .await;

    let resp = server
        .as_user(&token)
        .delete(&version_url("shrinking", "production"))
        .await;
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["version"], "0.2.0");
    assert_eq!(body["model_deleted"], false);

    let model = server.get_model(&token, "shrinking").await;
    assert_eq!(model["aliases"], json!([]));
    assert_eq!(
        model["primary_version"], "0.3.0",
        "the primary falls back to the newest published version"
    );
    let resp = server
        .as_user(&token)
        .get(&version_url("shrinking", "production"))
        .await;
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    let history = server
        .get_json(
            "/api/v1/models/shrinking/aliases/production/history",
            &token,
        )
        .await;
    assert_eq!(history["total_count"], 2, "{history}");
    assert_eq!(history["data"][0]["from_version"], "0.2.0");
    assert_eq!(history["data"][0]["to_version"], Value::Null);
    assert_eq!(
        history["data"][0]["reason"], "version 0.2.0 was deleted",
        "the removal is in the history: {history}"
    );
    assert_eq!(
        history["data"][1]["to_version"], "0.2.0",
        "history outlives the version: {history}"
    );
}
