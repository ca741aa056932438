//! Copying a model: its versions, files and aliases, without touching the source.

mod common;

use common::{
    assert_error, expect_json, files_of, numbers, server_with_model, stored_blobs, versions_url,
};
use reqwest::StatusCode;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Copies

#[tokio::test]
async fn copy_duplicates_versions_files_and_aliases_without_touching_the_source() {
    let (server, token) = server_with_model("origin").await;
    server
        .upload_version_with(
            &token,
            "origin",
            &[("description", "first")],
            &[("model/w.bin", b"weights-1"), ("config.json", b"{}")],
        )
        .await;
    server
        .upload_version_with(&token, "origin", &[], &[("model/w.bin", b"weights-2")])
        .await;
    server.publish(&token, "origin", "0.1.0").await;
    expect_json(
        server
            .set_alias(
                &token,
                "origin",
                "production",
                json!({"version": "0.1.0", "protected": true}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    let source_model = server.get_model(&token, "origin").await;
    let source_versions = server.get_json(&versions_url("origin"), &token).await;
    let blobs_before = stored_blobs(&server).len();

    let resp = server
        .as_user(&token)
        .post("/api/v1/models/origin/copy", json!({"name": "clone"}))
        .await;
    let copy = expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(copy["name"], "clone");
    assert_ne!(copy["id"], source_model["id"]);
    assert_eq!(copy["role"], "OWNER");
    assert_eq!(copy["version_count"], 2);
    assert_eq!(copy["latest_version"], "0.2.0");
    assert_eq!(copy["primary_version"], "0.1.0");
    assert_eq!(
        copy["aliases"],
        json!([{"alias": "production", "version": "0.1.0", "protected": true, "version_active": true}])
    );

    let copied_versions = server.get_json(&versions_url("clone"), &token).await;
    assert_eq!(numbers(&copied_versions), numbers(&source_versions));
    for (copied, source) in copied_versions["data"]
        .as_array()
        .expect("versions")
        .iter()
        .zip(source_versions["data"].as_array().expect("versions"))
    {
        assert_eq!(files_of(copied), files_of(source), "{}", copied["version"]);
        for key in ["state", "description", "active", "aliases"] {
            assert_eq!(copied[key], source[key], "{key} of {}", copied["version"]);
        }
        assert_eq!(
            copied["fqn"],
            format!("clone:{}", copied["version"].as_str().expect("number"))
        );
    }
    assert_eq!(
        server
            .file_bytes(&token, "clone", "production", "model/w.bin")
            .await,
        b"weights-1"
    );
    assert_eq!(
        stored_blobs(&server).len(),
        blobs_before,
        "no bytes were copied"
    );

    // The copy is independent: changing its draft leaves the source alone.
    let resp = server
        .put_file(&token, "clone", "0.2.0", "model/w.bin", b"weights-3")
        .await;
    expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        server.get_json(&versions_url("origin"), &token).await,
        source_versions,
        "the source's versions are untouched"
    );
    let source_after = server.get_model(&token, "origin").await;
    for key in [
        "version_count",
        "latest_version",
        "primary_version",
        "aliases",
    ] {
        assert_eq!(source_after[key], source_model[key], "source {key}");
    }
}

#[tokio::test]
async fn copy_to_a_taken_name_is_409() {
    let (server, token) = server_with_model("original").await;
    server.create_model(&token, json!({"name": "other"})).await;
    server.create_version(&token, "original", json!({})).await;

    for taken in ["other", "OTHER", "original"] {
        let resp = server
            .as_user(&token)
            .post("/api/v1/models/original/copy", json!({"name": taken}))
            .await;
        assert_error(resp, 409, "MODEL_NAME_TAKEN").await;
    }
    assert_eq!(server.version_count(&token, "other").await, 0);
}
