//! The versions REST API (numbering, fields, files, uploads, downloads, lifecycle, aliases,
//! copies), driven over HTTP against the real binary.

mod common;

use common::{TestServer, assert_error, assert_invalid, body_json, content_type, expect_json};
use futures_util::future::join_all;
use reqwest::header::{
    ACCEPT_RANGES, CONNECTION, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, ETAG,
    IF_NONE_MATCH, RANGE,
};
use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Helpers

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn versions_url(model: &str) -> String {
    format!("/api/v1/models/{model}/versions")
}

fn version_url(model: &str, version: &str) -> String {
    format!("/api/v1/models/{model}/versions/{version}")
}

/// `path` is put into the URL as given, so callers control its encoding.
fn file_url(model: &str, version: &str, path: &str) -> String {
    format!("/api/v1/models/{model}/versions/{version}/files/{path}")
}

/// A server, a user `alice` with a token, and a private model she owns.
async fn server_with_model(model: &str) -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": model})).await;
    (server, token)
}

async fn post_version(server: &TestServer, token: &str, model: &str, body: Value) -> Response {
    server
        .post(&versions_url(model))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST a version")
}

/// Creates a version from JSON, asserting 201, and returns it.
async fn create_version(server: &TestServer, token: &str, model: &str, body: Value) -> Value {
    expect_json(
        post_version(server, token, model, body).await,
        StatusCode::CREATED,
    )
    .await
}

/// A multipart form: text fields first, then one part per file, named by its relative path.
fn form(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Form {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    for (path, bytes) in files {
        form = form.part("files", file_part(path, bytes));
    }
    form
}

fn file_part(path: &str, bytes: &[u8]) -> Part {
    Part::bytes(bytes.to_vec()).file_name(path.to_owned())
}

async fn post_multipart(server: &TestServer, token: &str, model: &str, form: Form) -> Response {
    server
        .post(&versions_url(model))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("POST a multipart version")
}

/// A version list without its download figures, which reading a file changes.
fn without_usage(mut list: Value) -> Value {
    if let Some(items) = list["data"].as_array_mut() {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            item.remove("download_count");
            item.remove("last_download_at");
        }
    }
    list
}

async fn get_version(server: &TestServer, token: &str, model: &str, version: &str) -> Value {
    server.get_json(&version_url(model, version), token).await
}

async fn get_model(server: &TestServer, token: &str, model: &str) -> Value {
    server
        .get_json(&format!("/api/v1/models/{model}"), token)
        .await
}

async fn version_count(server: &TestServer, token: &str, model: &str) -> i64 {
    get_model(server, token, model).await["version_count"]
        .as_i64()
        .expect("version_count is a number")
}

async fn post_action(
    server: &TestServer,
    token: &str,
    model: &str,
    version: &str,
    action: &str,
) -> Response {
    server
        .post(&format!("{}/{action}", version_url(model, version)))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {action}: {e}"))
}

async fn publish(server: &TestServer, token: &str, model: &str, version: &str) -> Value {
    expect_json(
        post_action(server, token, model, version, "publish").await,
        StatusCode::OK,
    )
    .await
}

async fn promote(server: &TestServer, token: &str, model: &str, version: &str) -> Response {
    server
        .put(&format!("/api/v1/models/{model}/primary"))
        .bearer_auth(token)
        .json(&json!({"version": version}))
        .send()
        .await
        .expect("PUT the primary version")
}

async fn set_alias(
    server: &TestServer,
    token: &str,
    model: &str,
    alias: &str,
    body: Value,
) -> Response {
    server
        .put(&format!("/api/v1/models/{model}/aliases/{alias}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("PUT an alias")
}

async fn put_file(
    server: &TestServer,
    token: &str,
    model: &str,
    version: &str,
    path: &str,
    bytes: &[u8],
) -> Response {
    server
        .put(&file_url(model, version, path))
        .bearer_auth(token)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("PUT a file")
}

async fn get_file(
    server: &TestServer,
    token: &str,
    model: &str,
    version: &str,
    path: &str,
) -> Response {
    server
        .get(&file_url(model, version, path))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET a file")
}

/// The bytes of a file, asserting 200.
async fn file_bytes(
    server: &TestServer,
    token: &str,
    model: &str,
    version: &str,
    path: &str,
) -> Vec<u8> {
    let resp = get_file(server, token, model, version, path).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "GET file {path} of {model} {version}"
    );
    resp.bytes().await.expect("read the file").to_vec()
}

/// `path -> (size, sha256)` of a version object's files.
fn files_of(version: &Value) -> BTreeMap<String, (i64, String)> {
    version["files"]
        .as_array()
        .unwrap_or_else(|| panic!("`files` should be an array in {version}"))
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("file path").to_owned(),
                (
                    f["size"].as_i64().expect("file size"),
                    f["sha256"].as_str().expect("file sha256").to_owned(),
                ),
            )
        })
        .collect()
}

/// What `files_of` should answer for these files.
fn expected_files(files: &[(&str, &[u8])]) -> BTreeMap<String, (i64, String)> {
    files
        .iter()
        .map(|(path, bytes)| ((*path).to_owned(), (bytes.len() as i64, sha256_hex(bytes))))
        .collect()
}

/// Version numbers in a list body, in order.
fn numbers(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("`data` should be an array in {list}"))
        .iter()
        .map(|v| v["version"].as_str().expect("version number").to_owned())
        .collect()
}

