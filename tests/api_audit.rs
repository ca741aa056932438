//! The audit log over HTTP: every change is in it, who may read which events, its filters and
//! paging, and what it says about users, teams and tokens.

mod common;

use common::{TestServer, assert_answer, assert_error, default_password, expect_json, share};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn audit(server: &TestServer, token: &str, query: &str) -> Value {
    server
        .get_json(&format!("/api/v1/audit{query}"), token)
        .await
}

fn actions(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Audit

#[tokio::test]
async fn every_change_is_in_the_audit_log_and_owners_see_their_models() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let owner = server.user_with_token("olive", false);
    let viewer = server.user_with_token("vera", false);
    server.create_model(&owner, json!({"name": "churn"})).await;
    server.create_model(&admin, json!({"name": "secret"})).await;
    server
        .upload_version_with(
            &owner,
            "churn",
            &[("publish", "true")],
            &[("weights.bin", b"weights")],
        )
        .await;
    expect_json(
        server
            .as_user(&owner)
            .post("/api/v1/models/churn/versions", json!({"publish": true}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    for version in ["0.1.0", "0.2.0"] {
        expect_json(
            server
                .as_user(&owner)
                .put(
                    "/api/v1/models/churn/aliases/production",
                    json!({"version": version}),
                )
                .await,
            StatusCode::OK,
        )
        .await;
    }
    expect_json(
        server
            .as_user(&owner)
            .put("/api/v1/models/churn/primary", json!({"version": "0.1.0"}))
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        server
            .as_user(&owner)
            .patch(
                "/api/v1/models/churn",
                json!({"description": "Predicts churn", "tags": ["a"]}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        share(
            &server,
            &owner,
            "churn",
            json!([{"username": "vera", "role": "VIEWER"}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // A refused change leaves no trace.
    assert_error(
        share(
            &server,
            &owner,
            "churn",
            json!([{"username": "olive", "role": null}]),
        )
        .await,
        409,
        "LAST_OWNER",
    )
    .await;

    let mine = audit(&server, &owner, "?model=churn").await;
    assert_eq!(
        actions(&mine),
        vec![
            "access.update",
            "model.update",
            "version.promote",
            "alias.set",
            "alias.set",
            "version.create",
            "version.create",
            "model.create",
        ]
    );
    let events = mine["data"].as_array().expect("data");
    assert!(
        events
            .iter()
            .all(|e| e["actor"] == "olive" && e["model"] == "churn")
    );
    assert_eq!(events[0]["details"]["changes"][0]["name"], "vera");
    assert_eq!(events[0]["details"]["changes"][0]["to"], "VIEWER");
    let changed: Vec<&str> = events[1]["details"]["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(changed, vec!["description", "tags"]);
    assert_eq!(events[2]["details"]["version"], "0.1.0");
    assert_eq!(events[2]["details"]["from"], "0.2.0");
    assert_eq!(events[3]["details"]["from"], "0.1.0");
    assert_eq!(events[3]["details"]["to"], "0.2.0");

    // The promotion history: alias moves and primary changes only.
    let history = audit(&server, &owner, "?model=churn&action=alias,version.promote").await;
    assert_eq!(
        actions(&history),
        vec!["version.promote", "alias.set", "alias.set"]
    );

    // Without a model filter an owner sees only their own models' events; admins see all.
    let owned = audit(&server, &owner, "").await;
    assert!(
        owned["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|e| e["model"] == "churn")
    );
    assert_eq!(owned["total_count"], 8);
    let everything = audit(&server, &admin, "?limit=1000").await;
    let all_actions = actions(&everything);
    assert!(
        all_actions.contains(&"user.create".to_owned())
            && all_actions.contains(&"token.create".to_owned())
    );
    assert!(
        everything["data"]
            .as_array()
            .expect("data")
            .iter()
            .any(|e| e["model"] == "secret")
    );
    assert_eq!(
        actions(&audit(&server, &admin, "?actor=root&action=model").await),
        vec!["model.create"]
    );

    // A viewer may see the model but not its audit log; a private model stays hidden.
    // (who, the query, the status, its error code, the field it names)
    let refusals = [
        (viewer.as_str(), "?model=churn", 403, "FORBIDDEN", None),
        (
            owner.as_str(),
            "?model=secret",
            404,
            "MODEL_NOT_FOUND",
            None,
        ),
        ("", "", 401, "NOT_AUTHENTICATED", None),
        (
            admin.as_str(),
            "?since=yesterday",
            422,
            "INVALID_TIME",
            Some("since"),
        ),
    ];
    for (who, query, status, code, field) in refusals {
        let resp = server
            .as_user(who)
            .get(&format!("/api/v1/audit{query}"))
            .await;
        let error = assert_answer(resp, status, code).await;
        if let Some(field) = field {
            assert_eq!(error["field"], field, "wrong field in {error}");
        }
    }
    assert_eq!(audit(&server, &viewer, "").await["total_count"], 0);
    assert_eq!(
        audit(&server, &admin, "?until=2000-01-01").await["total_count"],
        0
    );
    assert_eq!(
        audit(&server, &owner, "?model=churn&since=2000-01-01").await["total_count"],
        8
    );

    // Paging links keep the filters.
    let first = audit(&server, &owner, "?model=churn&limit=3").await;
    let next = first["next"].as_str().expect("next").to_owned();
    assert!(
        next.contains("model=churn") && next.contains("offset=3"),
        "{next}"
    );
    let second = expect_json(
        server
            .client
            .get(server.url(&next))
            .bearer_auth(&owner)
            .send()
            .await
            .expect("next"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        actions(&second),
        vec!["alias.set", "alias.set", "version.create"]
    );

    // A deleted model's history stays readable for admins, by id.
    let id = server.get_json("/api/v1/models/churn", &owner).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let resp = server.as_user(&owner).delete("/api/v1/models/churn").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let gone = audit(&server, &admin, &format!("?model={id}")).await;
    assert_eq!(actions(&gone)[0], "model.delete");
    assert!(
        gone["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|e| e["model"] == "churn" && e["model_deleted"] == true)
    );
    // The admin audit page names the deleted model without linking to a page that is gone.
    let admin_cookie = server.login_cookie("root", &default_password("root")).await;
    let page = server
        .with_cookie(server.get("/admin/audit"), &admin_cookie)
        .send()
        .await
        .expect("GET /admin/audit")
        .text()
        .await
        .expect("body")
        .replace("<!>", "");
    assert!(
        page.contains("churn</span> <span class=\"text-xs text-slate-500\">(deleted)"),
        "{page}"
    );
    assert!(!page.contains(r#"href="/models/churn""#), "{page}");
}

#[tokio::test]
async fn user_team_and_token_changes_are_audited() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    server.add_user("olive", &default_password("olive"), false);
    expect_json(
        server
            .as_user(&admin)
            .patch(
                "/api/v1/users/olive",
                json!({"is_admin": true, "password": "another long one"}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        server
            .as_user(&admin)
            .post("/api/v1/teams", json!({"name": "ml"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        server
            .as_user(&admin)
            .put("/api/v1/teams/ml/members/olive", Value::Null)
            .await,
        StatusCode::OK,
    )
    .await;
    let created = expect_json(
        server
            .as_user(&admin)
            .post("/api/v1/tokens", json!({"name": "ci"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().expect("id");
    server
        .as_user(&admin)
        .delete(&format!("/api/v1/tokens/{id}"))
        .await;
    let page = audit(&server, &admin, "?actor=root&action=user,team,token").await;
    assert_eq!(
        actions(&page),
        vec![
            "token.revoke",
            "token.create",
            "team.member_add",
            "team.create",
            "user.update",
            // The token the test setup made on the command line.
            "token.create",
        ]
    );
    let update = &page["data"][4];
    assert_eq!(update["target"], "user:olive");
    let changed: Vec<&str> = update["details"]["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(changed, vec!["is_admin", "password"]);
    assert!(
        !update["details"].to_string().contains("another long one"),
        "passwords never reach the log"
    );
}
