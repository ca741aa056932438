//! A version's files over REST: adding, replacing, reading (ETags, ranges) and deleting one, and
//! the whole version as a zip.

mod common;

use common::{
    assert_error, assert_no_temp_uploads, content_type, expect_json, expected_files, file_url,
    files_of, header, raw_request, server_with_model, sha256_hex, version_url,
};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_NONE_MATCH, RANGE,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Read;

// ---------------------------------------------------------------------------------------------
// Single files

#[tokio::test]
async fn put_file_adds_then_replaces_a_file_of_a_draft() {
    let (server, token) = server_with_model("drafty").await;
    server.create_version(&token, "drafty", json!({})).await;

    let resp = server
        .put_file(&token, "drafty", "0.1.0", "model/weights.bin", b"first")
        .await;
    let added = expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(added["path"], "model/weights.bin");
    assert_eq!(added["size"], 5);
    assert_eq!(added["sha256"], sha256_hex(b"first"));

    // Larger than the 1 MiB JSON body limit: uploads are bounded by the upload limit only.
    let second: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let resp = server
        .put_file(&token, "drafty", "0.1.0", "model/weights.bin", &second)
        .await;
    let replaced = expect_json(resp, StatusCode::OK).await;
    assert_eq!(replaced["path"], "model/weights.bin");
    assert_eq!(replaced["size"], second.len() as i64);
    assert_eq!(replaced["sha256"], sha256_hex(&second));

    let version = server.get_version(&token, "drafty", "0.1.0").await;
    assert_eq!(
        files_of(&version),
        expected_files(&[("model/weights.bin", &second)])
    );
    assert_eq!(
        server
            .file_bytes(&token, "drafty", "0.1.0", "model/weights.bin")
            .await,
        second
    );
}

#[tokio::test]
async fn get_file_answers_the_bytes_with_an_etag_and_honours_if_none_match() {
    let (server, token) = server_with_model("tagged").await;
    server.create_version(&token, "tagged", json!({})).await;
    let bytes = b"0123456789";
    let resp = server
        .put_file(&token, "tagged", "0.1.0", "model/weights.bin", bytes)
        .await;
    expect_json(resp, StatusCode::CREATED).await;
    let etag = format!("\"{}\"", sha256_hex(bytes));

    let resp = server
        .get_file(&token, "tagged", "0.1.0", "model/weights.bin")
        .await;
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
    server.create_version(&token, "ranged", json!({})).await;
    let resp = server
        .put_file(&token, "ranged", "0.1.0", "data.bin", b"0123456789")
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
        .as_user(&token)
        .delete(&file_url("trimmed", "0.1.0", "drop/me.txt"))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    let version = server.get_version(&token, "trimmed", "0.1.0").await;
    assert_eq!(files_of(&version), expected_files(&[("keep.txt", b"keep")]));
    let resp = server
        .get_file(&token, "trimmed", "0.1.0", "drop/me.txt")
        .await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
    let resp = server
        .as_user(&token)
        .delete(&file_url("trimmed", "0.1.0", "drop/me.txt"))
        .await;
    assert_error(resp, 404, "FILE_NOT_FOUND").await;
}

#[tokio::test]
async fn files_of_a_published_version_cannot_change() {
    let (server, token) = server_with_model("frozen").await;
    server
        .upload_version_with(&token, "frozen", &[], &[("weights.bin", b"original")])
        .await;
    server.publish(&token, "frozen", "0.1.0").await;

    let attempts = [
        server
            .put_file(&token, "frozen", "0.1.0", "weights.bin", b"changed")
            .await,
        server
            .put_file(&token, "frozen", "0.1.0", "extra.bin", b"extra")
            .await,
        server
            .as_user(&token)
            .delete(&file_url("frozen", "0.1.0", "weights.bin"))
            .await,
    ];
    for resp in attempts {
        assert_error(resp, 409, "VERSION_PUBLISHED").await;
    }

    let version = server.get_version(&token, "frozen", "0.1.0").await;
    assert_eq!(
        files_of(&version),
        expected_files(&[("weights.bin", b"original")])
    );
    assert_eq!(
        server
            .file_bytes(&token, "frozen", "0.1.0", "weights.bin")
            .await,
        b"original"
    );
}

#[tokio::test]
async fn put_file_refuses_paths_that_escape_the_version() {
    let (server, token) = server_with_model("walls").await;
    server.create_version(&token, "walls", json!({})).await;

    // Encoded so the HTTP client sends them as they are; the server decodes them.
    for encoded in [
        "%2E%2E%2Fx",
        "a%2F..%2F..%2Fb",
        "%2Fetc%2Fpasswd",
        "a%5Cb",
        "a%2F%2Fb",
    ] {
        let resp = server
            .put_file(&token, "walls", "0.1.0", encoded, b"payload")
            .await;
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

    let version = server.get_version(&token, "walls", "0.1.0").await;
    assert_eq!(version["files"], json!([]));
    assert_no_temp_uploads(&server);
}

#[tokio::test]
async fn unknown_files_and_versions_are_404() {
    let (server, token) = server_with_model("sparse").await;
    server
        .upload_version_with(&token, "sparse", &[], &[("a.txt", b"a")])
        .await;

    for (version, path, code) in [
        ("0.1.0", "b.txt", "FILE_NOT_FOUND"),
        ("0.1.0", "dir/a.txt", "FILE_NOT_FOUND"),
        ("0.9.0", "a.txt", "VERSION_NOT_FOUND"),
    ] {
        let resp = server.get_file(&token, "sparse", version, path).await;
        assert_error(resp, 404, code).await;
    }
    let resp = server
        .put_file(&token, "sparse", "0.9.0", "a.txt", b"a")
        .await;
    assert_error(resp, 404, "VERSION_NOT_FOUND").await;
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
        .as_user(&token)
        .get(&format!("{}/download", version_url("zipped", "0.1.0")))
        .await;
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
    server.create_version(&token, "hollow", json!({})).await;

    let resp = server
        .as_user(&token)
        .get(&format!("{}/download", version_url("hollow", "latest")))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("the zip");
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    assert_eq!(archive.len(), 0);
}
