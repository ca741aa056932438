//! The models list over REST: the envelope, paging, ordering, search and filters.

mod common;

use common::{TestServer, assert_error, expect_json, names};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Listing

/// The absolute URL of a `next` / `previous` link, which may be a path or a full URL.
fn link_url(server: &TestServer, link: &Value) -> String {
    let link = link
        .as_str()
        .unwrap_or_else(|| panic!("expected a link, got {link}"));
    if link.starts_with("http://") || link.starts_with("https://") {
        link.to_owned()
    } else {
        assert!(link.starts_with('/'), "links are paths or URLs: {link}");
        server.url(link)
    }
}

async fn follow(server: &TestServer, token: &str, link: &Value) -> Value {
    let resp = server
        .client
        .get(link_url(server, link))
        .bearer_auth(token)
        .send()
        .await
        .expect("follow a paging link");
    expect_json(resp, StatusCode::OK).await
}

/// Model names in the list answered for `query`.
async fn names_in(server: &TestServer, token: &str, query: &str) -> Vec<String> {
    names(&server.list_models(token, query).await)
}

#[tokio::test]
async fn list_answers_the_envelope_with_counts() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    let empty = server.list_models(&token, "").await;
    assert_eq!(empty["count"], 0);
    assert_eq!(empty["total_count"], 0);
    assert_eq!(empty["data"], json!([]));

    for name in ["a", "b", "c"] {
        server.create_model(&token, json!({"name": name})).await;
    }
    let page = server.list_models(&token, "").await;

    assert_eq!(page["count"], 3);
    assert_eq!(page["total_count"], 3);
    assert_eq!(page["offset"], 0);
    assert_eq!(page["limit"], 50, "the default limit is 50");
    assert_eq!(page["next"], Value::Null);
    assert_eq!(page["previous"], Value::Null);
    assert_eq!(page["data"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn paging_follows_next_and_previous_links() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    for name in ["m3", "m1", "m5", "m2", "m4"] {
        server.create_model(&token, json!({"name": name})).await;
    }

    let first = server.list_models(&token, "?order_by=name&limit=2").await;
    assert_eq!(names(&first), vec!["m1", "m2"]);
    assert_eq!(first["count"], 2);
    assert_eq!(first["total_count"], 5);
    assert_eq!(first["offset"], 0);
    assert_eq!(first["limit"], 2);
    assert_eq!(first["previous"], Value::Null);

    let second = follow(&server, &token, &first["next"]).await;
    assert_eq!(names(&second), vec!["m3", "m4"], "next keeps the order");
    assert_eq!(second["offset"], 2);
    assert_eq!(second["total_count"], 5);
    assert!(second["previous"].is_string(), "{second}");

    let third = follow(&server, &token, &second["next"]).await;
    assert_eq!(names(&third), vec!["m5"]);
    assert_eq!(third["count"], 1);
    assert_eq!(third["next"], Value::Null, "no page after the last");

    let back = follow(&server, &token, &third["previous"]).await;
    assert_eq!(names(&back), vec!["m3", "m4"]);
    let start = follow(&server, &token, &second["previous"]).await;
    assert_eq!(names(&start), vec!["m1", "m2"]);
}

#[tokio::test]
async fn offset_past_the_end_is_an_empty_page() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    for name in ["a", "b"] {
        server.create_model(&token, json!({"name": name})).await;
    }

    let page = server.list_models(&token, "?offset=10&limit=5").await;

    assert_eq!(page["count"], 0);
    assert_eq!(page["total_count"], 2);
    assert_eq!(page["data"], json!([]));
    assert_eq!(page["next"], Value::Null);
}

#[tokio::test]
async fn paging_out_of_range_is_422_invalid_paging() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for query in ["?limit=0", "?limit=1001", "?offset=-1", "?limit=-5"] {
        let resp = server
            .as_user(&token)
            .get(&format!("/api/v1/models{query}"))
            .await;
        assert_error(resp, 422, "INVALID_PAGING").await;
    }
    let max = server.list_models(&token, "?limit=1000").await;
    assert_eq!(max["limit"], 1000);
}

