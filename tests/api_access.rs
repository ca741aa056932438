//! Access control over HTTP: what each role may do, the rules of sharing a model, and who sees a
//! model of each visibility.

mod common;

use common::{
    TestServer, assert_answer, assert_error, assert_invalid, default_password, expect_json, grant,
    grants, names, share,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    server
        .upload_version_with(
            &owner,
            "churn",
            &[("publish", "true")],
            &[("weights.bin", b"weights")],
        )
        .await;
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
    let file = server
        .as_user(&viewer)
        .get("/api/v1/models/churn/versions/0.1.0/files/weights.bin")
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
        let resp = server
            .as_user(&viewer)
            .send(method.clone(), path, body)
            .await;
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
        server
            .as_user(&editor)
            .post(
                "/api/v1/models/churn/versions",
                json!({"description": "by eddie"}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        server
            .as_user(&editor)
            .put(
                "/api/v1/models/churn/aliases/staging",
                json!({"version": "0.1.0"}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        server
            .as_user(&owner)
            .put(
                "/api/v1/models/churn/aliases/production",
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
        let resp = server
            .as_user(&editor)
            .send(method.clone(), path, body)
            .await;
        assert_eq!(
            resp.status(),
            StatusCode::FORBIDDEN,
            "editor {method} {path}"
        );
    }
    // The editor's draft may go again.
    let resp = server
        .as_user(&editor)
        .delete("/api/v1/models/churn/versions/0.2.0")
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Owner: all of it.
    expect_json(
        server
            .as_user(&owner)
            .put("/api/v1/models/churn/primary", json!({"version": "0.1.0"}))
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
        let resp = server
            .as_user(&stranger)
            .send(method.clone(), path, json!({}))
            .await;
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

    // (who, the changes, the status, its error code)
    let cases = [
        // An editor who may share grants up to Editor…
        (
            &editor,
            json!([{"username": "vera", "role": "EDITOR"}]),
            200,
            "",
        ),
        // …but not Owner, and cannot touch an owner's grant.
        (
            &editor,
            json!([{"username": "walt", "role": "OWNER"}]),
            403,
            "ROLE_ABOVE_YOUR_OWN",
        ),
        (
            &editor,
            json!([{"username": "olive", "role": null}]),
            403,
            "ROLE_ABOVE_YOUR_OWN",
        ),
        // The last owner can neither leave nor step down…
        (
            &owner,
            json!([{"username": "olive", "role": null}]),
            409,
            "LAST_OWNER",
        ),
        (
            &owner,
            json!([{"username": "olive", "role": "EDITOR"}]),
            409,
            "LAST_OWNER",
        ),
        // …unless someone else becomes owner in the same request.
        (
            &owner,
            json!([{"username": "walt", "role": "OWNER"}, {"username": "olive", "role": null}]),
            200,
            "",
        ),
    ];
    for (who, changes, status, code) in cases {
        assert_answer(share(&server, who, "m", changes).await, status, code).await;
    }
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
        server.as_user(&owner).get("/api/v1/models/m").await,
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

    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"username": format!("u{i}"), "role": "VIEWER"}))
        .collect();
    // (the changes, the error code, the field it names)
    let cases = [
        (
            json!([{"username": "vera", "role": "VIEWER"}, {"username": "nobody", "role": "VIEWER"}]),
            "USER_NOT_FOUND",
            "data[1].username",
        ),
        (
            json!([{"team": "ghosts", "role": "VIEWER"}]),
            "TEAM_NOT_FOUND",
            "data[0].team",
        ),
        (Value::Array(too_many), "INVALID_ACCESS_CHANGES", "data"),
        (json!([]), "INVALID_ACCESS_CHANGES", "data"),
    ];
    for (changes, code, field) in cases {
        assert_invalid(share(&server, &owner, "m", changes).await, code, field).await;
    }
    assert_eq!(
        grants(&server, &owner, "m").await,
        before,
        "nothing was applied"
    );

    // A hundred changes at once are fine.
    let admin = server.user_with_token("root", true);
    for i in 0..100 {
        expect_json(
            server
                .as_user(&admin)
                .post(
                    "/api/v1/users",
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
        server
            .upload_version_with(
                &owner,
                name,
                &[("publish", "true")],
                &[("weights.bin", b"weights")],
            )
            .await;
    }
    let list = |token: &'static str| {
        let server = &server;
        async move {
            let resp = server
                .as_user(token)
                .get("/api/v1/models?order_by=name&limit=1")
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
        server.anonymous().get("/api/v1/models/pub").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(public["role"], Value::Null);
    let file = server
        .anonymous()
        .get("/api/v1/models/pub/versions/0.1.0/files/weights.bin")
        .await;
    assert_eq!(file.status(), StatusCode::OK);
    for name in ["priv", "inter"] {
        assert_error(
            server
                .anonymous()
                .get(&format!("/api/v1/models/{name}"))
                .await,
            404,
            "MODEL_NOT_FOUND",
        )
        .await;
        assert_error(
            server
                .anonymous()
                .get(&format!("/api/v1/models/{name}/versions/0.1.0/download"))
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
        server
            .as_user(&other)
            .patch("/api/v1/models/inter", json!({"description": "x"}))
            .await,
        403,
        "FORBIDDEN",
    )
    .await;
    assert_error(
        server
            .as_user(&other)
            .get("/api/v1/models/priv/versions")
            .await,
        404,
        "MODEL_NOT_FOUND",
    )
    .await;
    // Names are unique across the registry, hidden models included.
    assert_error(
        server
            .as_user(&other)
            .post("/api/v1/models", json!({"name": "priv"}))
            .await,
        409,
        "MODEL_NAME_TAKEN",
    )
    .await;
}
