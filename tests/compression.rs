//! What goes over the wire compressed: JSON answers and pages for clients that accept gzip;
//! never the files people download, whose bytes, sizes and ranges stay exact.

mod common;

use common::{expect_json, file_url, server_with_model};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH};
use serde_json::{Value, json};
use std::io::Read;

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

#[tokio::test]
async fn json_answers_are_gzipped_for_clients_that_accept_it_and_plain_otherwise() {
    let (server, token) = server_with_model("wordy").await;
    // A description long enough for the answer to be worth compressing.
    let description = "A model with a long description. ".repeat(30);
    let resp = server
        .as_user(&token)
        .patch("/api/v1/models/wordy", json!({"description": description}))
        .await;
    expect_json(resp, StatusCode::OK).await;

    let plain = server
        .get("/api/v1/models/wordy")
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let plain: Value = plain.json().await.expect("json");

    let zipped = server
        .get("/api/v1/models/wordy")
        .bearer_auth(&token)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(zipped.status(), StatusCode::OK);
    assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
    let bytes = zipped.bytes().await.expect("body");
    let unzipped: Value = serde_json::from_slice(&gunzip(&bytes)).expect("json inside");
    assert_eq!(unzipped, plain);
    assert!(bytes.len() * 3 < serde_json::to_vec(&plain).expect("json").len());
}

#[tokio::test]
async fn downloaded_files_are_sent_as_stored_even_to_clients_that_accept_gzip() {
    let (server, token) = server_with_model("stored").await;
    server.create_version(&token, "stored", json!({})).await;
    let text = "feature,value\n".repeat(500);
    let resp = server
        .put_file(&token, "stored", "0.1.0", "data/table.csv", text.as_bytes())
        .await;
    expect_json(resp, StatusCode::CREATED).await;

    let resp = server
        .get(&file_url("stored", "0.1.0", "data/table.csv"))
        .bearer_auth(&token)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(
        resp.headers()[CONTENT_LENGTH],
        text.len().to_string().as_str()
    );
    assert_eq!(resp.bytes().await.expect("body"), text.as_bytes());
}

#[tokio::test]
async fn pages_are_gzipped_for_browsers_that_accept_it() {
    let server = common::TestServer::start().await;
    let resp = server
        .get("/login")
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    let html = String::from_utf8(gunzip(&resp.bytes().await.expect("body"))).expect("utf-8");
    assert!(html.contains("Sign in"), "{html}");
}
