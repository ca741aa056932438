//! User administration over HTTP: creating, deactivating and resetting users, changing one's own
//! password, and every token for admins.

mod common;

use common::{
    TestServer, assert_error, assert_invalid, default_password, expect_json, session_cookie,
};
use reqwest::header::{COOKIE, ORIGIN};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Users

#[tokio::test]
async fn admins_create_users_and_others_may_not() {
    let server = TestServer::start().await;
    let admin = server.user_with_token("root", true);
    let user = server.user_with_token("olive", false);
    let created = expect_json(
        server.as_user(&admin).post("/api/v1/users", json!({"username": "newbie", "display_name": "New Bie", "password": "a fine long password"}))
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
        server
            .as_user(&admin)
            .post(
                "/api/v1/users",
                json!({"username": "NEWBIE", "password": "a fine long password"}),
            )
            .await,
        409,
        "USERNAME_TAKEN",
    )
    .await;
    assert_invalid(
        server
            .as_user(&admin)
            .post(
                "/api/v1/users",
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
            server.as_user(&user).send(method, path, body).await,
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
        server
            .as_user(&admin)
            .patch("/api/v1/users/olive", json!({"is_active": false}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(user["is_active"], false);
    assert_error(
        server.as_user(&token).get("/api/v1/me").await,
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
        server
            .as_user(&admin)
            .patch("/api/v1/users/olive", json!({"is_active": true}))
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
        server
            .as_user(&admin)
            .patch(
                "/api/v1/users/olive",
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

    for (path, change, status, code) in [
        (
            "/api/v1/users/root",
            json!({"is_active": false}),
            409,
            "CANNOT_LOCK_YOURSELF_OUT",
        ),
        (
            "/api/v1/users/root",
            json!({"is_admin": false}),
            409,
            "CANNOT_LOCK_YOURSELF_OUT",
        ),
        (
            "/api/v1/users/ghost",
            json!({"is_admin": true}),
            404,
            "USER_NOT_FOUND",
        ),
    ] {
        assert_error(
            server.as_user(&admin).patch(path, change).await,
            status,
            code,
        )
        .await;
    }
    // A second admin may take the first one's rights; then that one cannot undo the last.
    let second = server.user_with_token("deputy", true);
    expect_json(
        server
            .as_user(&second)
            .patch("/api/v1/users/root", json!({"is_admin": false}))
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
        server
            .as_user(&sam)
            .delete(&format!("/api/v1/tokens/{id}"))
            .await,
        404,
        "TOKEN_NOT_FOUND",
    )
    .await;
    let resp = server
        .as_user(&admin)
        .delete(&format!("/api/v1/tokens/{id}"))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_error(
        server.as_user(&olive).get("/api/v1/me").await,
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
