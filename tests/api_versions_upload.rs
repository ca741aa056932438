//! Uploading versions over REST: multipart uploads, starting from a base version, and the upload
//! limit.

mod common;

use common::{
    TestServer, assert_422_for_field, assert_error, assert_invalid, assert_no_temp_uploads,
    content_type, expect_json, expected_files, file_part, file_url, files_of, header, numbers,
    server_with_model, stored_blobs, upload_form, version_url, versions_url,
};
use futures_util::future::join_all;
use reqwest::StatusCode;
use reqwest::header::CONNECTION;
use reqwest::multipart::Form;
use serde_json::json;
use std::collections::HashSet;

// ---------------------------------------------------------------------------------------------
// Multipart uploads

#[tokio::test]
async fn multipart_create_stores_fields_and_files_under_their_relative_paths() {
    let (server, token) = server_with_model("uploaded").await;
    // Larger than the 1 MiB JSON body limit: uploads are bounded by the upload limit only.
    let weights: Vec<u8> = (0..=255u8).cycle().take(3 * 1024 * 1024 + 17).collect();
    let config: &[u8] = br#"{"layers": 3}"#;
    let readme: &[u8] = b"# Uploaded\n";
    let files: [(&str, &[u8]); 3] = [
        ("model/weights.bin", &weights),
        ("config.json", config),
        ("README.md", readme),
    ];

    let version = server
        .upload_version_with(
            &token,
            "uploaded",
            &[
                ("description", "from a form"),
                ("tags", r#"["cnn", "vision"]"#),
                ("metadata", r#"{"epochs": 12}"#),
                (
                    "metrics",
                    r#"[{"key": "accuracy", "value": 0.97, "step": 12}]"#,
                ),
                ("framework", r#"{"library_name": "torch"}"#),
                (
                    "environment",
                    r#"{"python_version": "3.12", "pip_packages": []}"#,
                ),
                ("run_id", "run-7"),
            ],
            &files,
        )
        .await;

    assert_eq!(version["version"], "0.1.0");
    assert_eq!(version["state"], "draft");
    assert_eq!(version["registration"], "ready");
    assert_eq!(version["description"], "from a form");
    assert_eq!(version["tags"], json!(["cnn", "vision"]));
    assert_eq!(version["metadata"], json!({"epochs": 12}));
    assert_eq!(
        version["metrics"],
        json!([{"key": "accuracy", "value": 0.97, "step": 12}])
    );
    assert_eq!(version["framework"]["library_name"], "torch");
    assert_eq!(version["environment"]["python_version"], "3.12");
    assert_eq!(version["run_id"], "run-7");
    assert_eq!(files_of(&version), expected_files(&files));
    assert_eq!(version["file_count"], 3);
    assert_eq!(
        version["total_size"],
        (weights.len() + config.len() + readme.len()) as i64
    );

    let fetched = server.get_version(&token, "uploaded", "0.1.0").await;
    assert_eq!(files_of(&fetched), expected_files(&files));
    let listed = server
        .get_json(
            &format!("{}/files", version_url("uploaded", "0.1.0")),
            &token,
        )
        .await;
    assert_eq!(listed["count"], 3);
    assert_eq!(
        files_of(&json!({"files": listed["data"]})),
        expected_files(&files)
    );
    for (path, bytes) in files {
        assert_eq!(
            server.file_bytes(&token, "uploaded", "0.1.0", path).await,
            bytes,
            "{path}"
        );
    }

    let published = server
        .upload_version_with(
            &token,
            "uploaded",
            &[("publish", "true")],
            &[("model/weights.bin", &weights)],
        )
        .await;
    assert_eq!(published["version"], "0.2.0");
    assert_eq!(published["state"], "published");
}

#[tokio::test]
async fn multipart_file_names_that_escape_the_version_are_refused() {
    let (server, token) = server_with_model("escape").await;

    for bad in ["../x", "/etc/passwd", "a/../../b", "a\\b", "a//b"] {
        // A good file first, so the refusal has to undo a version already under way.
        let form = upload_form(&[("description", "sneaky")], &[("ok.txt", b"fine")])
            .part("files", file_part(bad, b"payload"));
        let resp = server.post_upload(&token, "escape", form).await;
        assert_error(resp, 422, "INVALID_FILE_PATH").await;

        let resp = server
            .post_upload(&token, "escape", form_only_file(bad))
            .await;
        assert_error(resp, 422, "INVALID_FILE_PATH").await;
    }

    assert_eq!(server.version_count(&token, "escape").await, 0);
    let list = server.get_json(&versions_url("escape"), &token).await;
    assert_eq!(list["total_count"], 0, "no version is left behind: {list}");
    assert_no_temp_uploads(&server);
}

fn form_only_file(path: &str) -> Form {
    Form::new().part("files", file_part(path, b"payload"))
}

#[tokio::test]
async fn fields_that_decide_the_number_must_come_before_the_files() {
    let (server, token) = server_with_model("ordered").await;
    server.create_version(&token, "ordered", json!({})).await;

    let form = upload_form(&[], &[("weights.bin", b"0101")]).text("bump", "patch");
    let resp = server.post_upload(&token, "ordered", form).await;
    assert_invalid(resp, "FIELD_AFTER_FILES", "bump").await;

    let model = server.get_model(&token, "ordered").await;
    assert_eq!(model["version_count"], 1);
    assert_eq!(model["latest_version"], "0.1.0");
}

#[tokio::test]
async fn multipart_file_paths_are_normalized_and_typed_by_extension() {
    let (server, token) = server_with_model("tidy").await;

    let version = server
        .upload_version_with(
            &token,
            "tidy",
            &[],
            &[("./model/./weights.bin", b"w"), ("config.json", b"{}")],
        )
        .await;
    let files = version["files"].as_array().expect("files");
    let paths: Vec<&str> = files.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, ["config.json", "model/weights.bin"], "{version}");
    let config = files
        .iter()
        .find(|f| f["path"] == "config.json")
        .expect("config.json");
    assert_eq!(config["content_type"], "application/json");

    let resp = server
        .get_file(&token, "tidy", "0.1.0", "config.json")
        .await;
    assert_eq!(content_type(&resp), "application/json");
    let resp = server
        .post_upload(
            &token,
            "tidy",
            upload_form(&[], &[("a.bin", b"1"), ("./a.bin", b"2")]),
        )
        .await;
    assert_error(resp, 422, "DUPLICATE_FILE_PATH").await;
    assert_eq!(server.version_count(&token, "tidy").await, 1);
}

#[tokio::test]
async fn concurrent_uploads_get_distinct_numbers_and_keep_their_own_files() {
    let (server, token) = server_with_model("parallel").await;

    let uploads = (0..8).map(|i| {
        let content = format!("content of upload {i}");
        server
            .post(&versions_url("parallel"))
            .bearer_auth(&token)
            .multipart(upload_form(
                &[("description", &format!("upload {i}"))],
                &[("data.txt", content.as_bytes())],
            ))
            .send()
    });
    let responses = join_all(uploads).await;

    let mut seen = HashSet::new();
    for resp in responses {
        let version = expect_json(resp.expect("POST an upload"), StatusCode::CREATED).await;
        let number = version["version"].as_str().expect("number").to_owned();
        assert!(seen.insert(number.clone()), "{number} was given out twice");
        let i = version["description"]
            .as_str()
            .and_then(|d| d.strip_prefix("upload "))
            .expect("description");
        let expected = format!("content of upload {i}");
        assert_eq!(
            server
                .file_bytes(&token, "parallel", &number, "data.txt")
                .await,
            expected.as_bytes(),
            "{number}"
        );
    }
    assert_eq!(seen.len(), 8);
    assert_eq!(server.version_count(&token, "parallel").await, 8);
}

// ---------------------------------------------------------------------------------------------
// Starting from a base version

#[tokio::test]
async fn base_version_inherits_files_then_removes_and_replaces_some() {
    let (server, token) = server_with_model("layered").await;
    let base_files: [(&str, &[u8]); 3] = [
        ("a.bin", b"alpha"),
        ("b.bin", b"bravo"),
        ("c/c.bin", b"charlie"),
    ];
    server
        .upload_version_with(&token, "layered", &[], &base_files)
        .await;
    server.publish(&token, "layered", "0.1.0").await;

    let second = server
        .upload_version_with(
            &token,
            "layered",
            &[("base_version", "0.1.0"), ("delete_paths", "b.bin")],
            &[("c/c.bin", b"charlie-2"), ("d.bin", b"delta")],
        )
        .await;
    assert_eq!(second["version"], "0.2.0");
    assert_eq!(second["base_version"], "0.1.0");
    let expected: [(&str, &[u8]); 3] = [
        ("a.bin", b"alpha"),
        ("c/c.bin", b"charlie-2"),
        ("d.bin", b"delta"),
    ];
    assert_eq!(files_of(&second), expected_files(&expected));
    assert_eq!(
        server.file_bytes(&token, "layered", "0.2.0", "a.bin").await,
        b"alpha"
    );
    assert_eq!(
        server
            .file_bytes(&token, "layered", "0.2.0", "c/c.bin")
            .await,
        b"charlie-2"
    );

    let base = server.get_version(&token, "layered", "0.1.0").await;
    assert_eq!(
        files_of(&base),
        expected_files(&base_files),
        "the base is untouched"
    );

    // JSON only: inherit everything but d.bin, upload nothing.
    let third = server
        .create_version(
            &token,
            "layered",
            json!({"base_version": "0.2.0", "delete_paths": ["d.bin"]}),
        )
        .await;
    let expected: [(&str, &[u8]); 2] = [("a.bin", b"alpha"), ("c/c.bin", b"charlie-2")];
    assert_eq!(files_of(&third), expected_files(&expected));

    // Inherited files share the bytes: one blob per distinct content. (In a bucket, storing
    // identical bytes once is checked by the storage tests of the S3 backend.)
    let distinct = ["alpha", "bravo", "charlie", "charlie-2", "delta"];
    if common::local_storage() {
        assert_eq!(
            stored_blobs(&server).len(),
            distinct.len(),
            "{:?}",
            stored_blobs(&server)
        );
    }
}

#[tokio::test]
async fn delete_paths_must_name_files_of_the_base_version() {
    let (server, token) = server_with_model("pruned").await;
    server
        .upload_version_with(&token, "pruned", &[], &[("a.bin", b"alpha")])
        .await;

    let resp = server
        .post_version(
            &token,
            "pruned",
            json!({"base_version": "0.1.0", "delete_paths": ["nope.bin"]}),
        )
        .await;
    assert_422_for_field(resp, "delete_paths").await;

    let resp = server
        .post_upload(
            &token,
            "pruned",
            upload_form(
                &[("base_version", "0.1.0"), ("delete_paths", "nope.bin")],
                &[("b.bin", b"bravo")],
            ),
        )
        .await;
    assert_422_for_field(resp, "delete_paths").await;

    assert_eq!(server.version_count(&token, "pruned").await, 1);
}

#[tokio::test]
async fn delete_paths_without_a_base_version_is_refused() {
    let (server, token) = server_with_model("baseless").await;
    server
        .upload_version_with(&token, "baseless", &[], &[("a.bin", b"alpha")])
        .await;

    let resp = server
        .post_version(&token, "baseless", json!({"delete_paths": ["a.bin"]}))
        .await;
    assert_422_for_field(resp, "delete_paths").await;

    assert_eq!(server.version_count(&token, "baseless").await, 1);
}

// ---------------------------------------------------------------------------------------------
// Upload limit

const SMALL_LIMIT: &str = "1000";

#[tokio::test]
async fn limits_report_the_upload_limit_in_force() {
    let server = TestServer::start_with_env(&[("MODELYARD_MAX_UPLOAD_BYTES", SMALL_LIMIT)]).await;
    let token = server.user_with_token("alice", false);

    let limits = server.get_json("/api/v1/limits", &token).await;
    assert_eq!(limits["max_upload_bytes"], 1000, "{limits}");
    assert!(
        limits["max_files_per_version"]
            .as_i64()
            .is_some_and(|n| n > 0),
        "{limits}"
    );
}

#[tokio::test]
async fn put_over_the_upload_limit_is_413_and_keeps_nothing() {
    let server = TestServer::start_with_env(&[("MODELYARD_MAX_UPLOAD_BYTES", SMALL_LIMIT)]).await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "capped"})).await;
    server.create_version(&token, "capped", json!({})).await;

    let at_limit = vec![b'a'; 1000];
    let resp = server
        .put_file(&token, "capped", "0.1.0", "fits.bin", &at_limit)
        .await;
    expect_json(resp, StatusCode::CREATED).await;

    for size in [1001, 4096] {
        let resp = server
            .put_file(&token, "capped", "0.1.0", "big.bin", &vec![b'b'; size])
            .await;
        assert_error(resp, 413, "FILE_TOO_LARGE").await;
    }
    // Replacing a file with too many bytes keeps the old one.
    let resp = server
        .put_file(&token, "capped", "0.1.0", "fits.bin", &[b'c'; 2000])
        .await;
    assert_error(resp, 413, "FILE_TOO_LARGE").await;

    let version = server.get_version(&token, "capped", "0.1.0").await;
    assert_eq!(
        files_of(&version),
        expected_files(&[("fits.bin", &at_limit)])
    );
    let resp = server.get_file(&token, "capped", "0.1.0", "big.bin").await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
    assert_no_temp_uploads(&server);
}

