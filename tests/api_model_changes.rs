//! Changing and deleting models over REST, and who sees which model.

mod common;

use common::{TestServer, assert_error, assert_invalid, expect_json, model_url, names};
use reqwest::StatusCode;
use serde_json::{Value, json};

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

    let resp = server
        .patch_model(
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

    let resp = server
        .patch_model(&token, "m", json!({"target_type": null}))
        .await;
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

    let resp = server
        .patch_model(
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
    let resp = server.as_user(&token).get(&model_url("old-name")).await;
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
        let resp = server.patch_model(&token, "steady", body).await;
        assert_invalid(resp, code, field).await;
    }

    let resp = server
        .patch_model(&token, "steady", json!({"colour": "red"}))
        .await;
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

    let resp = server
        .patch_model(&token, "mover", json!({"name": "taken"}))
        .await;

    assert_error(resp, 409, "MODEL_NAME_TAKEN").await;
    let mover = server.get_json("/api/v1/models/mover", &token).await;
    assert_eq!(mover["name"], "mover");
}

#[tokio::test]
async fn renaming_a_model_to_another_case_of_its_own_name_is_allowed() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "churn"})).await;

    let resp = server
        .patch_model(&token, "churn", json!({"name": "Churn"}))
        .await;

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

    let resp = server.as_user(&token).delete("/api/v1/models/DOOMED").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let resp = server.as_user(&token).get(&model_url("doomed")).await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = server.as_user(&token).delete("/api/v1/models/doomed").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    assert_eq!(names(&server.list_models(&token, "").await), ["survivor"]);
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

    let answers = [
        server.as_user(&bob).get(&model_url("secret-model")).await,
        server
            .patch_model(&bob, "secret-model", json!({"description": "mine now"}))
            .await,
        server
            .as_user(&bob)
            .delete(&model_url("secret-model"))
            .await,
    ];
    for resp in answers {
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }

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

    let resp = server
        .patch_model(&bob, "shared-model", json!({"description": "bob's"}))
        .await;
    assert_error(resp, 403, "FORBIDDEN").await;
    let resp = server
        .as_user(&bob)
        .delete("/api/v1/models/shared-model")
        .await;
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

    let for_bob = server.list_models(&bob, "?order_by=name").await;
    assert_eq!(
        names(&for_bob),
        ["b-internal", "c-public", "d-bobs-private"]
    );
    assert_eq!(for_bob["total_count"], 3);
    let for_alice = server.list_models(&alice, "?order_by=name").await;
    assert_eq!(names(&for_alice), ["a-private", "b-internal", "c-public"]);
    let for_admin = server.list_models(&root, "?order_by=name").await;
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

    let resp = server.anonymous().get(&model_url("open-model")).await;
    let model = expect_json(resp, StatusCode::OK).await;
    assert_eq!(model["name"], "open-model");
    assert_eq!(model["role"], Value::Null, "anonymous readers have no role");

    for hidden in ["staff-model", "closed-model"] {
        let resp = server.anonymous().get(&model_url(hidden)).await;
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }

    let resp = server.anonymous().get("/api/v1/models").await;
    let anonymous_list = expect_json(resp, StatusCode::OK).await;
    assert_eq!(names(&anonymous_list), ["open-model"]);

    let resp = server
        .anonymous()
        .patch(
            "/api/v1/models/open-model",
            json!({"description": "vandalised"}),
        )
        .await;
    assert_error(resp, 401, "NOT_AUTHENTICATED").await;
    let resp = server.anonymous().delete("/api/v1/models/open-model").await;
    assert_error(resp, 401, "NOT_AUTHENTICATED").await;
}