fn header(resp: &Response, name: reqwest::header::HeaderName) -> String {
    resp.headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every regular file below `dir`, recursively (empty when `dir` does not exist).
fn files_below(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Stored blobs: files under `<data>/blobs`, leaving out uploads in flight under `tmp`.
fn stored_blobs(server: &TestServer) -> Vec<std::path::PathBuf> {
    let root = server.data_dir().join("blobs");
    let tmp = root.join("tmp");
    files_below(&root)
        .into_iter()
        .filter(|p| !p.starts_with(&tmp))
        .collect()
}

fn temp_uploads(server: &TestServer) -> Vec<std::path::PathBuf> {
    files_below(&server.data_dir().join("blobs").join("tmp"))
}

/// Sends one request over a plain socket, with the request target exactly as given (HTTP
/// clients normalize `..` and `%2e%2e` segments away before sending; attackers do not).
/// Returns the status code and the body.
fn raw_request(
    server: &TestServer,
    method: &str,
    target: &str,
    token: &str,
    body: &[u8],
) -> (u16, String) {
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", server.port())).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set a read timeout");
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.port(),
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send the head");
    stream.write_all(body).expect("send the body");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("read the response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Asserts a 422 that names `field`, with the usual non-empty messages; the error code is not
/// pinned down. Returns the body.
async fn assert_422_for_field(resp: Response, field: &str) -> Value {
    let status = resp.status();
    let body = body_json(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], field, "wrong field in {body}");
    for key in ["error_code", "error_msg", "solution_msg"] {
        assert!(
            !body[key].as_str().unwrap_or_default().trim().is_empty(),
            "{key} should be a non-empty string in {body}"
        );
    }
    body
}

// ---------------------------------------------------------------------------------------------
// Numbering

#[tokio::test]
async fn first_version_is_0_1_0_and_bumps_default_to_minor() {
    let (server, token) = server_with_model("numbered").await;

    let first = create_version(&server, &token, "numbered", json!({})).await;
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
        let version = create_version(&server, &token, "numbered", body).await;
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
    let model = get_model(&server, &token, "numbered").await;
    assert_eq!(model["version_count"], 9);
    assert_eq!(model["latest_version"], "2.0.0");
}

#[tokio::test]
async fn an_unknown_bump_is_refused_and_creates_nothing() {
    let (server, token) = server_with_model("bumpy").await;

    for bump in ["huge", "1.0.0", "minor-ish"] {
        let resp = post_version(&server, &token, "bumpy", json!({"bump": bump})).await;
        assert_invalid(resp, "INVALID_BUMP", "bump").await;
    }
    let resp = post_multipart(
        &server,
        &token,
        "bumpy",
        form(&[("bump", "sideways")], &[("a.txt", b"a")]),
    )
    .await;
    assert_invalid(resp, "INVALID_BUMP", "bump").await;

    assert_eq!(version_count(&server, &token, "bumpy").await, 0);
    let first = create_version(&server, &token, "bumpy", json!({})).await;
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
    assert_eq!(version_count(&server, &token, "busy").await, 20);
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

    let created = create_version(&server, &token, "scorer", body.clone()).await;
    let fetched = get_version(&server, &token, "scorer", "0.1.0").await;

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

    create_version(&server, &token, "summary", json!({})).await;
    create_version(&server, &token, "summary", json!({})).await;
    publish(&server, &token, "summary", "0.1.0").await;
    expect_json(
        set_alias(
            &server,
            &token,
            "summary",
            "production",
            json!({"version": "0.1.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let model = get_model(&server, &token, "summary").await;
    assert_eq!(model["version_count"], 2);
    assert_eq!(model["latest_version"], "0.2.0");
    assert_eq!(model["primary_version"], "0.1.0");
    assert_eq!(
        model["aliases"],
        json!([{"alias": "production", "version": "0.1.0", "protected": false, "version_active": true}])
    );
}

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

    let fetched = get_version(&server, &token, "uploaded", "0.1.0").await;
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
            file_bytes(&server, &token, "uploaded", "0.1.0", path).await,
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
        let form = form(&[("description", "sneaky")], &[("ok.txt", b"fine")])
            .part("files", file_part(bad, b"payload"));
        let resp = post_multipart(&server, &token, "escape", form).await;
        assert_error(resp, 422, "INVALID_FILE_PATH").await;

        let resp = post_multipart(&server, &token, "escape", form_only_file(bad)).await;
        assert_error(resp, 422, "INVALID_FILE_PATH").await;
    }

    assert_eq!(version_count(&server, &token, "escape").await, 0);
    let list = server.get_json(&versions_url("escape"), &token).await;
    assert_eq!(list["total_count"], 0, "no version is left behind: {list}");
    assert!(
        temp_uploads(&server).is_empty(),
        "{:?}",
        temp_uploads(&server)
    );
}

fn form_only_file(path: &str) -> Form {
    Form::new().part("files", file_part(path, b"payload"))
}

#[tokio::test]
async fn fields_that_decide_the_number_must_come_before_the_files() {
    let (server, token) = server_with_model("ordered").await;
    create_version(&server, &token, "ordered", json!({})).await;

    let form = form(&[], &[("weights.bin", b"0101")]).text("bump", "patch");
    let resp = post_multipart(&server, &token, "ordered", form).await;
    assert_invalid(resp, "FIELD_AFTER_FILES", "bump").await;

    let model = get_model(&server, &token, "ordered").await;
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

    let resp = get_file(&server, &token, "tidy", "0.1.0", "config.json").await;
    assert_eq!(content_type(&resp), "application/json");
    let resp = post_multipart(
        &server,
        &token,
        "tidy",
        form(&[], &[("a.bin", b"1"), ("./a.bin", b"2")]),
    )
    .await;
    assert_error(resp, 422, "DUPLICATE_FILE_PATH").await;
    assert_eq!(version_count(&server, &token, "tidy").await, 1);
}

#[tokio::test]
async fn concurrent_uploads_get_distinct_numbers_and_keep_their_own_files() {
    let (server, token) = server_with_model("parallel").await;

    let uploads = (0..8).map(|i| {
        let content = format!("content of upload {i}");
        server
            .post(&versions_url("parallel"))
            .bearer_auth(&token)
            .multipart(form(
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
            file_bytes(&server, &token, "parallel", &number, "data.txt").await,
            expected.as_bytes(),
            "{number}"
        );
    }
    assert_eq!(seen.len(), 8);
    assert_eq!(version_count(&server, &token, "parallel").await, 8);
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
    publish(&server, &token, "layered", "0.1.0").await;

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
        file_bytes(&server, &token, "layered", "0.2.0", "a.bin").await,
        b"alpha"
    );
    assert_eq!(
        file_bytes(&server, &token, "layered", "0.2.0", "c/c.bin").await,
        b"charlie-2"
    );

    let base = get_version(&server, &token, "layered", "0.1.0").await;
    assert_eq!(
        files_of(&base),
        expected_files(&base_files),
        "the base is untouched"
    );

    // JSON only: inherit everything but d.bin, upload nothing.
    let third = create_version(
        &server,
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

    let resp = post_version(
        &server,
        &token,
        "pruned",
        json!({"base_version": "0.1.0", "delete_paths": ["nope.bin"]}),
    )
    .await;
    assert_422_for_field(resp, "delete_paths").await;

    let resp = post_multipart(
        &server,
        &token,
        "pruned",
        form(
            &[("base_version", "0.1.0"), ("delete_paths", "nope.bin")],
            &[("b.bin", b"bravo")],
        ),
    )
    .await;
    assert_422_for_field(resp, "delete_paths").await;

    assert_eq!(version_count(&server, &token, "pruned").await, 1);
}

#[tokio::test]
async fn delete_paths_without_a_base_version_is_refused() {
    let (server, token) = server_with_model("baseless").await;
    server
        .upload_version_with(&token, "baseless", &[], &[("a.bin", b"alpha")])
        .await;

    let resp = post_version(
        &server,
        &token,
        "baseless",
        json!({"delete_paths": ["a.bin"]}),
    )
    .await;
    assert_422_for_field(resp, "delete_paths").await;

    assert_eq!(version_count(&server, &token, "baseless").await, 1);
}

// ---------------------------------------------------------------------------------------------
// Dependencies

/// The dependency entry for `package`, panicking when there is none.
fn dependency<'a>(version: &'a Value, package: &str) -> &'a Value {
    version["dependencies"]
        .as_array()
        .unwrap_or_else(|| panic!("`dependencies` should be an array in {version}"))
        .iter()
        .find(|d| d["package_name"] == package)
        .unwrap_or_else(|| panic!("no dependency {package} in {}", version["dependencies"]))
}

#[tokio::test]
async fn requirements_txt_becomes_dependencies_and_bad_lines_are_reported() {
    let (server, token) = server_with_model("deps").await;
    let requirements = "# Core numerical stack\n\
numpy>=1.26,<2.0\n\
pandas[excel,performance]==2.2.1\n\
\n\
scikit-learn\n\
this is not a requirement!\n";

    let version = server
        .upload_version_with(
            &token,
            "deps",
            &[],
            &[
                ("requirements.txt", requirements.as_bytes()),
                ("model.pkl", b"pickle"),
            ],
        )
        .await;

    let numpy = dependency(&version, "numpy");
    assert_eq!(numpy["extras"], json!([]));
    assert_eq!(
        numpy["constraints"],
        json!([
            {"constraint_type": ">=", "version": "1.26"},
            {"constraint_type": "<", "version": "2.0"}
        ])
    );
    assert_eq!(numpy["line"], "numpy>=1.26,<2.0");
    assert_eq!(numpy["line_number"], 2);

    let pandas = dependency(&version, "pandas");
    assert_eq!(pandas["extras"], json!(["excel", "performance"]));
    assert_eq!(
        pandas["constraints"],
        json!([{"constraint_type": "==", "version": "2.2.1"}])
    );
    assert_eq!(pandas["line"], "pandas[excel,performance]==2.2.1");
    assert_eq!(pandas["line_number"], 3);

    let sklearn = dependency(&version, "scikit-learn");
    assert_eq!(sklearn["constraints"], json!([]));
    assert_eq!(sklearn["line_number"], 5);

    assert_eq!(
        version["dependencies"].as_array().map(Vec::len),
        Some(3),
        "comments, blank and bad lines are not dependencies: {}",
        version["dependencies"]
    );
    let unparsed = version["unparsed_dependencies"]
        .as_array()
        .unwrap_or_else(|| panic!("`unparsed_dependencies` should be an array in {version}"));
    let bad = unparsed
        .iter()
        .find(|u| u["line_number"] == 6)
        .unwrap_or_else(|| panic!("the bad line should be reported: {unparsed:?}"));
    assert_eq!(bad["line"], "this is not a requirement!");

    // The same from GET.
    let fetched = get_version(&server, &token, "deps", "0.1.0").await;
    assert_eq!(fetched["dependencies"], version["dependencies"]);
    assert_eq!(
        fetched["unparsed_dependencies"],
        version["unparsed_dependencies"]
    );
}

#[tokio::test]
async fn pip_packages_become_dependencies_too() {
    let (server, token) = server_with_model("pip").await;

    let version = create_version(
        &server,
        &token,
        "pip",
        json!({"environment": {
            "python_version": "3.11",
            "pip_packages": ["torch==2.3.0", "transformers[torch]>=4.40", "%%% nonsense"]
        }}),
    )
    .await;

    let torch = dependency(&version, "torch");
    assert_eq!(
        torch["constraints"],
        json!([{"constraint_type": "==", "version": "2.3.0"}])
    );
    let transformers = dependency(&version, "transformers");
    assert_eq!(transformers["extras"], json!(["torch"]));
    assert_eq!(
        transformers["constraints"],
        json!([{"constraint_type": ">=", "version": "4.40"}])
    );
    let unparsed = version["unparsed_dependencies"].to_string();
    assert!(unparsed.contains("%%% nonsense"), "{unparsed}");

    // Changing the environment re-reads the packages.
    let resp = server
        .patch(&version_url("pip", "0.1.0"))
        .bearer_auth(&token)
        .json(&json!({"environment": {"pip_packages": ["lightgbm<5"]}}))
        .send()
        .await
        .expect("PATCH a version");
    let patched = expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        patched["dependencies"].as_array().map(|d| d
            .iter()
            .map(|d| d["package_name"].clone())
            .collect::<Vec<_>>()),
        Some(vec![json!("lightgbm")])
    );
}

#[tokio::test]
async fn writing_requirements_txt_to_a_draft_updates_the_dependencies() {
    let (server, token) = server_with_model("evolving").await;
    create_version(&server, &token, "evolving", json!({})).await;

    let resp = put_file(
        &server,
        &token,
        "evolving",
        "0.1.0",
        "requirements.txt",
        b"requests>=2\n",
    )
    .await;
    expect_json(resp, StatusCode::CREATED).await;
    let version = get_version(&server, &token, "evolving", "0.1.0").await;
    assert_eq!(dependency(&version, "requests")["line_number"], 1);

    let resp = server
        .delete(&file_url("evolving", "0.1.0", "requirements.txt"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE requirements.txt");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let version = get_version(&server, &token, "evolving", "0.1.0").await;
    assert_eq!(version["dependencies"], json!([]), "{version}");
}

// ---------------------------------------------------------------------------------------------
// Single files

#[tokio::test]
async fn put_file_adds_then_replaces_a_file_of_a_draft() {
    let (server, token) = server_with_model("drafty").await;
    create_version(&server, &token, "drafty", json!({})).await;

    let resp = put_file(
        &server,
        &token,
        "drafty",
        "0.1.0",
        "model/weights.bin",
        b"first",
    )
    .await;
    let added = expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(added["path"], "model/weights.bin");
    assert_eq!(added["size"], 5);
    assert_eq!(added["sha256"], sha256_hex(b"first"));

    // Larger than the 1 MiB JSON body limit: uploads are bounded by the upload limit only.
    let second: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let resp = put_file(
        &server,
        &token,
        "drafty",
        "0.1.0",
        "model/weights.bin",
        &second,
    )
    .await;
    let replaced = expect_json(resp, StatusCode::OK).await;
    assert_eq!(replaced["path"], "model/weights.bin");
    assert_eq!(replaced["size"], second.len() as i64);
    assert_eq!(replaced["sha256"], sha256_hex(&second));

    let version = get_version(&server, &token, "drafty", "0.1.0").await;
    assert_eq!(
        files_of(&version),
        expected_files(&[("model/weights.bin", &second)])
    );
    assert_eq!(
        file_bytes(&server, &token, "drafty", "0.1.0", "model/weights.bin").await,
        second
    );
}

#[tokio::test]
async fn get_file_answers_the_bytes_with_an_etag_and_honours_if_none_match() {
    let (server, token) = server_with_model("tagged").await;
    create_version(&server, &token, "tagged", json!({})).await;
    let bytes = b"0123456789";
    let resp = put_file(
        &server,
        &token,
        "tagged",
        "0.1.0",
        "model/weights.bin",
        bytes,
    )
    .await;
    expect_json(resp, StatusCode::CREATED).await;
    let etag = format!("\"{}\"", sha256_hex(bytes));

    let resp = get_file(&server, &token, "tagged", "0.1.0", "model/weights.bin").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, ETAG), etag);
    assert_eq!(header(&resp, ACCEPT_RANGES), "bytes");
    let disposition = header(&resp, CONTENT_DISPOSITION);
    assert!(
        disposition.starts_with("attachment"),
        "downloads are attachments: {disposition}"
    );
    assert!(
        disposition.contains("filename=\"weights.bin\""),
        "{disposition}"
    );
    assert_eq!(resp.bytes().await.expect("body").as_ref(), bytes);

    let resp = server
        .get(&file_url("tagged", "0.1.0", "model/weights.bin"))
        .bearer_auth(&token)
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("conditional GET");
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&resp, ETAG), etag);
    assert!(resp.bytes().await.expect("body").is_empty());

    let resp = server
        .get(&file_url("tagged", "0.1.0", "model/weights.bin"))
        .bearer_auth(&token)
        .header(IF_NONE_MATCH, format!("\"{}\"", sha256_hex(b"other")))
        .send()
        .await
        .expect("conditional GET with a stale tag");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.expect("body").as_ref(), bytes);
}