#[tokio::test]
async fn multipart_over_the_upload_limit_is_413_and_creates_no_version() {
    let server = TestServer::start_with_env(&[("MODELYARD_MAX_UPLOAD_BYTES", SMALL_LIMIT)]).await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "capped"})).await;
    server.create_version(&token, "capped", json!({})).await;

    for big in [vec![b'b'; 1001], vec![b'b'; 4096]] {
        let resp = server
            .post_upload(
                &token,
                "capped",
                upload_form(
                    &[("description", "too big")],
                    &[("small.txt", b"small"), ("big.bin", &big)],
                ),
            )
            .await;
        assert_error(resp, 413, "FILE_TOO_LARGE").await;
    }

    let model = server.get_model(&token, "capped").await;
    assert_eq!(model["version_count"], 1);
    assert_eq!(model["latest_version"], "0.1.0");
    let list = server.get_json(&versions_url("capped"), &token).await;
    assert_eq!(numbers(&list), ["0.1.0"]);
    assert_no_temp_uploads(&server);

    let next = server
        .upload_version_with(&token, "capped", &[], &[("small.txt", b"small")])
        .await;
    assert_eq!(
        next["version"], "0.2.0",
        "the refused upload used up no number"
    );
}

/// When the server answers an upload before reading all of its body (an error found early, a
/// file over the limit), it closes the connection. It must say so with `Connection: close`;
/// otherwise a keep-alive client sends its next request on that dying connection and the
/// request fails (a broken pipe, or a connection closed before the response).
#[tokio::test]
async fn refused_large_uploads_tell_the_client_the_connection_closes() {
    let server = TestServer::start_with_env(&[("MODELYARD_MAX_UPLOAD_BYTES", SMALL_LIMIT)]).await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "capped"})).await;
    server.create_version(&token, "capped", json!({})).await;
    server.create_version(&token, "capped", json!({})).await;
    server.publish(&token, "capped", "0.2.0").await;
    let big = vec![b'b'; 3 * 1024 * 1024];

    let put = |version: &str, path: &str| {
        server
            .put(&file_url("capped", version, path))
            .bearer_auth(&token)
            .body(big.clone())
    };
    let upload = |path: &str| {
        server
            .post(&versions_url("capped"))
            .bearer_auth(&token)
            .multipart(upload_form(&[], &[(path, &big)]))
    };
    let cases = [
        (
            "PUT over the limit",
            put("0.1.0", "big.bin"),
            413,
            "FILE_TOO_LARGE",
        ),
        (
            "multipart over the limit",
            upload("big.bin"),
            413,
            "FILE_TOO_LARGE",
        ),
        (
            "PUT to a published version",
            put("0.2.0", "big.bin"),
            409,
            "VERSION_PUBLISHED",
        ),
        (
            "PUT to a path outside the version",
            put("0.1.0", "a%2F..%2F..%2Fb"),
            422,
            "INVALID_FILE_PATH",
        ),
        (
            "multipart with a file name outside the version",
            upload("../big.bin"),
            422,
            "INVALID_FILE_PATH",
        ),
    ];

    let mut problems = Vec::new();
    for (case, request, status, code) in cases {
        let resp = match request.send().await {
            Ok(resp) => resp,
            Err(e) => {
                problems.push(format!("{case}: the request itself failed: {e:?}"));
                continue;
            }
        };
        let connection = header(&resp, CONNECTION).to_ascii_lowercase();
        assert_error(resp, status, code).await;
        if !connection.contains("close") {
            problems.push(format!(
                "{case}: answered before the body was read without 'Connection: close' \
                 (Connection: {connection:?})"
            ));
        }
        // The very next request on the same client works.
        let next = server
            .get("/api/v1/models/capped")
            .bearer_auth(&token)
            .send()
            .await;
        if !next.as_ref().is_ok_and(|r| r.status() == StatusCode::OK) {
            problems.push(format!("{case}: the request after it failed: {next:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let model = server.get_model(&token, "capped").await;
    assert_eq!(model["version_count"], 2);
    assert_no_temp_uploads(&server);
}