#[tokio::test]
async fn non_numeric_paging_is_400_invalid_query() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for query in ["?limit=ten", "?offset=abc"] {
        let resp = server
            .as_user(&token)
            .get(&format!("/api/v1/models{query}"))
            .await;
        assert_error(resp, 400, "INVALID_QUERY").await;
    }
}

#[tokio::test]
async fn unknown_order_by_is_422_invalid_order_by() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for query in [
        "?order_by=size",
        "?order_by=--name",
        "?order_by=name,created",
    ] {
        let resp = server
            .as_user(&token)
            .get(&format!("/api/v1/models{query}"))
            .await;
        assert_error(resp, 422, "INVALID_ORDER_BY").await;
    }
}

#[tokio::test]
async fn order_by_name_created_and_updated() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    for name in ["b-model", "a-model", "c-model"] {
        server.create_model(&token, json!({"name": name})).await;
    }

    assert_eq!(
        names_in(&server, &token, "?order_by=name").await,
        ["a-model", "b-model", "c-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=-name").await,
        ["c-model", "b-model", "a-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=created").await,
        ["b-model", "a-model", "c-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=-created").await,
        ["c-model", "a-model", "b-model"]
    );
    assert_eq!(
        names_in(&server, &token, "").await,
        ["c-model", "a-model", "b-model"],
        "default is -updated"
    );

    let resp = server
        .patch_model(&token, "b-model", json!({"description": "touched"}))
        .await;
    expect_json(resp, StatusCode::OK).await;

    assert_eq!(
        names_in(&server, &token, "").await,
        ["b-model", "c-model", "a-model"],
        "a change moves a model up"
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=-updated").await,
        ["b-model", "c-model", "a-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=updated").await,
        ["a-model", "c-model", "b-model"]
    );
    assert_eq!(
        names_in(&server, &token, "?order_by=created").await,
        ["b-model", "a-model", "c-model"],
        "a change does not alter creation order"
    );
}

#[tokio::test]
async fn search_matches_name_description_and_tags_ignoring_case() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(
            &token,
            json!({"name": "churn-model", "description": "Predicts customer churn", "target_type": "binary"}),
        )
        .await;
    server
        .create_model(
            &token,
            json!({"name": "fraud-detector", "description": "Flags card transactions", "tags": ["Payments", "risk"], "target_type": "anomaly"}),
        )
        .await;
    server
        .create_model(
            &token,
            json!({"name": "image-classifier", "description": "A CNN for product photos", "target_type": "multiclass"}),
        )
        .await;

    let by_name = server.list_models(&token, "?search=CHURN").await;
    assert_eq!(names(&by_name), ["churn-model"]);
    assert_eq!(by_name["total_count"], 1);
    assert_eq!(
        names(&server.list_models(&token, "?search=transactions").await),
        ["fraud-detector"]
    );
    assert_eq!(
        names(&server.list_models(&token, "?search=cnn").await),
        ["image-classifier"]
    );
    assert_eq!(
        names(&server.list_models(&token, "?search=payMENTS").await),
        ["fraud-detector"]
    );
    assert_eq!(
        names(&server.list_models(&token, "?search=-&order_by=name").await),
        ["churn-model", "fraud-detector", "image-classifier"]
    );

    let none = server.list_models(&token, "?search=zebra").await;
    assert_eq!(none["count"], 0);
    assert_eq!(none["total_count"], 0);
    assert_eq!(none["data"], json!([]));
}

#[tokio::test]
async fn tag_and_target_type_filter_the_list() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server
        .create_model(
            &token,
            json!({"name": "churn-model", "tags": ["tabular"], "target_type": "binary"}),
        )
        .await;
    server
        .create_model(&token, json!({"name": "fraud-detector", "tags": ["Payments", "tabular"], "target_type": "anomaly"}))
        .await;
    server
        .create_model(
            &token,
            json!({"name": "image-classifier", "tags": ["vision"], "target_type": "multiclass"}),
        )
        .await;

    assert_eq!(
        names(&server.list_models(&token, "?tag=Payments").await),
        ["fraud-detector"]
    );
    assert_eq!(
        names(
            &server
                .list_models(&token, "?tag=tabular&order_by=name")
                .await
        ),
        ["churn-model", "fraud-detector"]
    );
    assert_eq!(
        names(&server.list_models(&token, "?target_type=multiclass").await),
        ["image-classifier"]
    );
    assert_eq!(
        names(
            &server
                .list_models(&token, "?tag=tabular&target_type=binary")
                .await
        ),
        ["churn-model"]
    );
}

