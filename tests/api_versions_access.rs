//! Who may read and change the versions of internal, public and private models.

mod common;

use common::{
    TestServer, assert_error, body_json, expect_json, file_url, upload_form, version_url,
    versions_url, without_usage,
};
use reqwest::{Response, StatusCode};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Access

#[tokio::test]
async fn another_user_can_read_but_not_change_versions_of_an_internal_model() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    server
        .create_model(&alice, json!({"name": "shared", "visibility": "internal"}))
        .await;
    server
        .upload_version_with(&alice, "shared", &[], &[("w.bin", b"weights")])
        .await;
    server.create_version(&alice, "shared", json!({})).await;
    server.publish(&alice, "shared", "0.1.0").await;
    let before = server.get_json(&versions_url("shared"), &alice).await;

    // Reading works.
    assert_eq!(
        server.get_version(&bob, "shared", "0.1.0").await["version"],
        "0.1.0"
    );
    assert_eq!(
        server.file_bytes(&bob, "shared", "0.1.0", "w.bin").await,
        b"weights"
    );

    // Every write is refused.
    let attempts: Vec<(&str, Response)> = vec![
        (
            "create",
            server.post_version(&bob, "shared", json!({})).await,
        ),
        (
            "upload",
            server
                .post_upload(&bob, "shared", upload_form(&[], &[("x.bin", b"x")]))
                .await,
        ),
        (
            "put file",
            server
                .put_file(&bob, "shared", "0.2.0", "x.bin", b"x")
                .await,
        ),
        (
            "delete file",
            server
                .as_user(&bob)
                .delete(&file_url("shared", "0.1.0", "w.bin"))
                .await,
        ),
        (
            "patch",
            server
                .as_user(&bob)
                .patch(
                    &version_url("shared", "0.1.0"),
                    json!({"description": "bob's"}),
                )
                .await,
        ),
        (
            "publish",
            server
                .version_action(&bob, "shared", "0.2.0", "publish")
                .await,
        ),
        (
            "deactivate",
            server
                .version_action(&bob, "shared", "0.1.0", "deactivate")
                .await,
        ),
        ("promote", server.promote(&bob, "shared", "0.1.0").await),
        (
            "alias",
            server
                .set_alias(&bob, "shared", "production", json!({"version": "0.1.0"}))
                .await,
        ),
        (
            "delete version",
            server
                .as_user(&bob)
                .delete(&version_url("shared", "0.2.0"))
                .await,
        ),
    ];
    for (what, resp) in attempts {
        let status = resp.status();
        let body = body_json(resp).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
        assert_eq!(body["error_code"], "FORBIDDEN", "{what}: {body}");
    }

    // Bob's download is counted (tests/downloads.rs); everything else is as it was.
    let after = server.get_json(&versions_url("shared"), &alice).await;
    assert_eq!(
        without_usage(after),
        without_usage(before),
        "bob's attempts changed nothing"
    );
    assert_eq!(
        server.get_model(&alice, "shared").await["aliases"],
        json!([])
    );
}

#[tokio::test]
async fn anyone_reads_a_public_model_but_writing_needs_a_sign_in() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    server
        .create_model(&alice, json!({"name": "open", "visibility": "public"}))
        .await;
    server
        .upload_version_with(&alice, "open", &[], &[("w.bin", b"weights")])
        .await;

    let resp = server.anonymous().get(&version_url("open", "0.1.0")).await;
    assert_eq!(expect_json(resp, StatusCode::OK).await["version"], "0.1.0");
    let resp = server
        .anonymous()
        .get(&file_url("open", "0.1.0", "w.bin"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.expect("body").as_ref(), b"weights");

    let resp = server
        .anonymous()
        .post(&versions_url("open"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = server
        .anonymous()
        .put_bytes(&file_url("open", "0.1.0", "x.bin"), b"x")
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.version_count(&alice, "open").await, 1);
}

#[tokio::test]
async fn versions_of_a_private_model_are_404_for_another_user() {
    let server = TestServer::start().await;
    let alice = server.user_with_token("alice", false);
    let bob = server.user_with_token("bob", false);
    server.create_model(&alice, json!({"name": "secret"})).await;
    server
        .upload_version_with(&alice, "secret", &[], &[("w.bin", b"weights")])
        .await;
    server.publish(&alice, "secret", "0.1.0").await;
    server.alias(&alice, "secret", "production", "0.1.0").await;

    let reads = [
        versions_url("secret"),
        version_url("secret", "0.1.0"),
        version_url("secret", "production"),
        format!("{}/files", version_url("secret", "0.1.0")),
        file_url("secret", "0.1.0", "w.bin"),
        format!("{}/download", version_url("secret", "0.1.0")),
        "/api/v1/models/secret/aliases".to_owned(),
        "/api/v1/models/secret/aliases/production/history".to_owned(),
    ];
    for path in reads {
        let resp = server.as_user(&bob).get(&path).await;
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }
    let writes = [
        server.post_version(&bob, "secret", json!({})).await,
        server
            .put_file(&bob, "secret", "0.1.0", "x.bin", b"x")
            .await,
        server
            .version_action(&bob, "secret", "0.1.0", "deactivate")
            .await,
        server
            .as_user(&bob)
            .post("/api/v1/models/secret/copy", json!({"name": "stolen"}))
            .await,
    ];
    for resp in writes {
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }

    assert_eq!(server.version_count(&alice, "secret").await, 1);
}