#[tokio::test]
async fn get_file_serves_byte_ranges() {
    let (server, token) = server_with_model("ranged").await;
    create_version(&server, &token, "ranged", json!({})).await;
    let resp = put_file(
        &server,
        &token,
        "ranged",
        "0.1.0",
        "data.bin",
        b"0123456789",
    )
    .await;
    expect_json(resp, StatusCode::CREATED).await;

    let ranged = |range: &'static str| {
        server
            .get(&file_url("ranged", "0.1.0", "data.bin"))
            .bearer_auth(&token)
            .header(RANGE, range)
            .send()
    };

    for (range, content_range, body) in [
        ("bytes=2-5", "bytes 2-5/10", &b"2345"[..]),
        ("bytes=-3", "bytes 7-9/10", &b"789"[..]),
        ("bytes=8-", "bytes 8-9/10", &b"89"[..]),
        ("bytes=0-0", "bytes 0-0/10", &b"0"[..]),
        ("bytes=6-100", "bytes 6-9/10", &b"6789"[..]),
    ] {
        let resp = ranged(range).await.expect("ranged GET");
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(header(&resp, CONTENT_RANGE), content_range, "{range}");
        assert_eq!(
            header(&resp, CONTENT_LENGTH),
            body.len().to_string(),
            "{range}"
        );
        assert_eq!(resp.bytes().await.expect("body").as_ref(), body, "{range}");
    }

    let resp = ranged("bytes=20-30").await.expect("unsatisfiable GET");
    assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&resp, CONTENT_RANGE), "bytes */10");
}