/// A list reads its page in a way of its own (on SQLite row by row, on PostgreSQL as one JSON
/// array), apart from the query that reads one model or one version: each listed entry must
/// still be exactly what reading it alone answers, for every kind of field and for each caller.
#[tokio::test]
async fn every_listed_model_and_version_is_what_reading_it_alone_answers() {
    let server = TestServer::start().await;
    let owner = server.user_with_token("alice", false);
    let member = server.user_with_token("bob", false);
    server.create_model(&owner, json!({"name": "plain"})).await;
    server
        .create_model(
            &owner,
            json!({
                "name": "rich",
                "description": "Churn \"risk\", with\tescapes\nand ünïcode.",
                "readme": "---\nlicense: mit\ndatasets: [churn-2024]\nlanguage: en\n---\n# Rich\n\n<b>bold</b>",
                "target_type": "binary",
                "target_name": "churned",
                "class_labels": ["no", "yes"],
                "tags": ["churn", "tabular"],
                "metadata": {"owner": "team-7", "nested": {"n": [1, 2.5, null, true]}},
                "visibility": "internal",
            }),
        )
        .await;
    server
        .create_model(&owner, json!({"name": "kept", "visibility": "internal"}))
        .await;
    let resp = server
        .patch_model(&owner, "kept", json!({"archived": true}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    for body in [
        json!({"description": "first", "tags": ["a"], "metrics": [{"key": "auc", "value": 0.9}]}),
        json!({"description": "second", "metadata": {"rows": 10}}),
        json!({"bump": "major", "framework": {"library_name": "sklearn"}}),
    ] {
        server.create_version(&owner, "rich", body).await;
    }
    let resp = server
        .put_file(&owner, "rich", "0.2.0", "model/weights.bin", b"weights")
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    server.publish(&owner, "rich", "0.1.0").await;
    server.publish(&owner, "rich", "0.2.0").await;
    server.alias(&owner, "rich", "production", "0.2.0").await;
    server.alias(&owner, "rich", "staging", "0.1.0").await;

    for (token, expected) in [(&owner, 3), (&member, 2)] {
        let names = listed_as_read_alone(&server, token, "/api/v1/models?order_by=name", |m| {
            format!("/api/v1/models/{}", m["name"].as_str().unwrap_or_default())
        })
        .await;
        assert_eq!(names.len(), expected, "{names:?}");
        let versions = listed_as_read_alone(&server, token, "/api/v1/models/rich/versions", |v| {
            let number = v["version"].as_str().unwrap_or_default();
            format!("/api/v1/models/rich/versions/{number}")
        })
        .await;
        assert_eq!(
            versions,
            [
                "/api/v1/models/rich/versions/1.0.0",
                "/api/v1/models/rich/versions/0.2.0",
                "/api/v1/models/rich/versions/0.1.0"
            ],
            "newest first"
        );
    }
    let rich = server.get_json("/api/v1/models/rich", &owner).await;
    assert_eq!(
        rich["aliases"]
            .as_array()
            .map(|a| a.iter().map(|x| x["alias"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("production"), json!("staging")]),
        "{rich}"
    );
}

/// Lists `list` and reads each entry alone at `path_of(entry)`, asserting both answer the
/// same; answers those paths in list order.
async fn listed_as_read_alone(
    server: &TestServer,
    token: &str,
    list: &str,
    path_of: impl Fn(&Value) -> String,
) -> Vec<String> {
    let page = server.get_json(list, token).await;
    let mut paths = Vec::new();
    for entry in page["data"].as_array().expect("a list") {
        let path = path_of(entry);
        let alone = server.get_json(&path, token).await;
        assert_eq!(entry, &alone, "{path} listed and read alone");
        paths.push(path);
    }
    paths
}
