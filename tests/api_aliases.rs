//! Aliases over REST: setting, moving and removing them, their history, their names, and
//! protection.

mod common;

use common::{
    TestServer, assert_422_for_field, assert_error, expect_json, server_with_model, version_url,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Aliases

#[tokio::test]
async fn aliases_are_set_listed_moved_and_their_moves_remembered() {
    let (server, token) = server_with_model("aliased").await;
    server.create_version(&token, "aliased", json!({})).await;
    server.create_version(&token, "aliased", json!({})).await;

    let resp = server
        .set_alias(&token, "aliased", "production", json!({"version": "0.1.0"}))
        .await;
    let alias = expect_json(resp, StatusCode::OK).await;
    assert_eq!(alias["alias"], "production");
    assert_eq!(alias["version"], "0.1.0");
    assert_eq!(alias["protected"], false);
    assert_eq!(alias["updated_by"], "alice");

    let list = server
        .get_json("/api/v1/models/aliased/aliases", &token)
        .await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["data"][0]["alias"], "production");
    assert_eq!(list["data"][0]["version"], "0.1.0");
    assert_eq!(
        server.get_version(&token, "aliased", "0.1.0").await["aliases"],
        json!(["production"])
    );

    let resp = server
        .set_alias(&token, "aliased", "production", json!({"version": "0.2.0"}))
        .await;
    let moved = expect_json(resp, StatusCode::OK).await;
    assert_eq!(moved["version"], "0.2.0");
    assert_eq!(
        server.get_version(&token, "aliased", "production").await["version"],
        "0.2.0"
    );
    assert_eq!(
        server.get_version(&token, "aliased", "0.1.0").await["aliases"],
        json!([])
    );
    assert_eq!(
        server.get_version(&token, "aliased", "0.2.0").await["aliases"],
        json!(["production"])
    );

    let history = server
        .get_json("/api/v1/models/aliased/aliases/production/history", &token)
        .await;
    assert_eq!(history["total_count"], 2);
    let moves = history["data"].as_array().expect("moves");
    assert_eq!(moves[0]["from_version"], "0.1.0", "newest first: {history}");
    assert_eq!(moves[0]["to_version"], "0.2.0");
    assert_eq!(moves[0]["actor"], "alice");
    assert_eq!(moves[1]["from_version"], Value::Null);
    assert_eq!(moves[1]["to_version"], "0.1.0");
    assert_eq!(moves[1]["actor"], "alice");

    let resp = server
        .as_user(&token)
        .delete("/api/v1/models/aliased/aliases/production")
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = server
        .as_user(&token)
        .get(&version_url("aliased", "production"))
        .await;
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    let history = server
        .get_json("/api/v1/models/aliased/aliases/production/history", &token)
        .await;
    assert_eq!(history["total_count"], 3);
    assert_eq!(history["data"][0]["from_version"], "0.2.0");
    assert_eq!(history["data"][0]["to_version"], Value::Null);
    assert_eq!(
        server.get_model(&token, "aliased").await["aliases"],
        json!([])
    );
}

#[tokio::test]
async fn an_alias_must_point_at_an_existing_version() {
    let (server, token) = server_with_model("dangling").await;
    server.create_version(&token, "dangling", json!({})).await;

    // Each names the missing version in the field that gave it.
    let attempts = [
        (
            server
                .set_alias(
                    &token,
                    "dangling",
                    "production",
                    json!({"version": "3.0.0"}),
                )
                .await,
            "version",
        ),
        (server.promote(&token, "dangling", "3.0.0").await, "version"),
        (
            server
                .post_version(&token, "dangling", json!({"base_version": "3.0.0"}))
                .await,
            "base_version",
        ),
    ];
    for (resp, field) in attempts {
        assert_422_for_field(resp, field).await;
    }
    let list = server
        .get_json("/api/v1/models/dangling/aliases", &token)
        .await;
    assert_eq!(list["count"], 0, "{list}");
}

#[tokio::test]
async fn alias_names_are_lowercase_words_that_do_not_look_like_versions() {
    let (server, token) = server_with_model("strict").await;
    server.create_version(&token, "strict", json!({})).await;

    for bad in ["Prod", "1.0.0", "latest", "primary", "v1", "9lives"] {
        let resp = server
            .set_alias(&token, "strict", bad, json!({"version": "0.1.0"}))
            .await;
        assert_error(resp, 422, "INVALID_ALIAS").await;
    }
    let list = server
        .get_json("/api/v1/models/strict/aliases", &token)
        .await;
    assert_eq!(list["count"], 0, "{list}");

    for good in ["production", "staging-eu", "champion_2"] {
        let resp = server
            .set_alias(&token, "strict", good, json!({"version": "0.1.0"}))
            .await;
        expect_json(resp, StatusCode::OK).await;
    }
}

