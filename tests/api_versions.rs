//! The versions REST API: numbering, the fields a version keeps (apart from its model's), lists,
//! naming a version by number, alias, `latest` or `primary`, and surviving a restart; driven over
//! HTTP against the real binary, as are the other `api_*` tests.

mod common;

use common::{
    TestServer, assert_error, assert_invalid, expect_json, expected_files, files_of, numbers,
    server_with_model, upload_form, version_url, versions_url,
};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

// ---------------------------------------------------------------------------------------------
// Numbering

#[tokio::test]
async fn first_version_is_0_1_0_and_bumps_default_to_minor() {
    let (server, token) = server_with_model("numbered").await;

    let first = server.create_version(&token, "numbered", json!({})).await;
    assert_eq!(first["version"], "0.1.0");
    assert_eq!(first["state"], "draft");
    assert_eq!(first["registration"], "ready");
    assert_eq!(first["active"], true);
    assert_eq!(first["is_primary"], false);
    assert_eq!(first["aliases"], json!([]));
    assert_eq!(first["files"], json!([]));
    assert_eq!(first["created_by"], "alice");

    for (bump, expected) in [
        (None, "0.2.0"),
        (Some("patch"), "0.2.1"),
        (Some("patch"), "0.2.2"),
        (Some("minor"), "0.3.0"),
        (Some("major"), "1.0.0"),
        (None, "1.1.0"),
        (Some("patch"), "1.1.1"),
        (Some("major"), "2.0.0"),
    ] {
        let body = match bump {
            Some(b) => json!({"bump": b}),
            None => json!({}),
        };
        let version = server.create_version(&token, "numbered", body).await;
        assert_eq!(version["version"], expected, "bump {bump:?}");
    }

    let list = server.get_json(&versions_url("numbered"), &token).await;
    assert_eq!(
        numbers(&list),
        [
            "2.0.0", "1.1.1", "1.1.0", "1.0.0", "0.3.0", "0.2.2", "0.2.1", "0.2.0", "0.1.0"
        ],
        "newest first"
    );
    assert_eq!(list["total_count"], 9);
    let model = server.get_model(&token, "numbered").await;
    assert_eq!(model["version_count"], 9);
    assert_eq!(model["latest_version"], "2.0.0");
}

#[tokio::test]
async fn an_unknown_bump_is_refused_and_creates_nothing() {
    let (server, token) = server_with_model("bumpy").await;

    for bump in ["huge", "1.0.0", "minor-ish"] {
        let resp = server
            .post_version(&token, "bumpy", json!({"bump": bump}))
            .await;
        assert_invalid(resp, "INVALID_BUMP", "bump").await;
    }
    let resp = server
        .post_upload(
            &token,
            "bumpy",
            upload_form(&[("bump", "sideways")], &[("a.txt", b"a")]),
        )
        .await;
    assert_invalid(resp, "INVALID_BUMP", "bump").await;

    assert_eq!(server.version_count(&token, "bumpy").await, 0);
    let first = server.create_version(&token, "bumpy", json!({})).await;
    assert_eq!(
        first["version"], "0.1.0",
        "refused requests used up no number"
    );
}

