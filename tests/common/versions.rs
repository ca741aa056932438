//! What the version tests look at: a version's files as `path -> (size, sha256)`, the numbers in
//! a list, the blobs on disk, and requests sent byte for byte; and the requests they send that
//! [`super::client`] does not (typed look-ups and actions on versions, aliases and files).

use super::client::{file_url, model_url, version_url, versions_url};
use super::{TestServer, body_json, expect_json};
use reqwest::multipart::Form;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A server, a user `alice` with a token, and a private model she owns.
pub async fn server_with_model(model: &str) -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": model})).await;
    (server, token)
}

/// `path -> (size, sha256)` of a version object's files.
pub fn files_of(version: &Value) -> BTreeMap<String, (i64, String)> {
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
pub fn expected_files(files: &[(&str, &[u8])]) -> BTreeMap<String, (i64, String)> {
    files
        .iter()
        .map(|(path, bytes)| ((*path).to_owned(), (bytes.len() as i64, sha256_hex(bytes))))
        .collect()
}

/// Version numbers in a list body, in order.
pub fn numbers(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("`data` should be an array in {list}"))
        .iter()
        .map(|v| v["version"].as_str().expect("version number").to_owned())
        .collect()
}

/// A version list without its download figures, which reading a file changes.
pub fn without_usage(mut list: Value) -> Value {
    if let Some(items) = list["data"].as_array_mut() {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            item.remove("download_count");
            item.remove("last_download_at");
        }
    }
    list
}

/// A response header as text, or "" when it is missing.
pub fn header(resp: &Response, name: reqwest::header::HeaderName) -> String {
    resp.headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Every regular file below `dir`, recursively (empty when `dir` does not exist).
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
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
pub fn stored_blobs(server: &TestServer) -> Vec<PathBuf> {
    let root = server.data_dir().join("blobs");
    let tmp = root.join("tmp");
    files_below(&root)
        .into_iter()
        .filter(|p| !p.starts_with(&tmp))
        .collect()
}

/// Uploads in flight (or left behind): files under `<data>/blobs/tmp`.
pub fn temp_uploads(server: &TestServer) -> Vec<PathBuf> {
    files_below(&server.data_dir().join("blobs").join("tmp"))
}

/// Asserts that no upload left a temporary file behind.
pub fn assert_no_temp_uploads(server: &TestServer) {
    let left = temp_uploads(server);
    assert!(left.is_empty(), "{left:?}");
}

/// Sends one request over a plain socket, with the request target exactly as given (HTTP
/// clients normalize `..` and `%2e%2e` segments away before sending; attackers do not).
/// Returns the status code and the body.
pub fn raw_request(
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
pub async fn assert_422_for_field(resp: Response, field: &str) -> Value {
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

impl TestServer {
    /// POSTs a version as JSON; the response, whatever it is.
    pub async fn post_version(&self, token: &str, model: &str, body: Value) -> Response {
        self.as_user(token).post(&versions_url(model), body).await
    }

    /// POSTs a multipart version upload; the response, whatever it is.
    pub async fn post_upload(&self, token: &str, model: &str, form: Form) -> Response {
        self.as_user(token)
            .post_form(&versions_url(model), form)
            .await
    }

    /// A version by number, alias, `latest` or `primary`, asserting 200.
    pub async fn get_version(&self, token: &str, model: &str, version: &str) -> Value {
        self.get_json(&version_url(model, version), token).await
    }

    /// A model, asserting 200.
    pub async fn get_model(&self, token: &str, model: &str) -> Value {
        self.get_json(&model_url(model), token).await
    }

    /// How many versions `model` has.
    pub async fn version_count(&self, token: &str, model: &str) -> i64 {
        self.get_model(token, model).await["version_count"]
            .as_i64()
            .expect("version_count is a number")
    }

    /// POSTs a version's `action` (publish, activate, deactivate); the response.
    pub async fn version_action(
        &self,
        token: &str,
        model: &str,
        version: &str,
        action: &str,
    ) -> Response {
        let path = format!("{}/{action}", version_url(model, version));
        self.as_user(token).post(&path, Value::Null).await
    }

    /// Makes `version` the model's primary version; the response.
    pub async fn promote(&self, token: &str, model: &str, version: &str) -> Response {
        let path = format!("/api/v1/models/{model}/primary");
        self.as_user(token)
            .put(&path, json!({"version": version}))
            .await
    }

    /// Sets (or moves) an alias; the response.
    pub async fn set_alias(&self, token: &str, model: &str, alias: &str, body: Value) -> Response {
        let path = format!("/api/v1/models/{model}/aliases/{alias}");
        self.as_user(token).put(&path, body).await
    }

    /// Points `alias` at `version`, asserting 200.
    pub async fn alias(&self, token: &str, model: &str, alias: &str, version: &str) -> Value {
        let resp = self
            .set_alias(token, model, alias, json!({"version": version}))
            .await;
        expect_json(resp, StatusCode::OK).await
    }

    /// GETs a file of a version; the response.
    pub async fn get_file(&self, token: &str, model: &str, version: &str, path: &str) -> Response {
        self.as_user(token)
            .get(&file_url(model, version, path))
            .await
    }

    /// The bytes of a file, asserting 200.
    pub async fn file_bytes(&self, token: &str, model: &str, version: &str, path: &str) -> Vec<u8> {
        let resp = self.get_file(token, model, version, path).await;
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "GET file {path} of {model} {version}"
        );
        resp.bytes().await.expect("read the file").to_vec()
    }
}
