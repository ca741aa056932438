//! What is left after uploads that do not finish — a client that goes away, a server that is
//! killed — and the sweep that removes stored files no version uses.

mod common;

use common::{TestServer, assert_error, expect_json};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

type Chunk = Result<Vec<u8>, std::io::Error>;

/// A request body fed through a channel, so a test decides when (and whether) it ends.
fn channel_body() -> (mpsc::Sender<Chunk>, reqwest::Body) {
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (tx, reqwest::Body::wrap_stream(stream))
}

/// Files under `blobs/` (stored content) and under `blobs/tmp` (uploads in flight).
fn stored_files(data_dir: &Path) -> (Vec<String>, Vec<String>) {
    let root = data_dir.join("blobs");
    let mut blobs = Vec::new();
    let mut temp = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return (blobs, temp);
    };
    for dir in dirs.flatten() {
        let name = dir.file_name().to_string_lossy().into_owned();
        for entry in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let file = entry.file_name().to_string_lossy().into_owned();
            if name == "tmp" {
                temp.push(file);
            } else {
                blobs.push(format!("{name}{file}"));
            }
        }
    }
    blobs.sort();
    (blobs, temp)
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn setup(server: &TestServer) -> String {
    let token = server.user_with_token("ada", true);
    server.create_model(&token, json!({"name": "churn"})).await;
    token
}

async fn create_draft(server: &TestServer, token: &str) -> Value {
    let resp = server
        .as_user(token)
        .post("/api/v1/models/churn/versions", json!({}))
        .await;
    expect_json(resp, StatusCode::CREATED).await
}

async fn versions(server: &TestServer, token: &str) -> Value {
    server
        .get_json("/api/v1/models/churn/versions", token)
        .await
}

#[tokio::test]
async fn a_client_that_goes_away_mid_file_leaves_nothing_behind() {
    let server = TestServer::start().await;
    let token = setup(&server).await;
    create_draft(&server, &token).await;

    let (tx, body) = channel_body();
    let request = server
        .client
        .put(server.url("/api/v1/models/churn/versions/0.1.0/files/weights.bin"))
        .bearer_auth(&token)
        .body(body)
        .send();
    let data_dir = server.data_dir();
    let sender = async {
        for _ in 0..4 {
            tx.send(Ok(vec![7u8; 256 * 1024]))
                .await
                .expect("send a chunk");
        }
        // Break off only once the server is visibly in the middle of it.
        eventually("the upload is being stored", async || {
            !stored_files(&data_dir).1.is_empty()
        })
        .await;
        // The client breaks off: the connection closes mid-body.
        let _ = tx.send(Err(std::io::Error::other("client gave up"))).await;
    };
    let (result, ()) = tokio::join!(request, sender);
    assert!(
        result.is_err() || !result.as_ref().is_ok_and(|r| r.status().is_success()),
        "an interrupted upload must not succeed"
    );

    eventually("the partial upload is gone", async || {
        let (blobs, temp) = stored_files(&data_dir);
        blobs.is_empty() && temp.is_empty()
    })
    .await;
    let files = server
        .get_json("/api/v1/models/churn/versions/0.1.0/files", &token)
        .await;
    assert_eq!(files["count"], 0, "no half-visible file: {files}");
    let resp = server
        .as_user(&token)
        .get("/api/v1/models/churn/versions/0.1.0/files/weights.bin")
        .await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
}

#[tokio::test]
async fn a_client_that_goes_away_mid_multipart_leaves_no_version() {
    let server = TestServer::start().await;
    let token = setup(&server).await;

    let (tx, body) = channel_body();
    let form = reqwest::multipart::Form::new()
        .text("description", "never finished")
        .part(
            "file",
            reqwest::multipart::Part::stream(body).file_name("model/weights.bin"),
        );
    let request = server
        .post("/api/v1/models/churn/versions")
        .bearer_auth(&token)
        .multipart(form)
        .send();
    let sender = async {
        for _ in 0..4 {
            tx.send(Ok(vec![1u8; 256 * 1024]))
                .await
                .expect("send a chunk");
        }
        // Break off only once the server is visibly in the middle of it.
        eventually("the version shows as pending", async || {
            versions(&server, &token).await["data"][0]["registration"] == "pending"
        })
        .await;
        let _ = tx.send(Err(std::io::Error::other("client gave up"))).await;
    };
    let (result, ()) = tokio::join!(request, sender);
    assert!(
        result.is_err() || !result.as_ref().is_ok_and(|r| r.status().is_success()),
        "an interrupted upload must not create a version"
    );

    let data_dir = server.data_dir();
    eventually("the pending version is removed", async || {
        versions(&server, &token).await["total_count"] == 0
    })
    .await;
    eventually("the temporary file is removed", async || {
        stored_files(&data_dir).1.is_empty()
    })
    .await;
    let model = server.get_json("/api/v1/models/churn", &token).await;
    assert_eq!(model["version_count"], 0);
}