#[tokio::test]
async fn a_protected_alias_moves_only_for_an_owner() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    server
        .create_model(&alice, json!({"name": "guarded", "visibility": "internal"}))
        .await;
    server.create_version(&alice, "guarded", json!({})).await;
    server.create_version(&alice, "guarded", json!({})).await;

    let resp = server
        .set_alias(
            &alice,
            "guarded",
            "production",
            json!({"version": "0.1.0", "protected": true}),
        )
        .await;
    let alias = expect_json(resp, StatusCode::OK).await;
    assert_eq!(alias["protected"], true);
    assert_eq!(
        server.get_model(&alice, "guarded").await["aliases"],
        json!([{"alias": "production", "version": "0.1.0", "protected": true, "version_active": true}])
    );

    // bob sees the model (internal) but holds no role on it.
    let resp = server
        .set_alias(&bob, "guarded", "production", json!({"version": "0.2.0"}))
        .await;
    assert_error(resp, 403, "FORBIDDEN").await;
    let resp = server
        .as_user(&bob)
        .delete("/api/v1/models/guarded/aliases/production")
        .await;
    assert_error(resp, 403, "FORBIDDEN").await;
    assert_eq!(
        server.get_version(&bob, "guarded", "production").await["version"],
        "0.1.0"
    );

    // The owner moves it; protection stays unless changed.
    let resp = server
        .set_alias(&alice, "guarded", "production", json!({"version": "0.2.0"}))
        .await;
    let moved = expect_json(resp, StatusCode::OK).await;
    assert_eq!(moved["version"], "0.2.0");
    assert_eq!(moved["protected"], true);
    let resp = server
        .set_alias(
            &alice,
            "guarded",
            "production",
            json!({"version": "0.2.0", "protected": false}),
        )
        .await;
    assert_eq!(expect_json(resp, StatusCode::OK).await["protected"], false);
}

#[tokio::test]
async fn a_protected_alias_keeps_its_version_in_use_until_it_moves() {
    let (server, token) = server_with_model("guarded").await;
    for number in ["0.1.0", "0.2.0"] {
        server.create_version(&token, "guarded", json!({})).await;
        server.publish(&token, "guarded", number).await;
    }
    let alias =
        |version: &str, protected: bool| json!({"version": version, "protected": protected});
    let resp = server
        .set_alias(&token, "guarded", "production", alias("0.1.0", true))
        .await;
    expect_json(resp, StatusCode::OK).await;
    let resp = server
        .set_alias(&token, "guarded", "staging", alias("0.1.0", false))
        .await;
    expect_json(resp, StatusCode::OK).await;

    let post = |path: String| server.post(&path).bearer_auth(&token).send();
    let resp = post(format!("{}/deactivate", version_url("guarded", "0.1.0")))
        .await
        .expect("deactivate");
    let error = assert_error(resp, 409, "VERSION_HAS_PROTECTED_ALIAS").await;
    assert!(
        error["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("'production'")),
        "{error}"
    );
    let resp = server
        .as_user(&token)
        .delete(&version_url("guarded", "0.1.0"))
        .await;
    assert_error(resp, 409, "VERSION_HAS_PROTECTED_ALIAS").await;
    assert_eq!(
        server.get_version(&token, "guarded", "0.1.0").await["active"],
        true
    );

    // Once production moves, 0.1.0 may be withdrawn; staging stays on it, and says so.
    let resp = server
        .set_alias(&token, "guarded", "production", alias("0.2.0", true))
        .await;
    expect_json(resp, StatusCode::OK).await;
    let resp = post(format!("{}/deactivate", version_url("guarded", "0.1.0")))
        .await
        .expect("deactivate");
    expect_json(resp, StatusCode::OK).await;
    let aliases = server
        .get_json("/api/v1/models/guarded/aliases", &token)
        .await;
    assert_eq!(aliases["total_count"], 2, "{aliases}");
    assert_eq!(aliases["data"][0]["alias"], "production");
    assert_eq!(aliases["data"][0]["version_active"], true);
    assert_eq!(aliases["data"][1]["alias"], "staging");
    assert_eq!(aliases["data"][1]["version_active"], false);
    let model = server.get_model(&token, "guarded").await;
    assert_eq!(model["aliases"][1]["version_active"], false, "{model}");

    // A protected alias never points at an inactive version.
    let resp = server
        .set_alias(&token, "guarded", "production", alias("0.1.0", true))
        .await;
    assert_error(resp, 409, "VERSION_INACTIVE").await;
    let resp = server
        .set_alias(&token, "guarded", "staging", alias("0.1.0", true))
        .await;
    assert_error(resp, 409, "VERSION_INACTIVE").await;
    assert_eq!(
        server.get_model(&token, "guarded").await["aliases"][0]["version"],
        "0.2.0"
    );
}
