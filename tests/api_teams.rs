//! Teams over HTTP: admins make them, a grant to a team reaches its members while they are
//! members, and a team that is a model's only owner stays.

mod common;

use common::{TestServer, assert_answer, assert_error, expect_json, grant, grants, names, share};
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Teams

#[tokio::test]
async fn a_team_grant_reaches_its_members_and_only_while_they_are_members() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let owner = server.user_with_token("olive", false);
    let member = server.user_with_token("tess", false);

    // Only admins make teams, each with a name of its own.
    let mut answers = Vec::new();
    for (who, body, status, code) in [
        (&owner, json!({"name": "ml"}), 403, "ADMIN_ONLY"),
        (
            &admin,
            json!({"name": "ml", "description": "Model builders"}),
            201,
            "",
        ),
        (&admin, json!({"name": "ML"}), 409, "TEAM_NAME_TAKEN"),
        (&admin, json!({"name": "m l"}), 422, "INVALID_TEAM_NAME"),
    ] {
        let resp = server.as_user(who).post("/api/v1/teams", body).await;
        answers.push(assert_answer(resp, status, code).await);
    }
    assert_eq!(answers[1]["name"], "ml");
    assert_eq!(answers[3]["field"], "name", "wrong field in {}", answers[3]);
    let team = expect_json(
        server
            .as_user(&admin)
            .put("/api/v1/teams/ml/members/tess", Value::Null)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(team["member_count"], 1);
    assert_eq!(team["members"][0]["username"], "tess");
    assert_error(
        server
            .as_user(&admin)
            .put("/api/v1/teams/ml/members/nobody", Value::Null)
            .await,
        404,
        "USER_NOT_FOUND",
    )
    .await;

    server.create_model(&owner, json!({"name": "m"})).await;
    assert_error(
        server.as_user(&member).get("/api/v1/models/m").await,
        404,
        "MODEL_NOT_FOUND",
    )
    .await;
    expect_json(
        share(
            &server,
            &owner,
            "m",
            json!([{"team": "ml", "role": "EDITOR"}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let model = server.get_json("/api/v1/models/m", &member).await;
    assert_eq!(model["role"], "EDITOR");
    assert_eq!(
        names(&server.get_json("/api/v1/models", &member).await),
        vec!["m"]
    );
    expect_json(
        server
            .as_user(&member)
            .post("/api/v1/models/m/versions", json!({}))
            .await,
        StatusCode::CREATED,
    )
    .await;

    // Everyone signed in can list teams (to share with them).
    let teams = server.get_json("/api/v1/teams", &owner).await;
    assert_eq!(teams["total_count"], 1);

    let resp = server
        .as_user(&admin)
        .delete("/api/v1/teams/ml/members/tess")
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(
        server.as_user(&member).get("/api/v1/models/m").await,
        404,
        "MODEL_NOT_FOUND",
    )
    .await;
    assert_eq!(
        server.get_json("/api/v1/models", &member).await["total_count"],
        0
    );
}

#[tokio::test]
async fn a_team_that_is_a_models_only_owner_cannot_be_deleted() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let owner = server.user_with_token("olive", false);
    expect_json(
        server
            .as_user(&admin)
            .post("/api/v1/teams", json!({"name": "ml"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    server.create_model(&owner, json!({"name": "m"})).await;
    expect_json(
        share(
            &server,
            &owner,
            "m",
            json!([{"team": "ml", "role": "OWNER"}, {"username": "olive", "role": null}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_error(
        server.as_user(&admin).delete("/api/v1/teams/ml").await,
        409,
        "LAST_OWNER",
    )
    .await;
    expect_json(
        share(
            &server,
            &admin,
            "m",
            json!([{"username": "olive", "role": "OWNER"}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let resp = server.as_user(&admin).delete("/api/v1/teams/ml").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        grants(&server, &owner, "m").await,
        vec![grant("user", "olive", "OWNER", false)]
    );
}