/// Starts a version upload whose streamed part (fed through the returned sender) has sent one
/// chunk, and waits until the version shows as pending.
async fn upload_until_pending(
    server: &TestServer,
    token: &str,
    form: impl FnOnce(reqwest::Body) -> reqwest::multipart::Form,
) -> (
    mpsc::Sender<Chunk>,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let (tx, body) = channel_body();
    let request = server
        .post("/api/v1/models/churn/versions")
        .bearer_auth(token)
        .multipart(form(body))
        .send();
    let upload = tokio::spawn(request);
    tx.send(Ok(vec![3u8; 512 * 1024]))
        .await
        .expect("send a chunk");
    eventually("the version shows as pending", async || {
        let list = versions(server, token).await;
        list["data"][0]["registration"] == "pending"
    })
    .await;
    (tx, upload)
}

#[tokio::test]
async fn a_server_killed_mid_upload_marks_the_version_failed_and_cleans_up() {
    let mut server = TestServer::start().await;
    let token = setup(&server).await;

    let (tx, upload) = upload_until_pending(&server, &token, |body| {
        reqwest::multipart::Form::new().text("bump", "major").part(
            "file",
            reqwest::multipart::Part::stream(body).file_name("weights.bin"),
        )
    })
    .await;
    let pending = versions(&server, &token).await["data"][0].clone();
    assert_eq!(pending["version"], "0.1.0");
    assert!(
        !stored_files(&server.data_dir()).1.is_empty(),
        "the upload in flight is in the temporary folder"
    );

    server.crash_and_restart().await;
    drop(tx);
    let _ = upload.await;

    let list = versions(&server, &token).await;
    assert_eq!(list["total_count"], 1, "{list}");
    let version = &list["data"][0];
    assert_eq!(version["registration"], "failed", "{version}");
    assert_eq!(version["files"].as_array().map(Vec::len), Some(0));
    assert!(
        stored_files(&server.data_dir()).1.is_empty(),
        "temporary files of the dead upload are gone after the restart"
    );

    // A failed version can be seen and deleted, never promoted or published.
    let resp = server
        .client
        .put(server.url("/api/v1/models/churn/primary"))
        .bearer_auth(&token)
        .json(&json!({"version": "0.1.0"}))
        .send()
        .await
        .expect("promote");
    assert_error(resp, 409, "VERSION_CANNOT_BE_PRIMARY").await;
    let resp = server
        .as_user(&token)
        .post("/api/v1/models/churn/versions/0.1.0/publish", Value::Null)
        .await;
    assert_error(resp, 409, "VERSION_NOT_READY").await;
    let resp = server
        .as_user(&token)
        .delete("/api/v1/models/churn/versions/0.1.0")
        .await;
    let deleted = expect_json(resp, StatusCode::OK).await;
    assert_eq!(deleted["model_deleted"], true);
}