#[tokio::test]
async fn delete_file_removes_it_from_a_draft() {
    let (server, token) = server_with_model("trimmed").await;
    server
        .upload_version_with(
            &token,
            "trimmed",
            &[],
            &[("keep.txt", b"keep"), ("drop/me.txt", b"drop")],
        )
        .await;

    let resp = server
        .delete(&file_url("trimmed", "0.1.0", "drop/me.txt"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE a file");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let version = get_version(&server, &token, "trimmed", "0.1.0").await;
    assert_eq!(files_of(&version), expected_files(&[("keep.txt", b"keep")]));
    let resp = get_file(&server, &token, "trimmed", "0.1.0", "drop/me.txt").await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
    let resp = server
        .delete(&file_url("trimmed", "0.1.0", "drop/me.txt"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE the file again");
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
}

#[tokio::test]
async fn files_of_a_published_version_cannot_change() {
    let (server, token) = server_with_model("frozen").await;
    server
        .upload_version_with(&token, "frozen", &[], &[("weights.bin", b"original")])
        .await;
    publish(&server, &token, "frozen", "0.1.0").await;

    let resp = put_file(
        &server,
        &token,
        "frozen",
        "0.1.0",
        "weights.bin",
        b"changed",
    )
    .await;
    assert_error(resp, 409, "VERSION_PUBLISHED").await;
    let resp = put_file(&server, &token, "frozen", "0.1.0", "extra.bin", b"extra").await;
    assert_error(resp, 409, "VERSION_PUBLISHED").await;
    let resp = server
        .delete(&file_url("frozen", "0.1.0", "weights.bin"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE a published file");
    assert_error(resp, 409, "VERSION_PUBLISHED").await;

    let version = get_version(&server, &token, "frozen", "0.1.0").await;
    assert_eq!(
        files_of(&version),
        expected_files(&[("weights.bin", b"original")])
    );
    assert_eq!(
        file_bytes(&server, &token, "frozen", "0.1.0", "weights.bin").await,
        b"original"
    );
}

#[tokio::test]
async fn put_file_refuses_paths_that_escape_the_version() {
    let (server, token) = server_with_model("walls").await;
    create_version(&server, &token, "walls", json!({})).await;

    // Encoded so the HTTP client sends them as they are; the server decodes them.
    for encoded in [
        "%2E%2E%2Fx",
        "a%2F..%2F..%2Fb",
        "%2Fetc%2Fpasswd",
        "a%5Cb",
        "a%2F%2Fb",
    ] {
        let resp = put_file(&server, &token, "walls", "0.1.0", encoded, b"payload").await;
        assert_error(resp, 422, "INVALID_FILE_PATH").await;
    }
    // Dot segments that a client would have resolved, sent verbatim.
    for target in [
        "/api/v1/models/walls/versions/0.1.0/files/%2e%2e/x",
        "/api/v1/models/walls/versions/0.1.0/files/a/../../b",
        "/api/v1/models/walls/versions/0.1.0/files/a/%2e%2e/%2e%2e/b",
    ] {
        let (status, body) = raw_request(&server, "PUT", target, &token, b"payload");
        assert_eq!(status, 422, "{target}: {body}");
        let body: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{target}: body is not JSON ({e}): {body}"));
        assert_eq!(body["error_code"], "INVALID_FILE_PATH", "{target}: {body}");
    }

    let version = get_version(&server, &token, "walls", "0.1.0").await;
    assert_eq!(version["files"], json!([]));
    assert!(
        temp_uploads(&server).is_empty(),
        "{:?}",
        temp_uploads(&server)
    );
}

#[tokio::test]
async fn unknown_files_and_versions_are_404() {
    let (server, token) = server_with_model("sparse").await;
    server
        .upload_version_with(&token, "sparse", &[], &[("a.txt", b"a")])
        .await;

    let resp = get_file(&server, &token, "sparse", "0.1.0", "b.txt").await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
    let resp = get_file(&server, &token, "sparse", "0.1.0", "dir/a.txt").await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
    let resp = get_file(&server, &token, "sparse", "0.9.0", "a.txt").await;
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    let resp = put_file(&server, &token, "sparse", "0.9.0", "a.txt", b"a").await;
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
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
    create_version(&server, &token, "capped", json!({})).await;

    let at_limit = vec![b'a'; 1000];
    let resp = put_file(&server, &token, "capped", "0.1.0", "fits.bin", &at_limit).await;
    expect_json(resp, StatusCode::CREATED).await;

    for size in [1001, 4096] {
        let resp = put_file(
            &server,
            &token,
            "capped",
            "0.1.0",
            "big.bin",
            &vec![b'b'; size],
        )
        .await;
        assert_error(resp, 413, "FILE_TOO_LARGE").await;
    }
    // Replacing a file with too many bytes keeps the old one.
    let resp = put_file(
        &server,
        &token,
        "capped",
        "0.1.0",
        "fits.bin",
        &[b'c'; 2000],
    )
    .await;
    assert_error(resp, 413, "FILE_TOO_LARGE").await;

    let version = get_version(&server, &token, "capped", "0.1.0").await;
    assert_eq!(
        files_of(&version),
        expected_files(&[("fits.bin", &at_limit)])
    );
    let resp = get_file(&server, &token, "capped", "0.1.0", "big.bin").await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
    assert!(
        temp_uploads(&server).is_empty(),
        "{:?}",
        temp_uploads(&server)
    );
}

#[tokio::test]
async fn multipart_over_the_upload_limit_is_413_and_creates_no_version() {
    let server = TestServer::start_with_env(&[("MODELYARD_MAX_UPLOAD_BYTES", SMALL_LIMIT)]).await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "capped"})).await;
    create_version(&server, &token, "capped", json!({})).await;

    for big in [vec![b'b'; 1001], vec![b'b'; 4096]] {
        let resp = post_multipart(
            &server,
            &token,
            "capped",
            form(
                &[("description", "too big")],
                &[("small.txt", b"small"), ("big.bin", &big)],
            ),
        )
        .await;
        assert_error(resp, 413, "FILE_TOO_LARGE").await;
    }

    let model = get_model(&server, &token, "capped").await;
    assert_eq!(model["version_count"], 1);
    assert_eq!(model["latest_version"], "0.1.0");
    let list = server.get_json(&versions_url("capped"), &token).await;
    assert_eq!(numbers(&list), ["0.1.0"]);
    assert!(
        temp_uploads(&server).is_empty(),
        "{:?}",
        temp_uploads(&server)
    );

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
    create_version(&server, &token, "capped", json!({})).await;
    create_version(&server, &token, "capped", json!({})).await;
    publish(&server, &token, "capped", "0.2.0").await;
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
            .multipart(form(&[], &[(path, &big)]))
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

    let model = get_model(&server, &token, "capped").await;
    assert_eq!(model["version_count"], 2);
    assert!(
        temp_uploads(&server).is_empty(),
        "{:?}",
        temp_uploads(&server)
    );
}

// ---------------------------------------------------------------------------------------------
// Downloads

#[tokio::test]
async fn download_is_a_zip_of_every_file_under_its_path() {
    let (server, token) = server_with_model("zipped").await;
    let weights: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let files: [(&str, &[u8]); 4] = [
        ("model/weights.bin", &weights),
        ("config.json", br#"{"a": 1}"#),
        ("README.md", b"# Zipped\n"),
        ("nested/deep/empty.txt", b""),
    ];
    server
        .upload_version_with(&token, "zipped", &[], &files)
        .await;

    let resp = server
        .get(&format!("{}/download", version_url("zipped", "0.1.0")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(content_type(&resp), "application/zip");
    let disposition = header(&resp, CONTENT_DISPOSITION);
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("zipped-0.1.0.zip"), "{disposition}");
    let bytes = resp.bytes().await.expect("the zip");

    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a readable zip");
    let names: BTreeSet<String> = archive.file_names().map(str::to_owned).collect();
    let expected: BTreeSet<String> = files.iter().map(|(p, _)| (*p).to_owned()).collect();
    assert_eq!(names, expected);
    for (path, content) in files {
        let mut entry = archive.by_name(path).expect("an entry");
        let mut read = Vec::new();
        entry.read_to_end(&mut read).expect("read an entry");
        assert_eq!(read, content, "{path}");
    }
}

#[tokio::test]
async fn a_version_without_files_downloads_as_an_empty_zip() {
    let (server, token) = server_with_model("hollow").await;
    create_version(&server, &token, "hollow", json!({})).await;

    let resp = server
        .get(&format!("{}/download", version_url("hollow", "latest")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("the zip");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    assert_eq!(archive.len(), 0);
}

#[tokio::test]
async fn version_lists_are_paged_newest_first() {
    let (server, token) = server_with_model("paged").await;
    for _ in 0..5 {
        create_version(&server, &token, "paged", json!({})).await;
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
// Lifecycle and the primary version

#[tokio::test]
async fn publishing_freezes_a_version_and_may_be_repeated() {
    let (server, token) = server_with_model("released").await;
    create_version(&server, &token, "released", json!({})).await;

    let published = publish(&server, &token, "released", "0.1.0").await;
    assert_eq!(published["state"], "published");
    assert!(published["published_at"].is_string(), "{published}");

    let again = publish(&server, &token, "released", "0.1.0").await;
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
    create_version(
        &server,
        &token,
        "frozen",
        json!({"metrics": [{"key": "rmse", "value": 1.5}], "framework": {"library_name": "sklearn"}}),
    )
    .await;
    publish(&server, &token, "frozen", "0.1.0").await;

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
            .patch(&version_url("frozen", "0.1.0"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("PATCH");
        let error = assert_error(resp, 409, "VERSION_PUBLISHED").await;
        assert_eq!(error["field"], field, "{body}");
        assert!(
            error["solution_msg"]
                .as_str()
                .is_some_and(|s| s.contains("base_version")),
            "{error}"
        );
    }
    let version = get_version(&server, &token, "frozen", "0.1.0").await;
    assert_eq!(version["metrics"], json!([{"key": "rmse", "value": 1.5}]));
    assert_eq!(
        version["description"], "",
        "a refused PATCH changes nothing"
    );

    // Sending the same metrics back changes nothing, so it is not refused.
    let resp = server
        .patch(&version_url("frozen", "0.1.0"))
        .bearer_auth(&token)
        .json(&json!({
            "metrics": [{"key": "rmse", "value": 1.5}],
            "description": "the release",
            "tags": ["stable"],
            "metadata": {"threshold": 0.5, "owners": ["risk"]}
        }))
        .send()
        .await
        .expect("PATCH");
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
    create_version(&server, &token, "unready", json!({})).await;

    let resp = promote(&server, &token, "unready", "0.1.0").await;
    assert_error(resp, 409, "VERSION_CANNOT_BE_PRIMARY").await;

    let model = get_model(&server, &token, "unready").await;
    assert_eq!(model["primary_version"], Value::Null);
    let resp = server
        .get(&version_url("unready", "primary"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET the primary version");
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
}

#[tokio::test]
async fn primary_defaults_to_the_newest_published_version_until_one_is_promoted() {
    let (server, token) = server_with_model("ranked").await;
    for _ in 0..3 {
        create_version(&server, &token, "ranked", json!({})).await;
    }
    publish(&server, &token, "ranked", "0.1.0").await;
    assert_eq!(
        get_model(&server, &token, "ranked").await["primary_version"],
        "0.1.0"
    );
    publish(&server, &token, "ranked", "0.2.0").await;

    let model = get_model(&server, &token, "ranked").await;
    assert_eq!(model["primary_version"], "0.2.0");
    assert_eq!(model["latest_version"], "0.3.0");
    assert_eq!(
        get_version(&server, &token, "ranked", "0.2.0").await["is_primary"],
        true
    );
    assert_eq!(
        get_version(&server, &token, "ranked", "0.1.0").await["is_primary"],
        false
    );

    let resp = promote(&server, &token, "ranked", "0.1.0").await;
    let model = expect_json(resp, StatusCode::OK).await;
    assert_eq!(model["primary_version"], "0.1.0");
    assert_eq!(
        get_version(&server, &token, "ranked", "0.1.0").await["is_primary"],
        true
    );
    assert_eq!(
        get_version(&server, &token, "ranked", "0.2.0").await["is_primary"],
        false
    );

    // A promoted version stays primary when newer ones are published.
    publish(&server, &token, "ranked", "0.3.0").await;
    assert_eq!(
        get_model(&server, &token, "ranked").await["primary_version"],
        "0.1.0"
    );
}

#[tokio::test]
async fn the_promoted_primary_version_cannot_be_deactivated() {
    let (server, token) = server_with_model("pinned").await;
    create_version(&server, &token, "pinned", json!({})).await;
    create_version(&server, &token, "pinned", json!({})).await;
    publish(&server, &token, "pinned", "0.1.0").await;
    publish(&server, &token, "pinned", "0.2.0").await;
    expect_json(
        promote(&server, &token, "pinned", "0.1.0").await,
        StatusCode::OK,
    )
    .await;

    let resp = post_action(&server, &token, "pinned", "0.1.0", "deactivate").await;
    assert_error(resp, 409, "VERSION_IS_PRIMARY").await;

    let version = get_version(&server, &token, "pinned", "0.1.0").await;
    assert_eq!(version["active"], true);
    assert_eq!(
        get_model(&server, &token, "pinned").await["primary_version"],
        "0.1.0"
    );
}

#[tokio::test]
async fn an_inactive_version_cannot_be_promoted_until_activated_again() {
    let (server, token) = server_with_model("dormant").await;
    create_version(&server, &token, "dormant", json!({})).await;
    create_version(&server, &token, "dormant", json!({})).await;
    publish(&server, &token, "dormant", "0.1.0").await;
    publish(&server, &token, "dormant", "0.2.0").await;

    let resp = post_action(&server, &token, "dormant", "0.1.0", "deactivate").await;
    let version = expect_json(resp, StatusCode::OK).await;
    assert_eq!(version["active"], false);
    assert_eq!(version["state"], "published");

    let resp = promote(&server, &token, "dormant", "0.1.0").await;
    assert_error(resp, 409, "VERSION_CANNOT_BE_PRIMARY").await;
    assert_eq!(
        get_model(&server, &token, "dormant").await["primary_version"],
        "0.2.0"
    );

    let resp = post_action(&server, &token, "dormant", "0.1.0", "activate").await;
    let version = expect_json(resp, StatusCode::OK).await;
    assert_eq!(version["active"], true);
    let model = expect_json(
        promote(&server, &token, "dormant", "0.1.0").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(model["primary_version"], "0.1.0");
}

#[tokio::test]
async fn deactivating_the_default_primary_falls_back_to_the_next_published_version() {
    let (server, token) = server_with_model("fallback").await;
    create_version(&server, &token, "fallback", json!({})).await;
    create_version(&server, &token, "fallback", json!({})).await;
    publish(&server, &token, "fallback", "0.1.0").await;
    publish(&server, &token, "fallback", "0.2.0").await;
    assert_eq!(
        get_model(&server, &token, "fallback").await["primary_version"],
        "0.2.0"
    );

    let resp = post_action(&server, &token, "fallback", "0.2.0", "deactivate").await;
    expect_json(resp, StatusCode::OK).await;

    let model = get_model(&server, &token, "fallback").await;
    assert_eq!(
        model["primary_version"], "0.1.0",
        "an inactive version is never primary"
    );
    assert_eq!(
        get_version(&server, &token, "fallback", "0.2.0").await["is_primary"],
        false
    );
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
    publish(&server, &token, "named", "0.1.0").await;
    publish(&server, &token, "named", "0.2.0").await;
    expect_json(
        set_alias(
            &server,
            &token,
            "named",
            "staging",
            json!({"version": "0.1.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    for (reference, number, content) in [
        ("0.2.0", "0.2.0", &b"two"[..]),
        ("staging", "0.1.0", &b"one"[..]),
        ("latest", "0.3.0", &b"three"[..]),
        ("primary", "0.2.0", &b"two"[..]),
    ] {
        let version = get_version(&server, &token, "named", reference).await;
        assert_eq!(version["version"], number, "{reference}");
        assert_eq!(
            file_bytes(&server, &token, "named", reference, "v.txt").await,
            content,
            "{reference}"
        );
    }

    for unknown in ["0.9.0", "9.9.9", "nosuch"] {
        let resp = server
            .get(&version_url("named", unknown))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET an unknown version");
        assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    }
}

// ---------------------------------------------------------------------------------------------
// Aliases

#[tokio::test]
async fn aliases_are_set_listed_moved_and_their_moves_remembered() {
    let (server, token) = server_with_model("aliased").await;
    create_version(&server, &token, "aliased", json!({})).await;
    create_version(&server, &token, "aliased", json!({})).await;

    let resp = set_alias(
        &server,
        &token,
        "aliased",
        "production",
        json!({"version": "0.1.0"}),
    )
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
        get_version(&server, &token, "aliased", "0.1.0").await["aliases"],
        json!(["production"])
    );

    let resp = set_alias(
        &server,
        &token,
        "aliased",
        "production",
        json!({"version": "0.2.0"}),
    )
    .await;
    let moved = expect_json(resp, StatusCode::OK).await;
    assert_eq!(moved["version"], "0.2.0");
    assert_eq!(
        get_version(&server, &token, "aliased", "production").await["version"],
        "0.2.0"
    );
    assert_eq!(
        get_version(&server, &token, "aliased", "0.1.0").await["aliases"],
        json!([])
    );
    assert_eq!(
        get_version(&server, &token, "aliased", "0.2.0").await["aliases"],
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
        .delete("/api/v1/models/aliased/aliases/production")
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE an alias");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = server
        .get(&version_url("aliased", "production"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET by a removed alias");
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    let history = server
        .get_json("/api/v1/models/aliased/aliases/production/history", &token)
        .await;
    assert_eq!(history["total_count"], 3);
    assert_eq!(history["data"][0]["from_version"], "0.2.0");
    assert_eq!(history["data"][0]["to_version"], Value::Null);
    assert_eq!(
        get_model(&server, &token, "aliased").await["aliases"],
        json!([])
    );
}

#[tokio::test]
async fn an_alias_must_point_at_an_existing_version() {
    let (server, token) = server_with_model("dangling").await;
    create_version(&server, &token, "dangling", json!({})).await;

    let resp = set_alias(
        &server,
        &token,
        "dangling",
        "production",
        json!({"version": "3.0.0"}),
    )
    .await;
    assert_422_for_field(resp, "version").await;
    let resp = promote(&server, &token, "dangling", "3.0.0").await;
    assert_422_for_field(resp, "version").await;
    let resp = server
        .post("/api/v1/models/dangling/versions")
        .bearer_auth(&token)
        .json(&json!({"base_version": "3.0.0"}))
        .send()
        .await
        .expect("create from a missing base");
    assert_422_for_field(resp, "base_version").await;
    let list = server
        .get_json("/api/v1/models/dangling/aliases", &token)
        .await;
    assert_eq!(list["count"], 0, "{list}");
}

#[tokio::test]
async fn alias_names_are_lowercase_words_that_do_not_look_like_versions() {
    let (server, token) = server_with_model("strict").await;
    create_version(&server, &token, "strict", json!({})).await;

    for bad in ["Prod", "1.0.0", "latest", "primary", "v1", "9lives"] {
        let resp = set_alias(&server, &token, "strict", bad, json!({"version": "0.1.0"})).await;
        assert_error(resp, 422, "INVALID_ALIAS").await;
    }
    let list = server
        .get_json("/api/v1/models/strict/aliases", &token)
        .await;
    assert_eq!(list["count"], 0, "{list}");

    for good in ["production", "staging-eu", "champion_2"] {
        let resp = set_alias(&server, &token, "strict", good, json!({"version": "0.1.0"})).await;
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
    create_version(&server, &alice, "guarded", json!({})).await;
    create_version(&server, &alice, "guarded", json!({})).await;

    let resp = set_alias(
        &server,
        &alice,
        "guarded",
        "production",
        json!({"version": "0.1.0", "protected": true}),
    )
    .await;
    let alias = expect_json(resp, StatusCode::OK).await;
    assert_eq!(alias["protected"], true);
    assert_eq!(
        get_model(&server, &alice, "guarded").await["aliases"],
        json!([{"alias": "production", "version": "0.1.0", "protected": true, "version_active": true}])
    );

    // bob sees the model (internal) but holds no role on it.
    let resp = set_alias(
        &server,
        &bob,
        "guarded",
        "production",
        json!({"version": "0.2.0"}),
    )
    .await;
    assert_error(resp, 403, "FORBIDDEN").await;
    let resp = server
        .delete("/api/v1/models/guarded/aliases/production")
        .bearer_auth(&bob)
        .send()
        .await
        .expect("DELETE a protected alias");
    assert_error(resp, 403, "FORBIDDEN").await;
    assert_eq!(
        get_version(&server, &bob, "guarded", "production").await["version"],
        "0.1.0"
    );

    // The owner moves it; protection stays unless changed.
    let resp = set_alias(
        &server,
        &alice,
        "guarded",
        "production",
        json!({"version": "0.2.0"}),
    )
    .await;
    let moved = expect_json(resp, StatusCode::OK).await;
    assert_eq!(moved["version"], "0.2.0");
    assert_eq!(moved["protected"], true);
    let resp = set_alias(
        &server,
        &alice,
        "guarded",
        "production",
        json!({"version": "0.2.0", "protected": false}),
    )
    .await;
    assert_eq!(expect_json(resp, StatusCode::OK).await["protected"], false);
}

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
    create_version(&server, &alice, "shared", json!({})).await;
    publish(&server, &alice, "shared", "0.1.0").await;
    let before = server.get_json(&versions_url("shared"), &alice).await;

    // Reading works.
    assert_eq!(
        get_version(&server, &bob, "shared", "0.1.0").await["version"],
        "0.1.0"
    );
    assert_eq!(
        file_bytes(&server, &bob, "shared", "0.1.0", "w.bin").await,
        b"weights"
    );

    // Every write is refused.
    let attempts: Vec<(&str, Response)> = vec![
        (
            "create",
            post_version(&server, &bob, "shared", json!({})).await,
        ),
        (
            "upload",
            post_multipart(&server, &bob, "shared", form(&[], &[("x.bin", b"x")])).await,
        ),
        (
            "put file",
            put_file(&server, &bob, "shared", "0.2.0", "x.bin", b"x").await,
        ),
        (
            "delete file",
            server
                .delete(&file_url("shared", "0.1.0", "w.bin"))
                .bearer_auth(&bob)
                .send()
                .await
                .expect("DELETE"),
        ),
        (
            "patch",
            server
                .patch(&version_url("shared", "0.1.0"))
                .bearer_auth(&bob)
                .json(&json!({"description": "bob's"}))
                .send()
                .await
                .expect("PATCH"),
        ),
        (
            "publish",
            post_action(&server, &bob, "shared", "0.2.0", "publish").await,
        ),
        (
            "deactivate",
            post_action(&server, &bob, "shared", "0.1.0", "deactivate").await,
        ),
        ("promote", promote(&server, &bob, "shared", "0.1.0").await),
        (
            "alias",
            set_alias(
                &server,
                &bob,
                "shared",
                "production",
                json!({"version": "0.1.0"}),
            )
            .await,
        ),
        (
            "delete version",
            server
                .delete(&version_url("shared", "0.2.0"))
                .bearer_auth(&bob)
                .send()
                .await
                .expect("DELETE"),
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
        get_model(&server, &alice, "shared").await["aliases"],
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

    let resp = server
        .get(&version_url("open", "0.1.0"))
        .send()
        .await
        .expect("anonymous GET");
    assert_eq!(expect_json(resp, StatusCode::OK).await["version"], "0.1.0");
    let resp = server
        .get(&file_url("open", "0.1.0", "w.bin"))
        .send()
        .await
        .expect("anonymous file GET");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.expect("body").as_ref(), b"weights");

    let resp = server
        .post(&versions_url("open"))
        .json(&json!({}))
        .send()
        .await
        .expect("anonymous POST");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = server
        .put(&file_url("open", "0.1.0", "x.bin"))
        .body("x")
        .send()
        .await
        .expect("anonymous PUT");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(version_count(&server, &alice, "open").await, 1);
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
    publish(&server, &alice, "secret", "0.1.0").await;
    expect_json(
        set_alias(
            &server,
            &alice,
            "secret",
            "production",
            json!({"version": "0.1.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

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
        let resp = server
            .get(&path)
            .bearer_auth(&bob)
            .send()
            .await
            .expect("GET");
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }
    let resp = post_version(&server, &bob, "secret", json!({})).await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = put_file(&server, &bob, "secret", "0.1.0", "x.bin", b"x").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = post_action(&server, &bob, "secret", "0.1.0", "deactivate").await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let resp = server
        .post("/api/v1/models/secret/copy")
        .bearer_auth(&bob)
        .json(&json!({"name": "stolen"}))
        .send()
        .await
        .expect("POST copy");
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;

    assert_eq!(version_count(&server, &alice, "secret").await, 1);
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
    let model_before = get_model(&server, &token, "patched").await;
    let version_before = get_version(&server, &token, "patched", "0.1.0").await;

    let resp = server
        .patch(&version_url("patched", "0.1.0"))
        .bearer_auth(&token)
        .json(&json!({
            "description": "tuned",
            "tags": ["v"],
            "metadata": {"threshold": 0.4},
            "metrics": [{"key": "f1", "value": 0.8}],
            "framework": {"library_name": "sklearn"},
            "git": {"ref_name": "release"}
        }))
        .send()
        .await
        .expect("PATCH a version");
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
            .patch(&version_url("patched", "0.1.0"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("PATCH a version");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {text}");
    }

    let version_after = get_version(&server, &token, "patched", "0.1.0").await;
    assert_eq!(version_after["files"], version_before["files"]);
    assert_eq!(version_after["state"], "draft");
    let model_after = get_model(&server, &token, "patched").await;
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
    create_version(
        &server,
        &token,
        "steady",
        json!({"description": "v1", "tags": ["v"], "metadata": {"k": 1}}),
    )
    .await;
    let before = server.get_json(&versions_url("steady"), &token).await;

    let resp = server
        .patch("/api/v1/models/steady")
        .bearer_auth(&token)
        .json(&json!({"description": "new model text", "tags": ["m"], "metadata": {"team": "x"}}))
        .send()
        .await
        .expect("PATCH a model");
    let model = expect_json(resp, StatusCode::OK).await;
    assert_eq!(model["description"], "new model text");
    assert_eq!(model["version_count"], 1);

    let after = server.get_json(&versions_url("steady"), &token).await;
    assert_eq!(after, before, "versions are untouched by a model PATCH");
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
        .delete(&version_url("pruning", "0.2.0"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE a version");
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["model_deleted"], false, "{body}");
    assert_eq!(body["version"], "0.2.0", "{body}");

    let resp = server
        .get(&version_url("pruning", "0.2.0"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET a deleted version");
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
    let model = get_model(&server, &token, "pruning").await;
    assert_eq!(model["version_count"], 1);
    assert_eq!(model["latest_version"], "0.1.0");
    assert_eq!(
        file_bytes(&server, &token, "pruning", "0.1.0", "a.txt").await,
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
        .delete(&version_url("solo", "0.1.0"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE the only version");
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["model_deleted"], true, "{body}");

    let resp = server
        .get("/api/v1/models/solo")
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET the deleted model");
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    let list = server.get_json("/api/v1/models", &token).await;
    assert_eq!(list["total_count"], 0, "{list}");
}

#[tokio::test]
async fn an_abandoned_first_upload_can_go_without_taking_the_model() {
    let (server, token) = server_with_model("kept").await;
    create_version(&server, &token, "kept", json!({})).await;

    let resp = server
        .delete(&format!("{}?keep_model=true", version_url("kept", "0.1.0")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE the only version, keeping the model");
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["model_deleted"], false, "{body}");
    let model = get_model(&server, &token, "kept").await;
    assert_eq!(model["version_count"], 0, "{model}");
    assert_eq!(model["latest_version"], Value::Null);

    let resp = server
        .delete(&format!(
            "{}?keep_model=maybe",
            version_url("kept", "0.1.0")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE with a malformed flag");
    assert_error(resp, 400, "INVALID_QUERY").await;
}

#[tokio::test]
async fn deleting_a_version_drops_its_aliases_and_its_promotion() {
    let (server, token) = server_with_model("shrinking").await;
    for _ in 0..3 {
        create_version(&server, &token, "shrinking", json!({})).await;
        let latest = get_version(&server, &token, "shrinking", "latest").await;
        publish(
            &server,
            &token,
            "shrinking",
            latest["version"].as_str().expect("number"),
        )
        .await;
    }
    expect_json(
        promote(&server, &token, "shrinking", "0.2.0").await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        set_alias(
            &server,
            &token,
            "shrinking",
            "production",
            json!({"version": "0.2.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let resp = server
        .delete(&version_url("shrinking", "production"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE a version by alias");
    let body = expect_json(resp, StatusCode::OK).await;
    assert_eq!(body["version"], "0.2.0");
    assert_eq!(body["model_deleted"], false);

    let model = get_model(&server, &token, "shrinking").await;
    assert_eq!(model["aliases"], json!([]));
    assert_eq!(
        model["primary_version"], "0.3.0",
        "the primary falls back to the newest published version"
    );
    let resp = server
        .get(&version_url("shrinking", "production"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET by the dropped alias");
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

#[tokio::test]
async fn a_protected_alias_keeps_its_version_in_use_until_it_moves() {
    let (server, token) = server_with_model("guarded").await;
    for number in ["0.1.0", "0.2.0"] {
        create_version(&server, &token, "guarded", json!({})).await;
        publish(&server, &token, "guarded", number).await;
    }
    let alias =
        |version: &str, protected: bool| json!({"version": version, "protected": protected});
    let resp = set_alias(
        &server,
        &token,
        "guarded",
        "production",
        alias("0.1.0", true),
    )
    .await;
    expect_json(resp, StatusCode::OK).await;
    let resp = set_alias(&server, &token, "guarded", "staging", alias("0.1.0", false)).await;
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
        .delete(&version_url("guarded", "0.1.0"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE");
    assert_error(resp, 409, "VERSION_HAS_PROTECTED_ALIAS").await;
    assert_eq!(
        get_version(&server, &token, "guarded", "0.1.0").await["active"],
        true
    );

    // Once production moves, 0.1.0 may be withdrawn; staging stays on it, and says so.
    let resp = set_alias(
        &server,
        &token,
        "guarded",
        "production",
        alias("0.2.0", true),
    )
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
    let model = get_model(&server, &token, "guarded").await;
    assert_eq!(model["aliases"][1]["version_active"], false, "{model}");

    // A protected alias never points at an inactive version.
    let resp = set_alias(
        &server,
        &token,
        "guarded",
        "production",
        alias("0.1.0", true),
    )
    .await;
    assert_error(resp, 409, "VERSION_INACTIVE").await;
    let resp = set_alias(&server, &token, "guarded", "staging", alias("0.1.0", true)).await;
    assert_error(resp, 409, "VERSION_INACTIVE").await;
    assert_eq!(
        get_model(&server, &token, "guarded").await["aliases"][0]["version"],
        "0.2.0"
    );
}

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
    publish(&server, &token, "origin", "0.1.0").await;
    expect_json(
        set_alias(
            &server,
            &token,
            "origin",
            "production",
            json!({"version": "0.1.0", "protected": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let source_model = get_model(&server, &token, "origin").await;
    let source_versions = server.get_json(&versions_url("origin"), &token).await;
    let blobs_before = stored_blobs(&server).len();

    let resp = server
        .post("/api/v1/models/origin/copy")
        .bearer_auth(&token)
        .json(&json!({"name": "clone"}))
        .send()
        .await
        .expect("POST copy");
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
        file_bytes(&server, &token, "clone", "production", "model/w.bin").await,
        b"weights-1"
    );
    assert_eq!(
        stored_blobs(&server).len(),
        blobs_before,
        "no bytes were copied"
    );

    // The copy is independent: changing its draft leaves the source alone.
    let resp = put_file(
        &server,
        &token,
        "clone",
        "0.2.0",
        "model/w.bin",
        b"weights-3",
    )
    .await;
    expect_json(resp, StatusCode::OK).await;
    assert_eq!(
        server.get_json(&versions_url("origin"), &token).await,
        source_versions,
        "the source's versions are untouched"
    );
    let source_after = get_model(&server, &token, "origin").await;
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
    create_version(&server, &token, "original", json!({})).await;

    for taken in ["other", "OTHER", "original"] {
        let resp = server
            .post("/api/v1/models/original/copy")
            .bearer_auth(&token)
            .json(&json!({"name": taken}))
            .send()
            .await
            .expect("POST copy");
        assert_error(resp, 409, "MODEL_NAME_TAKEN").await;
    }
    assert_eq!(version_count(&server, &token, "other").await, 0);
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
    publish(&server, &token, "durable", "0.1.0").await;
    create_version(&server, &token, "durable", json!({"base_version": "0.1.0"})).await;
    expect_json(
        set_alias(
            &server,
            &token,
            "durable",
            "production",
            json!({"version": "0.1.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    server.restart().await;

    let model = get_model(&server, &token, "durable").await;
    assert_eq!(model["version_count"], 2);
    assert_eq!(model["primary_version"], "0.1.0");
    assert_eq!(model["aliases"][0]["alias"], "production");
    let version = get_version(&server, &token, "durable", "production").await;
    assert_eq!(version["state"], "published");
    assert_eq!(version["description"], "kept");
    assert_eq!(files_of(&version), expected_files(&files));
    for version in ["0.1.0", "0.2.0"] {
        for (path, bytes) in files {
            assert_eq!(
                file_bytes(&server, &token, "durable", version, path).await,
                bytes,
                "{version} {path}"
            );
        }
    }
    let resp = server
        .get(&format!("{}/download", version_url("durable", "0.2.0")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("the zip");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    assert_eq!(archive.len(), 2);
}
