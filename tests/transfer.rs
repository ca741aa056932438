//! Moving a registry: `modelyard export` from a server on SQLite and local files, `modelyard
//! import` into an empty registry on the suite's backends (PostgreSQL and S3 in that pass of
//! scripts/test.sh), and everything a user had is there: sign-in, tokens, models, versions,
//! files byte for byte, aliases, datasets, feature impact and the history.

mod common;

use common::{TestServer, default_password, expect_json};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A version list without what names the server's own address (the usage snippets).
fn without_snippets(mut list: Value) -> Value {
    if let Some(items) = list["data"].as_array_mut() {
        for item in items {
            if let Some(item) = item.as_object_mut() {
                item.remove("usage_snippet");
            }
        }
    }
    list
}

async fn download(server: &TestServer, token: &str, path: &str) -> Vec<u8> {
    let resp = server.as_user(token).get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn a_registry_moves_to_another_backend_with_everything_in_it() {
    let source = TestServer::start_local().await;
    source.add_user("ops", &default_password("ops"), true);
    let token = source.add_token("ops");
    source
        .create_model(
            &token,
            json!({"name": "churn", "description": "Who leaves", "tags": ["retail"],
                   "target_type": "regression", "target_name": "target"}),
        )
        .await;
    let weights: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    source
        .upload_version(
            &token,
            "churn",
            &[("weights.bin", &weights), ("README.md", b"# v1")],
        )
        .await;
    source
        .upload_version(&token, "churn", &[("weights.bin", b"second")])
        .await;
    let resp = source
        .put("/api/v1/models/churn/aliases/production")
        .bearer_auth(&token)
        .json(&json!({"version": "0.1.0"}))
        .send()
        .await
        .expect("PUT alias");
    assert!(resp.status().is_success(), "alias: {}", resp.status());
    let csv = "x,y,target\n1,2,3\n4,5,6\n7,8,9\n";
    let resp = source
        .post("/api/v1/datasets")
        .bearer_auth(&token)
        .multipart(Form::new().part(
            "file",
            Part::bytes(csv.as_bytes().to_vec()).file_name("small.csv"),
        ))
        .send()
        .await
        .expect("POST dataset");
    let dataset = expect_json(resp, StatusCode::CREATED).await;
    let resp = source
        .put("/api/v1/models/churn/versions/0.1.0/feature-impact")
        .bearer_auth(&token)
        .json(&json!({"feature_impacts": [
            {"feature_name": "x", "impact_unnormalized": 2.0},
            {"feature_name": "y", "impact_unnormalized": 1.0}]}))
        .send()
        .await
        .expect("PUT feature impact");
    assert!(
        resp.status().is_success(),
        "import impact: {}",
        resp.status()
    );
    // Download counts move too (they are compared with the model and versions below).
    download(
        &source,
        &token,
        "/api/v1/models/churn/versions/0.1.0/files/README.md",
    )
    .await;
    let mut counted = false;
    for _ in 0..100 {
        let model = source.get_json("/api/v1/models/churn", &token).await;
        if model["download_count"] == 1 {
            counted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(counted, "the download was never counted");
    let before_model = source.get_json("/api/v1/models/churn", &token).await;
    let before_versions = source
        .get_json("/api/v1/models/churn/versions", &token)
        .await;
    let before_audit = source.get_json("/api/v1/audit", &token).await;

    let dir = tempfile::tempdir().expect("dir");
    let export_dir = dir.path().join("export");
    let export_arg = export_dir.to_str().expect("utf-8 path");
    let out = source.cli(&["export", "--to", export_arg], "");
    assert!(out.status.success(), "export: {}", output_text(&out));
    assert!(
        output_text(&out).contains("4 stored files"),
        "{}",
        output_text(&out)
    );
    // A second export into the same directory is refused.
    let out = source.cli(&["export", "--to", export_arg], "");
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("is not empty"),
        "{}",
        output_text(&out)
    );

    let target = TestServer::start().await;
    let out = target.cli(&["import", "--from", export_arg], "");
    assert!(out.status.success(), "import: {}", output_text(&out));
    // The registry is no longer empty: importing again is refused, nothing changes.
    let out = target.cli(&["import", "--from", export_arg], "");
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("already has 1 user(s)"),
        "{}",
        output_text(&out)
    );

    // The same token and password work on the new backend.
    let cookie = target.login_cookie("ops", &default_password("ops")).await;
    assert!(!cookie.is_empty());
    let model = target.get_json("/api/v1/models/churn", &token).await;
    assert_eq!(model, before_model);
    let versions = target
        .get_json("/api/v1/models/churn/versions", &token)
        .await;
    assert_eq!(
        without_snippets(versions),
        without_snippets(before_versions.clone())
    );
    assert_eq!(
        download(
            &target,
            &token,
            "/api/v1/models/churn/versions/0.1.0/files/weights.bin"
        )
        .await,
        weights
    );
    assert_eq!(
        download(
            &target,
            &token,
            "/api/v1/models/churn/versions/0.2.0/files/weights.bin"
        )
        .await,
        b"second"
    );
    // (The alias is in the version list compared above.)
    assert_eq!(before_versions["data"][1]["aliases"][0], "production");
    let impact = target
        .get_json("/api/v1/models/churn/versions/0.1.0/feature-impact", &token)
        .await;
    assert_eq!(
        impact["feature_impacts"][0]["feature_name"], "x",
        "{impact}"
    );
    let id = dataset["id"].as_str().expect("dataset id");
    let moved = target
        .get_json(&format!("/api/v1/datasets/{id}"), &token)
        .await;
    assert_eq!(moved["row_count"], 3, "{moved}");
    let audit = target.get_json("/api/v1/audit", &token).await;
    assert_eq!(audit["data"], before_audit["data"]);

    // New rows get new ids after the imported ones.
    target
        .create_model(&token, json!({"name": "after-the-move"}))
        .await;
    let audit = target.get_json("/api/v1/audit", &token).await;
    assert_eq!(audit["data"][0]["action"], "model.create", "{audit}");
}

#[tokio::test]
async fn an_import_refuses_what_is_not_an_export() {
    let target = TestServer::start().await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("manifest.json"), b"{\"format\": \"zip\"}").expect("write");
    let out = target.cli(
        &["import", "--from", dir.path().to_str().expect("path")],
        "",
    );
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("is not a manifest"),
        "{}",
        output_text(&out)
    );
    // Nothing was imported: the registry still offers its first-admin setup.
    let resp = target
        .get("/api/v1/models")
        .send()
        .await
        .expect("GET models");
    assert_ne!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