#[tokio::test]
async fn a_version_cut_off_by_a_kill_is_never_latest_and_serves_no_files() {
    let mut server = TestServer::start().await;
    let token = setup(&server).await;
    let ready = create_draft(&server, &token).await;
    assert_eq!(ready["version"], "0.1.0");

    // One whole file, then a second that never ends.
    let (tx, upload) = upload_until_pending(&server, &token, |body| {
        reqwest::multipart::Form::new()
            .text("bump", "major")
            .part(
                "files",
                reqwest::multipart::Part::bytes(b"complete".to_vec()).file_name("notes.txt"),
            )
            .part(
                "files",
                reqwest::multipart::Part::stream(body).file_name("weights.bin"),
            )
    })
    .await;
    // Pending is not latest either.
    let model = server.get_json("/api/v1/models/churn", &token).await;
    assert_eq!(model["latest_version"], "0.1.0", "{model}");

    server.crash_and_restart().await;
    drop(tx);
    let _ = upload.await;

    let failed = server
        .get_json("/api/v1/models/churn/versions/1.0.0", &token)
        .await;
    assert_eq!(failed["registration"], "failed", "{failed}");
    let model = server.get_json("/api/v1/models/churn", &token).await;
    assert_eq!(model["latest_version"], "0.1.0", "{model}");
    let latest = server
        .get_json("/api/v1/models/churn/versions/latest", &token)
        .await;
    assert_eq!(latest["version"], "0.1.0", "{latest}");
    for path in ["download", "files/notes.txt", "files/weights.bin"] {
        let resp = server
            .as_user(&token)
            .get(&format!("/api/v1/models/churn/versions/1.0.0/{path}"))
            .await;
        let error = assert_error(resp, 409, "VERSION_NOT_READY").await;
        assert!(
            error["error_msg"]
                .as_str()
                .unwrap_or_default()
                .contains("failed"),
            "{error}"
        );
    }

    // The failed version keeps its number: the upload page says which number comes next, and
    // the next version gets it.
    let cookie = server
        .login_cookie("ada", &common::default_password("ada"))
        .await;
    let page = server
        .with_cookie(server.get("/models/churn/upload"), &cookie)
        .send()
        .await
        .expect("GET the upload page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("The highest number so far is 1.0.0 (failed); this one will be 1.1.0."),
        "{page}"
    );
    let next = create_draft(&server, &token).await;
    assert_eq!(next["version"], "1.1.0");
}

async fn put_file(server: &TestServer, token: &str, version: &str, path: &str, bytes: &[u8]) {
    let resp = server.put_file(token, "churn", version, path, bytes).await;
    assert!(resp.status().is_success(), "PUT {path}: {}", resp.status());
}

#[tokio::test]
async fn identical_bytes_are_stored_once_and_the_sweep_removes_only_unused_ones() {
    if !common::local_storage() {
        // This reads the files under `blobs/`; the S3 backend's storage tests (`s3_bucket::*`)
        // check the same against the bucket.
        eprintln!("looks at local files: runs in the SQLite + local files pass");
        return;
    }
    let server = TestServer::start().await;
    let token = setup(&server).await;
    create_draft(&server, &token).await;
    put_file(&server, &token, "0.1.0", "a.bin", b"shared bytes").await;
    put_file(
        &server,
        &token,
        "0.1.0",
        "b.bin",
        b"only in the first version",
    )
    .await;
    put_file(&server, &token, "0.1.0", "copy-of-a.bin", b"shared bytes").await;
    assert_eq!(
        stored_files(&server.data_dir()).0.len(),
        2,
        "three files, two distinct contents"
    );

    let resp = server
        .as_user(&token)
        .post(
            "/api/v1/models/churn/versions",
            json!({"base_version": "0.1.0", "delete_paths": ["b.bin"]}),
        )
        .await;
    let second = expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(second["version"], "0.2.0");
    put_file(
        &server,
        &token,
        "0.2.0",
        "c.bin",
        b"new in the second version",
    )
    .await;
    assert_eq!(stored_files(&server.data_dir()).0.len(), 3);

    let resp = server
        .as_user(&token)
        .delete("/api/v1/models/churn/versions/0.1.0")
        .await;
    expect_json(resp, StatusCode::OK).await;

    let out = server.cli(&["storage", "sweep", "--grace-seconds", "0"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains("removed 1 unused stored files"), "{said}");
    assert_eq!(stored_files(&server.data_dir()).0.len(), 2);

    for (path, bytes) in [
        ("a.bin", &b"shared bytes"[..]),
        ("copy-of-a.bin", b"shared bytes"),
        ("c.bin", b"new in the second version"),
    ] {
        let resp = server
            .as_user(&token)
            .get(&format!("/api/v1/models/churn/versions/0.2.0/files/{path}"))
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(resp.bytes().await.expect("bytes").as_ref(), bytes, "{path}");
    }
}
