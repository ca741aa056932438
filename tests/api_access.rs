//! Access control and administration over HTTP: sharing models with users and teams, what each
//! role may do, visibility, user and team administration, every token for admins, and the audit
//! log.

mod common;

use common::{
    TestServer, assert_error, assert_invalid, default_password, expect_json, names, session_cookie,
};
use reqwest::header::{COOKIE, ORIGIN};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// Sends a JSON request (or none, for `Value::Null`) with a bearer token (none for "").
async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> Response {
    let mut request = server.client.request(method.clone(), server.url(path));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    if !body.is_null() {
        request = request.json(&body);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

async fn share(server: &TestServer, token: &str, model: &str, data: Value) -> Response {
    call(
        server,
        Method::PATCH,
        &format!("/api/v1/models/{model}/access"),
        token,
        json!({ "data": data }),
    )
    .await
}

/// The grants on a model as `(type, name, role, can_share)`.
async fn grants(
    server: &TestServer,
    token: &str,
    model: &str,
) -> Vec<(String, String, String, bool)> {
    let list = server
        .get_json(&format!("/api/v1/models/{model}/access"), token)
        .await;
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|g| {
            (
                g["principal_type"].as_str().unwrap_or_default().to_owned(),
                g["name"].as_str().unwrap_or_default().to_owned(),
                g["role"].as_str().unwrap_or_default().to_owned(),
                g["can_share"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

fn grant(kind: &str, name: &str, role: &str, can_share: bool) -> (String, String, String, bool) {
    (kind.to_owned(), name.to_owned(), role.to_owned(), can_share)
}

/// A published version 0.1.0 holding `weights.bin`.
async fn publish_version(server: &TestServer, token: &str, model: &str) {
    let resp = server
        .post(&format!("/api/v1/models/{model}/versions"))
        .bearer_auth(token)
        .multipart(
            reqwest::multipart::Form::new()
                .text("publish", "true")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(b"weights".to_vec()).file_name("weights.bin"),
                ),
        )
        .send()
        .await
        .expect("upload a version");
    expect_json(resp, StatusCode::CREATED).await;
}

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
// Roles

#[tokio::test]
async fn each_role_may_do_what_it_says_and_no_more() {
    let server = TestServer::start().await;
    let owner = server.user_with_token("olive", false);
    let editor = server.user_with_token("eddie", false);
    let viewer = server.user_with_token("vera", false);
    let stranger = server.user_with_token("sam", false);
    server.create_model(&owner, json!({"name": "churn"})).await;
    publish_version(&server, &owner, "churn").await;
    expect_json(
        share(
            &server,
            &owner,
            "churn",
            json!([{"username": "eddie", "role": "EDITOR"}, {"username": "vera", "role": "VIEWER"}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // Viewer: sees and downloads, changes nothing.
    let model = server.get_json("/api/v1/models/churn", &viewer).await;
    assert_eq!(model["role"], "VIEWER");
    let file = call(
        &server,
        Method::GET,
        "/api/v1/models/churn/versions/0.1.0/files/weights.bin",
        &viewer,
        Value::Null,
    )
    .await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.expect("bytes").as_ref(), b"weights");
    for (method, path, body) in [
        (
            Method::PATCH,
            "/api/v1/models/churn",
            json!({"description": "mine now"}),
        ),
        (Method::POST, "/api/v1/models/churn/versions", json!({})),
        (
            Method::PUT,
            "/api/v1/models/churn/aliases/staging",
            json!({"version": "0.1.0"}),
        ),
        (
            Method::PATCH,
            "/api/v1/models/churn/access",
            json!({"data": [{"username": "sam", "role": "VIEWER"}]}),
        ),
    ] {
        let resp = call(&server, method.clone(), path, &viewer, body).await;
        assert_eq!(
            resp.status(),
            StatusCode::FORBIDDEN,
            "viewer {method} {path}"
        );
    }

    // Editor: versions and unprotected aliases, not primary, protected aliases, deletion.
    let model = server.get_json("/api/v1/models/churn", &editor).await;
    assert_eq!(model["role"], "EDITOR");
    expect_json(
        call(
            &server,
            Method::POST,
            "/api/v1/models/churn/versions",
            &editor,
            json!({"description": "by eddie"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        call(
            &server,
            Method::PUT,
            "/api/v1/models/churn/aliases/staging",
            &editor,
            json!({"version": "0.1.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        call(
            &server,
            Method::PUT,
            "/api/v1/models/churn/aliases/production",
            &owner,
            json!({"version": "0.1.0", "protected": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    for (method, path, body) in [
        (
            Method::PUT,
            "/api/v1/models/churn/aliases/production",
            json!({"version": "0.2.0"}),
        ),
        (
            Method::DELETE,
            "/api/v1/models/churn/aliases/production",
            Value::Null,
        ),
        (
            Method::PUT,
            "/api/v1/models/churn/primary",
            json!({"version": "0.1.0"}),
        ),
        (
            Method::DELETE,
            "/api/v1/models/churn/versions/0.1.0",
            Value::Null,
        ),
        (Method::DELETE, "/api/v1/models/churn", Value::Null),
        (
            Method::PATCH,
            "/api/v1/models/churn",
            json!({"visibility": "public"}),
        ),
        (
            Method::PATCH,
            "/api/v1/models/churn/access",
            json!({"data": [{"username": "sam", "role": "VIEWER"}]}),
        ),
    ] {
        let resp = call(&server, method.clone(), path, &editor, body).await;
        assert_eq!(
            resp.status(),
            StatusCode::FORBIDDEN,
            "editor {method} {path}"
        );
    }
    // The editor's draft may go again.
    let resp = call(
        &server,
        Method::DELETE,
        "/api/v1/models/churn/versions/0.2.0",
        &editor,
        Value::Null,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Owner: all of it.
    expect_json(
        call(
            &server,
            Method::PUT,
            "/api/v1/models/churn/primary",
            &owner,
            json!({"version": "0.1.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // Someone with no grant on a private model: it does not exist for them.
    for (method, path) in [
        (Method::GET, "/api/v1/models/churn"),
        (Method::GET, "/api/v1/models/churn/access"),
        (Method::GET, "/api/v1/models/churn/versions"),
        (Method::PATCH, "/api/v1/models/churn"),
    ] {
        let resp = call(&server, method.clone(), path, &stranger, json!({})).await;
        assert_error(resp, 404, "MODEL_NOT_FOUND").await;
    }
}

#[tokio::test]
async fn role_names_from_other_registries_are_accepted_and_mapped() {
    let server = TestServer::start().await;
    let owner = server.user_with_token("olive", false);
    for name in ["bo", "cy", "di", "ed"] {
        server.add_user(name, &default_password(name), false);
    }
    server.create_model(&owner, json!({"name": "m"})).await;
    expect_json(
        share(
            &server,
            &owner,
            "m",
            json!([
                {"username": "bo", "role": "READ_WRITE"},
                {"username": "cy", "role": "CONSUMER", "can_share": true},
                {"username": "di", "role": "ADMIN"},
                {"username": "ed", "role": "observer"},
            ]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        grants(&server, &owner, "m").await,
        vec![
            grant("user", "di", "OWNER", false),
            grant("user", "olive", "OWNER", true),
            grant("user", "bo", "EDITOR", false),
            grant("user", "cy", "VIEWER", true),
            grant("user", "ed", "VIEWER", false),
        ]
    );
    assert_invalid(
        share(
            &server,
            &owner,
            "m",
            json!([{"username": "bo", "role": "SUPERUSER"}]),
        )
        .await,
        "INVALID_ROLE",
        "data[0].role",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Sharing rules

#[tokio::test]
async fn a_sharer_grants_at_most_its_own_role_and_a_model_keeps_an_owner() {
    let server = TestServer::start().await;
    let owner = server.user_with_token("olive", false);
    let editor = server.user_with_token("eddie", false);
    for name in ["vera", "walt"] {
        server.add_user(name, &default_password(name), false);
    }
    server.create_model(&owner, json!({"name": "m"})).await;
    expect_json(
        share(
            &server,
            &owner,
            "m",
            json!([{"username": "eddie", "role": "EDITOR", "can_share": true}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // An editor who may share grants up to Editor…
    expect_json(
        share(
            &server,
            &editor,
            "m",
            json!([{"username": "vera", "role": "EDITOR"}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // …but not Owner, and cannot touch an owner's grant.
    assert_error(
        share(
            &server,
            &editor,
            "m",
            json!([{"username": "walt", "role": "OWNER"}]),
        )
        .await,
        403,
        "ROLE_ABOVE_YOUR_OWN",
    )
    .await;
    assert_error(
        share(
            &server,
            &editor,
            "m",
            json!([{"username": "olive", "role": null}]),
        )
        .await,
        403,
        "ROLE_ABOVE_YOUR_OWN",
    )
    .await;

    // The last owner can neither leave nor step down…
    assert_error(
        share(
            &server,
            &owner,
            "m",
            json!([{"username": "olive", "role": null}]),
        )
        .await,
        409,
        "LAST_OWNER",
    )
    .await;
    assert_error(
        share(
            &server,
            &owner,
            "m",
            json!([{"username": "olive", "role": "EDITOR"}]),
        )
        .await,
        409,
        "LAST_OWNER",
    )
    .await;
    // …unless someone else becomes owner in the same request.
    expect_json(
        share(
            &server,
            &owner,
            "m",
            json!([{"username": "walt", "role": "OWNER"}, {"username": "olive", "role": null}]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let after = grants(&server, &editor, "m").await;
    assert_eq!(
        after,
        vec![
            grant("user", "walt", "OWNER", false),
            grant("user", "eddie", "EDITOR", true),
            grant("user", "vera", "EDITOR", false),
        ]
    );
    // Olive is out: the private model is gone for her.
    assert_error(
        call(
            &server,
            Method::GET,
            "/api/v1/models/m",
            &owner,
            Value::Null,
        )
        .await,
        404,
        "MODEL_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn a_bad_entry_rejects_the_whole_update() {
    let server = TestServer::start().await;
    let owner = server.user_with_token("olive", false);
    server.add_user("vera", &default_password("vera"), false);
    server.create_model(&owner, json!({"name": "m"})).await;
    let before = grants(&server, &owner, "m").await;

    assert_invalid(
        share(
            &server,
            &owner,
            "m",
            json!([{"username": "vera", "role": "VIEWER"}, {"username": "nobody", "role": "VIEWER"}]),
        )
        .await,
        "USER_NOT_FOUND",
        "data[1].username",
    )
    .await;
    assert_invalid(
        share(
            &server,
            &owner,
            "m",
            json!([{"team": "ghosts", "role": "VIEWER"}]),
        )
        .await,
        "TEAM_NOT_FOUND",
        "data[0].team",
    )
    .await;
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"username": format!("u{i}"), "role": "VIEWER"}))
        .collect();
    assert_invalid(
        share(&server, &owner, "m", Value::Array(too_many)).await,
        "INVALID_ACCESS_CHANGES",
        "data",
    )
    .await;
    assert_invalid(
        share(&server, &owner, "m", json!([])).await,
        "INVALID_ACCESS_CHANGES",
        "data",
    )
    .await;
    assert_eq!(
        grants(&server, &owner, "m").await,
        before,
        "nothing was applied"
    );

    // A hundred changes at once are fine.
    let admin = server.user_with_token("root", true);
    for i in 0..100 {
        expect_json(
            call(
                &server,
                Method::POST,
                "/api/v1/users",
                &admin,
                json!({"username": format!("u{i}"), "password": "long enough password"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
    }
    let hundred: Vec<Value> = (0..100)
        .map(|i| json!({"username": format!("u{i}"), "role": "VIEWER"}))
        .collect();
    let list = expect_json(
        share(&server, &owner, "m", Value::Array(hundred)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["count"], 101);
}

// ---------------------------------------------------------------------------------------------
// Teams

#[tokio::test]
async fn a_team_grant_reaches_its_members_and_only_while_they_are_members() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let owner = server.user_with_token("olive", false);
    let member = server.user_with_token("tess", false);

    // Only admins make teams.
    assert_error(
        call(
            &server,
            Method::POST,
            "/api/v1/teams",
            &owner,
            json!({"name": "ml"}),
        )
        .await,
        403,
        "ADMIN_ONLY",
    )
    .await;
    let team = expect_json(
        call(
            &server,
            Method::POST,
            "/api/v1/teams",
            &admin,
            json!({"name": "ml", "description": "Model builders"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(team["name"], "ml");
    assert_error(
        call(
            &server,
            Method::POST,
            "/api/v1/teams",
            &admin,
            json!({"name": "ML"}),
        )
        .await,
        409,
        "TEAM_NAME_TAKEN",
    )
    .await;
    assert_invalid(
        call(
            &server,
            Method::POST,
            "/api/v1/teams",
            &admin,
            json!({"name": "m l"}),
        )
        .await,
        "INVALID_TEAM_NAME",
        "name",
    )
    .await;
    let team = expect_json(
        call(
            &server,
            Method::PUT,
            "/api/v1/teams/ml/members/tess",
            &admin,
            Value::Null,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(team["member_count"], 1);
    assert_eq!(team["members"][0]["username"], "tess");
    assert_error(
        call(
            &server,
            Method::PUT,
            "/api/v1/teams/ml/members/nobody",
            &admin,
            Value::Null,
        )
        .await,
        404,
        "USER_NOT_FOUND",
    )
    .await;

    server.create_model(&owner, json!({"name": "m"})).await;
    assert_error(
        call(
            &server,
            Method::GET,
            "/api/v1/models/m",
            &member,
            Value::Null,
        )
        .await,
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
        call(
            &server,
            Method::POST,
            "/api/v1/models/m/versions",
            &member,
            json!({}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // Everyone signed in can list teams (to share with them).
    let teams = server.get_json("/api/v1/teams", &owner).await;
    assert_eq!(teams["total_count"], 1);

    let resp = call(
        &server,
        Method::DELETE,
        "/api/v1/teams/ml/members/tess",
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(
        call(
            &server,
            Method::GET,
            "/api/v1/models/m",
            &member,
            Value::Null,
        )
        .await,
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
        call(
            &server,
            Method::POST,
            "/api/v1/teams",
            &admin,
            json!({"name": "ml"}),
        )
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
        call(
            &server,
            Method::DELETE,
            "/api/v1/teams/ml",
            &admin,
            Value::Null,
        )
        .await,
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
    let resp = call(
        &server,
        Method::DELETE,
        "/api/v1/teams/ml",
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        grants(&server, &owner, "m").await,
        vec![grant("user", "olive", "OWNER", false)]
    );
}

// ---------------------------------------------------------------------------------------------
// Visibility

#[tokio::test]
async fn visibility_decides_who_sees_a_model_and_lists_agree() {
    let server = TestServer::start().await;
    let owner = server.user_with_token("olive", false);
    let other = server.user_with_token("sam", false);
    for (name, visibility) in [
        ("priv", "private"),
        ("inter", "internal"),
        ("pub", "public"),
    ] {
        server
            .create_model(&owner, json!({"name": name, "visibility": visibility}))
            .await;
        publish_version(&server, &owner, name).await;
    }
    let list = |token: &'static str| {
        let server = &server;
        async move {
            let resp = call(
                server,
                Method::GET,
                "/api/v1/models?order_by=name&limit=1",
                token,
                Value::Null,
            )
            .await;
            let page = expect_json(resp, StatusCode::OK).await;
            page["total_count"].as_i64().unwrap_or(-1)
        }
    };
    assert_eq!(list("").await, 1, "anonymous: public only");
    let other_page = server
        .get_json("/api/v1/models?order_by=name", &other)
        .await;
    assert_eq!(names(&other_page), vec!["inter", "pub"]);
    assert_eq!(other_page["total_count"], 2);
    assert_eq!(
        server.get_json("/api/v1/models", &owner).await["total_count"],
        3
    );

    // Anonymous: the public model and its files, nothing else.
    let public = expect_json(
        call(&server, Method::GET, "/api/v1/models/pub", "", Value::Null).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(public["role"], Value::Null);
    let file = call(
        &server,
        Method::GET,
        "/api/v1/models/pub/versions/0.1.0/files/weights.bin",
        "",
        Value::Null,
    )
    .await;
    assert_eq!(file.status(), StatusCode::OK);
    for name in ["priv", "inter"] {
        assert_error(
            call(
                &server,
                Method::GET,
                &format!("/api/v1/models/{name}"),
                "",
                Value::Null,
            )
            .await,
            404,
            "MODEL_NOT_FOUND",
        )
        .await;
        assert_error(
            call(
                &server,
                Method::GET,
                &format!("/api/v1/models/{name}/versions/0.1.0/download"),
                "",
                Value::Null,
            )
            .await,
            404,
            "MODEL_NOT_FOUND",
        )
        .await;
    }
    // Signed in without a grant: internal and public read-only, private absent.
    assert_eq!(
        server.get_json("/api/v1/models/inter", &other).await["role"],
        "VIEWER"
    );
    assert_error(
        call(
            &server,
            Method::PATCH,
            "/api/v1/models/inter",
            &other,
            json!({"description": "x"}),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_error(
        call(
            &server,
            Method::GET,
            "/api/v1/models/priv/versions",
            &other,
            Value::Null,
        )
        .await,
        404,
        "MODEL_NOT_FOUND",
    )
    .await;
    // Names are unique across the registry, hidden models included.
    assert_error(
        call(
            &server,
            Method::POST,
            "/api/v1/models",
            &other,
            json!({"name": "priv"}),
        )
        .await,
        409,
        "MODEL_NAME_TAKEN",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Users

#[tokio::test]
async fn admins_create_users_and_others_may_not() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let user = server.user_with_token("olive", false);
    let created = expect_json(
        call(
            &server,
            Method::POST,
            "/api/v1/users",
            &admin,
            json!({"username": "newbie", "display_name": "New Bie", "password": "a fine long password"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["username"], "newbie");
    assert_eq!(created["display_name"], "New Bie");
    assert_eq!(created["is_active"], true);
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());
    server.login_cookie("newbie", "a fine long password").await;

    assert_error(
        call(
            &server,
            Method::POST,
            "/api/v1/users",
            &admin,
            json!({"username": "NEWBIE", "password": "a fine long password"}),
        )
        .await,
        409,
        "USERNAME_TAKEN",
    )
    .await;
    assert_invalid(
        call(
            &server,
            Method::POST,
            "/api/v1/users",
            &admin,
            json!({"username": "x", "password": "short"}),
        )
        .await,
        "INVALID_PASSWORD",
        "password",
    )
    .await;
    for (method, path, body) in [
        (Method::GET, "/api/v1/users", Value::Null),
        (
            Method::POST,
            "/api/v1/users",
            json!({"username": "sneaky", "password": "a fine long password"}),
        ),
        (
            Method::PATCH,
            "/api/v1/users/newbie",
            json!({"is_admin": true}),
        ),
        (Method::GET, "/api/v1/tokens?all=true", Value::Null),
    ] {
        assert_error(
            call(&server, method, path, &user, body).await,
            403,
            "ADMIN_ONLY",
        )
        .await;
    }
    let found = server.get_json("/api/v1/users?search=bie", &admin).await;
    assert_eq!(found["total_count"], 1);
    assert_eq!(found["data"][0]["username"], "newbie");
    assert_eq!(
        server.get_json("/api/v1/users", &admin).await["total_count"],
        3
    );
}

#[tokio::test]
async fn a_deactivated_user_is_locked_out_at_once() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let token = server.user_with_token("olive", false);
    let cookie = server
        .login_cookie("olive", &default_password("olive"))
        .await;
    assert_eq!(
        server.get_json("/api/v1/me", &token).await["username"],
        "olive"
    );

    let user = expect_json(
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/olive",
            &admin,
            json!({"is_active": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(user["is_active"], false);
    assert_error(
        call(&server, Method::GET, "/api/v1/me", &token, Value::Null).await,
        401,
        "INVALID_TOKEN",
    )
    .await;
    let me = server
        .get("/api/v1/me")
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("me");
    assert_error(me, 401, "NOT_AUTHENTICATED").await;
    assert_error(
        server.login("olive", &default_password("olive")).await,
        403,
        "ACCOUNT_DEACTIVATED",
    )
    .await;

    expect_json(
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/olive",
            &admin,
            json!({"is_active": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    server
        .login_cookie("olive", &default_password("olive"))
        .await;
}

#[tokio::test]
async fn a_password_reset_ends_sessions_and_admins_cannot_lock_everyone_out() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    server.add_user("olive", &default_password("olive"), false);
    let cookie = server
        .login_cookie("olive", &default_password("olive"))
        .await;
    expect_json(
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/olive",
            &admin,
            json!({"password": "brand new password", "display_name": "Olive O."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let me = server
        .get("/api/v1/me")
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        server
            .login("olive", &default_password("olive"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    server.login_cookie("olive", "brand new password").await;

    assert_error(
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/root",
            &admin,
            json!({"is_active": false}),
        )
        .await,
        409,
        "CANNOT_LOCK_YOURSELF_OUT",
    )
    .await;
    assert_error(
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/root",
            &admin,
            json!({"is_admin": false}),
        )
        .await,
        409,
        "CANNOT_LOCK_YOURSELF_OUT",
    )
    .await;
    assert_error(
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/ghost",
            &admin,
            json!({"is_admin": true}),
        )
        .await,
        404,
        "USER_NOT_FOUND",
    )
    .await;
    // A second admin may take the first one's rights; then that one cannot undo the last.
    let second = server.user_with_token("deputy", true);
    expect_json(
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/root",
            &second,
            json!({"is_admin": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        server.get_json("/api/v1/me", &admin).await["is_admin"],
        false
    );
}

#[tokio::test]
async fn changing_ones_own_password_keeps_this_session_and_ends_the_others() {
    let server = TestServer::start().await;
    server.add_user("olive", &default_password("olive"), false);
    let here = server
        .login_cookie("olive", &default_password("olive"))
        .await;
    let elsewhere = server
        .login_cookie("olive", &default_password("olive"))
        .await;
    let change = |current: &str| {
        server
            .put("/api/v1/me/password")
            .header(COOKIE, &here)
            .header(ORIGIN, server.origin())
            .json(&json!({"current_password": current, "new_password": "a new long password"}))
    };
    assert_invalid(
        change("wrong password").send().await.expect("put"),
        "WRONG_PASSWORD",
        "current_password",
    )
    .await;
    let resp = change(&default_password("olive"))
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let me = |cookie: &str| {
        server
            .get("/api/v1/me")
            .header(COOKIE, cookie.to_owned())
            .send()
    };
    assert_eq!(me(&here).await.expect("me").status(), StatusCode::OK);
    assert_eq!(
        me(&elsewhere).await.expect("me").status(),
        StatusCode::UNAUTHORIZED
    );
    let fresh = server.login("olive", "a new long password").await;
    assert!(session_cookie(&fresh).is_some());
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[tokio::test]
async fn admins_see_and_revoke_every_token() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let olive = server.user_with_token("olive", false);
    let sam = server.user_with_token("sam", false);
    let all = server.get_json("/api/v1/tokens?all=true", &admin).await;
    assert_eq!(all["total_count"], 3);
    let olives: Vec<&Value> = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|t| t["username"] == "olive")
        .collect();
    assert_eq!(olives.len(), 1);
    assert!(olives[0].get("token").is_none(), "secrets are never listed");
    let id = olives[0]["id"].as_str().expect("id").to_owned();

    // Someone else's token is not theirs to revoke (and not even known to them).
    assert_error(
        call(
            &server,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &sam,
            Value::Null,
        )
        .await,
        404,
        "TOKEN_NOT_FOUND",
    )
    .await;
    let resp = call(
        &server,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(
        call(&server, Method::GET, "/api/v1/me", &olive, Value::Null).await,
        401,
        "INVALID_TOKEN",
    )
    .await;
    let paged = server
        .get_json("/api/v1/tokens?all=true&limit=2", &admin)
        .await;
    assert_eq!(paged["count"], 2);
    assert!(
        paged["next"]
            .as_str()
            .is_some_and(|n| n.contains("all=true"))
    );
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
    publish_version(&server, &owner, "churn").await;
    expect_json(
        call(
            &server,
            Method::POST,
            "/api/v1/models/churn/versions",
            &owner,
            json!({"publish": true}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    for version in ["0.1.0", "0.2.0"] {
        expect_json(
            call(
                &server,
                Method::PUT,
                "/api/v1/models/churn/aliases/production",
                &owner,
                json!({"version": version}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    expect_json(
        call(
            &server,
            Method::PUT,
            "/api/v1/models/churn/primary",
            &owner,
            json!({"version": "0.1.0"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        call(
            &server,
            Method::PATCH,
            "/api/v1/models/churn",
            &owner,
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
    assert_error(
        call(
            &server,
            Method::GET,
            "/api/v1/audit?model=churn",
            &viewer,
            Value::Null,
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_error(
        call(
            &server,
            Method::GET,
            "/api/v1/audit?model=secret",
            &owner,
            Value::Null,
        )
        .await,
        404,
        "MODEL_NOT_FOUND",
    )
    .await;
    assert_eq!(audit(&server, &viewer, "").await["total_count"], 0);
    assert_error(
        call(&server, Method::GET, "/api/v1/audit", "", Value::Null).await,
        401,
        "NOT_AUTHENTICATED",
    )
    .await;
    assert_invalid(
        call(
            &server,
            Method::GET,
            "/api/v1/audit?since=yesterday",
            &admin,
            Value::Null,
        )
        .await,
        "INVALID_TIME",
        "since",
    )
    .await;
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
    let resp = call(
        &server,
        Method::DELETE,
        "/api/v1/models/churn",
        &owner,
        Value::Null,
    )
    .await;
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
        call(
            &server,
            Method::PATCH,
            "/api/v1/users/olive",
            &admin,
            json!({"is_admin": true, "password": "another long one"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        call(
            &server,
            Method::POST,
            "/api/v1/teams",
            &admin,
            json!({"name": "ml"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        call(
            &server,
            Method::PUT,
            "/api/v1/teams/ml/members/olive",
            &admin,
            Value::Null,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let created = expect_json(
        call(
            &server,
            Method::POST,
            "/api/v1/tokens",
            &admin,
            json!({"name": "ci"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().expect("id");
    call(
        &server,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        &admin,
        Value::Null,
    )
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