#[tokio::test]
async fn concurrent_creations_get_distinct_numbers() {
    let (server, token) = server_with_model("busy").await;

    let requests = (0..20).map(|_| {
        server
            .post(&versions_url("busy"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
    });
    let responses = join_all(requests).await;

    let mut seen = HashSet::new();
    for resp in responses {
        let version = expect_json(resp.expect("POST a version"), StatusCode::CREATED).await;
        let number = version["version"].as_str().expect("number").to_owned();
        assert!(seen.insert(number.clone()), "{number} was given out twice");
    }
    let expected: HashSet<String> = (1..=20).map(|minor| format!("0.{minor}.0")).collect();
    assert_eq!(seen, expected);
    assert_eq!(server.version_count(&token, "busy").await, 20);
}

// ---------------------------------------------------------------------------------------------
// Fields

#[tokio::test]
async fn json_create_stores_every_field_and_describes_how_to_fetch_the_version() {
    let (server, token) = server_with_model("scorer").await;
    let body = json!({
        "description": "Gradient boosted trees on the 2024 data",
        "metadata": {"dataset": "cards-2024", "params": {"depth": 6, "eta": 0.1}, "tuned": true},
        "tags": ["xgboost", "baseline"],
        "metrics": [
            {"key": "auc", "value": 0.91, "step": 10},
            {"key": "auc", "value": 0.93, "step": 20},
            {"key": "val/loss", "value": 0.25}
        ],
        "framework": {
            "library_name": "xgboost",
            "pipeline_tag": "tabular-classification",
            "base_model": "none"
        },
        "environment": {"python_version": "3.11", "pip_packages": ["xgboost==2.0.3"]},
        "source_uri": "s3://models/run-42/model",
        "run_id": "run-42",
        "git": {
            "commit_url": "https://git.example/org/repo/commit/1a2b3c4d",
            "main_branch_commit_sha": "1a2b3c4d",
            "pull_request_commit_sha": "5e6f7a8b",
            "ref_name": "main"
        }
    });

    let created = server.create_version(&token, "scorer", body.clone()).await;
    let fetched = server.get_version(&token, "scorer", "0.1.0").await;

    for version in [&created, &fetched] {
        for key in [
            "description",
            "metadata",
            "tags",
            "metrics",
            "framework",
            "environment",
            "source_uri",
            "run_id",
            "git",
        ] {
            assert_eq!(version[key], body[key], "field {key} in {version}");
        }
        assert_eq!(version["version"], "0.1.0");
        assert_eq!(version["fqn"], "scorer:0.1.0");
        assert_eq!(version["model_name"], "scorer");
        let download = server.url("/api/v1/models/scorer/versions/0.1.0/download");
        let curl = version["usage_snippet"]["curl"]
            .as_str()
            .expect("curl snippet");
        let python = version["usage_snippet"]["python"]
            .as_str()
            .expect("python snippet");
        assert!(curl.contains("curl"), "{curl}");
        assert!(curl.contains(&download), "{curl} should use {download}");
        assert!(python.contains(&download), "{python} should use {download}");
    }
    assert_eq!(fetched, created, "GET answers what POST answered");
}

#[tokio::test]
async fn the_model_summarizes_its_versions() {
    let (server, token) = server_with_model("summary").await;

    server.create_version(&token, "summary", json!({})).await;
    server.create_version(&token, "summary", json!({})).await;
    server.publish(&token, "summary", "0.1.0").await;
    server.alias(&token, "summary", "production", "0.1.0").await;

    let model = server.get_model(&token, "summary").await;
    assert_eq!(model["version_count"], 2);
    assert_eq!(model["latest_version"], "0.2.0");
    assert_eq!(model["primary_version"], "0.1.0");
    assert_eq!(
        model["aliases"],
        json!([{"alias": "production", "version": "0.1.0", "protected": false, "version_active": true}])
    );
}

// ---------------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn version_lists_are_paged_newest_first() {
    let (server, token) = server_with_model("paged").await;
    for _ in 0..5 {
        server.create_version(&token, "paged", json!({})).await;
    }

    let first = server
        .get_json(&format!("{}?limit=2", versions_url("paged")), &token)
        .await;
    assert_eq!(numbers(&first), ["0.5.0", "0.4.0"]);
    assert_eq!(first["count"], 2);
    assert_eq!(first["total_count"], 5);
    assert_eq!(first["previous"], Value::Null);
    let next = first["next"].as_str().expect("a next link");
    let path = next
        .strip_prefix(&server.origin())
        .unwrap_or(next)
        .to_owned();
    let second = server.get_json(&path, &token).await;
    assert_eq!(numbers(&second), ["0.3.0", "0.2.0"]);
    let last = server
        .get_json(
            &format!("{}?offset=4&limit=2", versions_url("paged")),
            &token,
        )
        .await;
    assert_eq!(numbers(&last), ["0.1.0"]);
    assert_eq!(last["next"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Naming a version

#[tokio::test]
async fn a_version_is_found_by_number_alias_latest_or_primary() {
    let (server, token) = server_with_model("named").await;
    server
        .upload_version_with(&token, "named", &[], &[("v.txt", b"one")])
        .await;
    server
        .upload_version_with(&token, "named", &[], &[("v.txt", b"two")])
        .await;
    server
        .upload_version_with(&token, "named", &[], &[("v.txt", b"three")])
        .await;
    server.publish(&token, "named", "0.1.0").await;
    server.publish(&token, "named", "0.2.0").await;
    server.alias(&token, "named", "staging", "0.1.0").await;

    for (reference, number, content) in [
        ("0.2.0", "0.2.0", &b"two"[..]),
        ("staging", "0.1.0", &b"one"[..]),
        ("latest", "0.3.0", &b"three"[..]),
        ("primary", "0.2.0", &b"two"[..]),
    ] {
        let version = server.get_version(&token, "named", reference).await;
        assert_eq!(version["version"], number, "{reference}");
        assert_eq!(
            server.file_bytes(&token, "named", reference, "v.txt").await,
            content,
            "{reference}"
        );
    }

    for unknown in ["0.9.0", "9.9.9", "nosuch"] {
        let resp = server
            .as_user(&token)
            .get(&version_url("named", unknown))
            .await;
        assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    }
}

// ---------------------------------------------------------------------------------------------
// Version and model fields stay apart

#[tokio::test]
async fn version_patch_changes_only_version_fields() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(
            &token,
            json!({"name": "patched", "description": "model-level", "tags": ["m"], "metadata": {"owner": "risk"}}),
        )
        .await;
    server
        .upload_version_with(
            &token,
            "patched",
            &[
                ("description", "v1"),
                ("run_id", "run-1"),
                ("source_uri", "s3://b/run-1"),
            ],
            &[("w.bin", b"weights")],
        )
        .await;
    let model_before = server.get_model(&token, "patched").await;
    let version_before = server.get_version(&token, "patched", "0.1.0").await;

    let resp = server
        .as_user(&token)
        .patch(
            &version_url("patched", "0.1.0"),
            json!({
                "description": "tuned",
                "tags": ["v"],
                "metadata": {"threshold": 0.4},
                "metrics": [{"key": "f1", "value": 0.8}],
                "framework": {"library_name": "sklearn"},
                "git": {"ref_name": "release"}
            }),
        )
        .await;
    let patched = expect_json(resp, StatusCode::OK).await;
    assert_eq!(patched["description"], "tuned");
    assert_eq!(patched["tags"], json!(["v"]));
    assert_eq!(patched["metadata"], json!({"threshold": 0.4}));
    assert_eq!(patched["metrics"], json!([{"key": "f1", "value": 0.8}]));
    assert_eq!(patched["framework"], json!({"library_name": "sklearn"}));
    assert_eq!(patched["git"], json!({"ref_name": "release"}));
    for unchanged in [
        "version",
        "state",
        "run_id",
        "source_uri",
        "files",
        "created_at",
    ] {
        assert_eq!(
            patched[unchanged], version_before[unchanged],
            "PATCH left {unchanged} alone"
        );
    }

    // Files and numbers are not version-level fields.
    for body in [
        json!({"files": []}),
        json!({"version": "2.0.0"}),
        json!({"state": "published"}),
    ] {
        let resp = server
            .as_user(&token)
            .patch(&version_url("patched", "0.1.0"), body.clone())
            .await;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {text}");
    }

    let version_after = server.get_version(&token, "patched", "0.1.0").await;
    assert_eq!(version_after["files"], version_before["files"]);
    assert_eq!(version_after["state"], "draft");
    let model_after = server.get_model(&token, "patched").await;
    for key in [
        "name",
        "description",
        "tags",
        "metadata",
        "version_count",
        "latest_version",
        "primary_version",
        "aliases",
    ] {
        assert_eq!(model_after[key], model_before[key], "model field {key}");
    }
}

#[tokio::test]
async fn model_patch_never_changes_versions() {
    let (server, token) = server_with_model("steady").await;
    server
        .create_version(
            &token,
            "steady",
            json!({"description": "v1", "tags": ["v"], "metadata": {"k": 1}}),
        )
        .await;
    let before = server.get_json(&versions_url("steady"), &token).await;

    let resp = server
        .as_user(&token)
        .patch(
            "/api/v1/models/steady",
            json!({"description": "new model text", "tags": ["m"], "metadata": {"team": "x"}}),
        )
        .await;
    let model = expect_json(resp, StatusCode::OK).await;
    assert_eq!(model["description"], "new model text");
    assert_eq!(model["version_count"], 1);

    let after = server.get_json(&versions_url("steady"), &token).await;
    assert_eq!(after, before, "versions are untouched by a model PATCH");
}

// ---------------------------------------------------------------------------------------------
// Durability

#[tokio::test]
async fn versions_and_files_survive_a_restart() {
    let (mut server, token) = server_with_model("durable").await;
    let weights: Vec<u8> = (0..50_000u32).map(|i| (i % 7) as u8).collect();
    let files: [(&str, &[u8]); 2] = [("model/weights.bin", &weights), ("config.json", b"{}")];
    server
        .upload_version_with(&token, "durable", &[("description", "kept")], &files)
        .await;
    server.publish(&token, "durable", "0.1.0").await;
    server
        .create_version(&token, "durable", json!({"base_version": "0.1.0"}))
        .await;
    server.alias(&token, "durable", "production", "0.1.0").await;

    server.restart().await;

    let model = server.get_model(&token, "durable").await;
    assert_eq!(model["version_count"], 2);
    assert_eq!(model["primary_version"], "0.1.0");
    assert_eq!(model["aliases"][0]["alias"], "production");
    let version = server.get_version(&token, "durable", "production").await;
    assert_eq!(version["state"], "published");
    assert_eq!(version["description"], "kept");
    assert_eq!(files_of(&version), expected_files(&files));
    for version in ["0.1.0", "0.2.0"] {
        for (path, bytes) in files {
            assert_eq!(
                server.file_bytes(&token, "durable", version, path).await,
                bytes,
                "{version} {path}"
            );
        }
    }
    let resp = server
        .as_user(&token)
        .get(&format!("{}/download", version_url("durable", "0.2.0")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("the zip");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    assert_eq!(archive.len(), 2);
}
