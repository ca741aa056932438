//! How the REST API handles requests themselves: malformed or oversized bodies, content types,
//! unknown routes, and the OpenAPI document.

mod common;

use common::{TestServer, assert_error, content_type, model_url};
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Request handling

#[tokio::test]
async fn malformed_json_is_400() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "m"})).await;

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"name": "broken","#)
        .send()
        .await
        .expect("POST");
    assert_error(resp, 400, "MALFORMED_JSON").await;

    let resp = server
        .patch("/api/v1/models/m")
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "application/json")
        .body("{description: 'x'}")
        .send()
        .await
        .expect("PATCH");
    assert_error(resp, 400, "MALFORMED_JSON").await;
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_415() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let body = r#"{"name": "typed"}"#;

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "text/plain")
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE").await;

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE").await;

    let resp = server.as_user(&token).get(&model_url("typed")).await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

#[tokio::test]
async fn body_over_one_mebibyte_is_413() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let body = format!(
        r#"{{"name": "huge", "description": "{}"}}"#,
        "x".repeat(1024 * 1024 + 64)
    );

    // A server that answers before reading the whole body may reset the connection under a
    // client still sending; only such transport failures are retried.
    let mut attempts = 0;
    let resp = loop {
        attempts += 1;
        let sent = server
            .post("/api/v1/models")
            .bearer_auth(&token)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(resp) => break resp,
            Err(e) if attempts < 5 => eprintln!("attempt {attempts}: {e}"),
            Err(e) => panic!("no response to an oversized body after {attempts} attempts: {e}"),
        }
    };
    assert_error(resp, 413, "BODY_TOO_LARGE").await;

    let resp = server.as_user(&token).get(&model_url("huge")).await;
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

#[tokio::test]
async fn unknown_api_route_is_404_json() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for path in [
        "/api/v1/no-such-thing",
        "/api/v2/models",
        "/api/nothing/here",
    ] {
        let resp = server.as_user(&token).get(path).await;
        let kind = content_type(&resp);
        assert!(
            kind.starts_with("application/json"),
            "{path} should answer JSON, got {kind:?}"
        );
        assert_error(resp, 404, "NOT_FOUND").await;
    }
    let resp = server.anonymous().get("/api/v1/no-such-thing").await;
    assert_error(resp, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let doc = server.get_json("/api/v1/openapi.json", &token).await;

    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "OpenAPI 3.1, got {version:?}");
    let paths = doc["paths"]
        .as_object()
        .unwrap_or_else(|| panic!("`paths` should be an object: {doc}"));
    for (path, methods) in [
        ("/api/v1/models", &["get", "post"][..]),
        ("/api/v1/models/{model}", &["get", "patch", "delete"][..]),
        ("/api/v1/me", &["get"][..]),
        ("/api/v1/tokens", &["get", "post"][..]),
        ("/api/v1/tokens/{id}", &["delete"][..]),
    ] {
        let item = paths.get(path).unwrap_or_else(|| {
            panic!("{path} missing from {:?}", paths.keys().collect::<Vec<_>>())
        });
        for method in methods {
            assert!(
                item.get(*method).is_some(),
                "{method} {path} is not documented"
            );
        }
    }
}
