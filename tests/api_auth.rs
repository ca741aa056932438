//! Who is calling: API tokens, browser sessions, sign-in throttling, the same-origin rule for
//! cookie writes, and the command line that creates users and tokens.

mod common;

use chrono::{DateTime, Utc};
use common::{
    SESSION_COOKIE, TestServer, assert_error, assert_invalid, default_password, expect_json,
    is_token_secret, session_cookie, session_set_cookie,
};
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const EVIL_ORIGIN: &str = "http://evil.example";

async fn me_with_token(server: &TestServer, token: &str) -> Response {
    server.as_user(token).get("/api/v1/me").await
}

async fn me_with_cookie(server: &TestServer, cookie: &str) -> Response {
    server
        .get("/api/v1/me")
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("GET /api/v1/me")
}

async fn create_token(server: &TestServer, token: &str, body: Value) -> Response {
    server.as_user(token).post("/api/v1/tokens", body).await
}

async fn list_tokens(server: &TestServer, token: &str) -> Value {
    server.get_json("/api/v1/tokens", token).await
}

/// A token made on the command line under a chosen name, so tests can find it in lists.
fn cli_token(server: &TestServer, name: &str, user: &str) -> String {
    let out = server.cli(&["token", "add", name, "--user", user], "");
    assert!(
        out.status.success(),
        "token add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 token")
        .trim_end()
        .to_owned()
}

/// The listed token with this name.
fn token_named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("`data` should be an array: {list}"))
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no token named {name} in {list}"))
}

fn parse_time(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a timestamp, got {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// A cookie-authenticated model creation with the given Origin header (or none).
async fn create_model_with_cookie(
    server: &TestServer,
    cookie: &str,
    origin: Option<&str>,
    name: &str,
) -> Response {
    let request = server
        .post("/api/v1/models")
        .header(COOKIE, cookie)
        .json(&json!({"name": name}));
    let request = match origin {
        Some(origin) => request.header(ORIGIN, origin),
        None => request,
    };
    request.send().await.expect("POST /api/v1/models")
}

/// Waits briefly for a line containing `needle` to reach the server log.
async fn wait_for_log(server: &TestServer, needle: &str) -> String {
    for _ in 0..50 {
        let log = server.log();
        if log.contains(needle) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the server log never mentioned {needle:?}:\n{}",
        server.log()
    );
}

// ---------------------------------------------------------------------------------------------
// /me and tokens

#[tokio::test]
async fn me_with_token_describes_the_caller() {
    let server = TestServer::start().await;
    let out = server.cli(
        &["user", "add", "alice", "--display-name", "Alice Liddell"],
        "alice-password-1\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alice = server.add_token("alice");
    let root = server.user_with_token("root", true);

    let me = expect_json(me_with_token(&server, &alice).await, StatusCode::OK).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["display_name"], "Alice Liddell");
    assert_eq!(me["is_admin"], false);

    let admin = expect_json(me_with_token(&server, &root).await, StatusCode::OK).await;
    assert_eq!(admin["username"], "root");
    assert_eq!(admin["is_admin"], true);
}

#[tokio::test]
async fn me_without_credentials_is_401_not_authenticated() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);

    let resp = server.anonymous().get("/api/v1/me").await;

    assert_error(resp, 401, "NOT_AUTHENTICATED").await;
}

#[tokio::test]
async fn garbage_token_is_401_invalid_token() {
    let server = TestServer::start().await;
    server.user_with_token("alice", false);
    let well_formed_but_unknown = format!("myd_{}", "0".repeat(48));

    for token in ["garbage", "myd_", well_formed_but_unknown.as_str()] {
        let resp = me_with_token(&server, token).await;
        assert_error(resp, 401, "INVALID_TOKEN").await;
    }
}

#[tokio::test]
async fn revoked_token_is_401_invalid_token() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);
    let keeper = cli_token(&server, "keeper", "alice");
    let doomed = cli_token(&server, "doomed", "alice");
    expect_json(me_with_token(&server, &doomed).await, StatusCode::OK).await;
    let id = token_named(&list_tokens(&server, &keeper).await, "doomed")["id"]
        .as_str()
        .expect("token id")
        .to_owned();

    let resp = server
        .as_user(&keeper)
        .delete(&format!("/api/v1/tokens/{id}"))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    assert_error(me_with_token(&server, &doomed).await, 401, "INVALID_TOKEN").await;
    let listed = list_tokens(&server, &keeper).await;
    assert_eq!(token_named(&listed, "doomed")["revoked"], true);
    assert_eq!(token_named(&listed, "keeper")["revoked"], false);
    expect_json(me_with_token(&server, &keeper).await, StatusCode::OK).await;
}

#[tokio::test]
async fn revoking_someone_elses_or_an_unknown_token_is_404() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);
    let alices = cli_token(&server, "alices", "alice");
    let bob = server.user_with_token("bob", false);
    let alices_id = token_named(&list_tokens(&server, &alices).await, "alices")["id"]
        .as_str()
        .expect("token id")
        .to_owned();

    for id in [alices_id.as_str(), "no-such-token"] {
        let resp = server
            .as_user(&bob)
            .delete(&format!("/api/v1/tokens/{id}"))
            .await;
        assert_error(resp, 404, "TOKEN_NOT_FOUND").await;
    }
    expect_json(me_with_token(&server, &alices).await, StatusCode::OK).await;
}

#[tokio::test]
async fn token_list_never_contains_the_secret() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);
    let laptop = cli_token(&server, "laptop", "alice");
    let created = expect_json(
        create_token(&server, &laptop, json!({"name": "ci"})).await,
        StatusCode::CREATED,
    )
    .await;
    let ci = created["token"].as_str().expect("secret").to_owned();

    let resp = server.as_user(&laptop).get("/api/v1/tokens").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.expect("body");

    for secret in [&laptop, &ci] {
        assert!(
            !text.contains(secret.as_str()),
            "the list shows a secret: {text}"
        );
        assert!(
            !text.contains(&secret["myd_".len()..]),
            "the list shows a secret's random part: {text}"
        );
    }
    let listed: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(2), "{listed}");
    for (name, secret) in [("laptop", &laptop), ("ci", &ci)] {
        let token = token_named(&listed, name);
        assert!(
            token.get("token").is_none(),
            "listed tokens carry no secret: {token}"
        );
        for key in [
            "id",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked",
        ] {
            assert!(token.get(key).is_some(), "{key} missing from {token}");
        }
        assert_eq!(token["revoked"], false);
        let prefix = token["prefix"].as_str().expect("prefix");
        assert!(
            secret.starts_with(prefix) && prefix.len() < secret.len(),
            "prefix {prefix:?} should be the start of the secret"
        );
    }
}

#[tokio::test]
async fn token_created_via_api_returns_a_working_secret_once() {
    let server = TestServer::start().await;
    let first = server.user_with_token("alice", false);

    let resp = create_token(&server, &first, json!({"name": "ci-pipeline"})).await;
    let created = expect_json(resp, StatusCode::CREATED).await;

    let secret = created["token"].as_str().expect("token is a string");
    assert!(is_token_secret(secret), "not a myd_ token: {secret}");
    assert_eq!(created["name"], "ci-pipeline");
    assert!(created["id"].is_string());
    assert_eq!(created["expires_at"], Value::Null, "no expiry asked for");
    parse_time(&created["created_at"]);
    let prefix = created["prefix"].as_str().expect("prefix");
    assert!(secret.starts_with(prefix));

    let me = expect_json(me_with_token(&server, secret).await, StatusCode::OK).await;
    assert_eq!(me["username"], "alice");
    let listed = list_tokens(&server, secret).await;
    assert_eq!(token_named(&listed, "ci-pipeline")["id"], created["id"]);
}

#[tokio::test]
async fn token_with_expiry_expires_that_many_days_later() {
    let server = TestServer::start().await;
    let first = server.user_with_token("alice", false);

    let resp = create_token(
        &server,
        &first,
        json!({"name": "monthly", "expires_in_days": 30}),
    )
    .await;
    let created = expect_json(resp, StatusCode::CREATED).await;

    let lifetime = parse_time(&created["expires_at"]) - parse_time(&created["created_at"]);
    let expected = chrono::Duration::days(30);
    assert!(
        (lifetime - expected).num_seconds().abs() <= 60,
        "expected about 30 days, got {lifetime}"
    );
    let secret = created["token"].as_str().expect("secret");
    expect_json(me_with_token(&server, secret).await, StatusCode::OK).await;
}

#[tokio::test]
async fn token_name_must_be_1_to_64_characters() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for name in [String::new(), "n".repeat(65)] {
        let resp = create_token(&server, &token, json!({"name": name})).await;
        assert_invalid(resp, "INVALID_TOKEN_NAME", "name").await;
    }
    for name in ["n".to_owned(), "n".repeat(64)] {
        let resp = create_token(&server, &token, json!({"name": name})).await;
        expect_json(resp, StatusCode::CREATED).await;
    }
}

#[tokio::test]
async fn token_expiry_must_be_1_to_3650_days() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    for days in [0, -1, 3651] {
        let resp = create_token(
            &server,
            &token,
            json!({"name": "bad-expiry", "expires_in_days": days}),
        )
        .await;
        assert_invalid(resp, "INVALID_EXPIRY", "expires_in_days").await;
    }
    for days in [1, 3650] {
        let resp = create_token(
            &server,
            &token,
            json!({"name": format!("expires-{days}"), "expires_in_days": days}),
        )
        .await;
        let created = expect_json(resp, StatusCode::CREATED).await;
        assert!(created["expires_at"].is_string(), "{created}");
    }
    let listed = list_tokens(&server, &token).await;
    assert!(
        listed["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|t| t["name"] != "bad-expiry"),
        "rejected tokens are not stored: {listed}"
    );
}

#[tokio::test]
async fn creating_a_token_needs_credentials() {
    let server = TestServer::start().await;

    let resp = server
        .anonymous()
        .post("/api/v1/tokens", json!({"name": "sneaky"}))
        .await;

    assert_error(resp, 401, "NOT_AUTHENTICATED").await;
}

// ---------------------------------------------------------------------------------------------
// Command line

#[tokio::test]
async fn cli_token_add_prints_exactly_one_line() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);

    let out = server.cli(&["token", "add", "deploy", "--user", "alice"], "");

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let token = stdout.strip_suffix('\n').expect("ends with a newline");
    assert!(!token.contains('\n'), "more than one line: {stdout:?}");
    assert!(is_token_secret(token), "not a myd_ token: {stdout:?}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(token),
        "the secret belongs on stdout only"
    );
    let me = expect_json(me_with_token(&server, token).await, StatusCode::OK).await;
    assert_eq!(me["username"], "alice");
}

#[tokio::test]
async fn cli_token_add_with_expiry_sets_expires_at() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);

    let out = server.cli(
        &[
            "token",
            "add",
            "weekly",
            "--user",
            "alice",
            "--expires-in-days",
            "7",
        ],
        "",
    );

    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim_end()
        .to_owned();
    let listed = list_tokens(&server, &token).await;
    let weekly = token_named(&listed, "weekly");
    let lifetime = parse_time(&weekly["expires_at"]) - parse_time(&weekly["created_at"]);
    assert!(
        (lifetime - chrono::Duration::days(7)).num_seconds().abs() <= 60,
        "expected about 7 days, got {lifetime}"
    );
}

#[tokio::test]
async fn cli_token_add_for_an_unknown_user_fails() {
    let server = TestServer::start().await;

    let out = server.cli(&["token", "add", "orphan", "--user", "nobody"], "");

    assert!(
        !out.status.success(),
        "token add for an unknown user succeeded"
    );
    assert!(
        !out.stderr.is_empty(),
        "a failure explains itself on stderr"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("myd_"),
        "no token is printed"
    );
}

#[tokio::test]
async fn cli_user_add_rejects_a_short_password() {
    let server = TestServer::start().await;

    let out = server.cli(&["user", "add", "carol"], "seven77\n");

    assert!(!out.status.success(), "a 7-character password was accepted");
    assert!(
        !out.stderr.is_empty(),
        "a failure explains itself on stderr"
    );
    let no_user = server.cli(&["token", "add", "t", "--user", "carol"], "");
    assert!(
        !no_user.status.success(),
        "the user must not have been created"
    );

    let out = server.cli(&["user", "add", "dave"], "eight888\n");
    assert!(
        out.status.success(),
        "an 8-character password is long enough: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resp = server.login("dave", "eight888").await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn cli_user_add_rejects_a_taken_username() {
    let server = TestServer::start().await;
    server.add_user("alice", "first-password", false);

    let out = server.cli(&["user", "add", "alice"], "second-password\n");

    assert!(!out.status.success(), "a second alice was added");
    assert!(
        !out.stderr.is_empty(),
        "a failure explains itself on stderr"
    );
    assert_eq!(
        server.login("alice", "first-password").await.status(),
        StatusCode::OK
    );
    assert_error(
        server.login("alice", "second-password").await,
        401,
        "WRONG_CREDENTIALS",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Signing in

#[tokio::test]
async fn login_sets_an_http_only_session_cookie() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);

    let resp = server.login("alice", &password).await;

    assert_eq!(resp.status(), StatusCode::OK);
    let header = session_set_cookie(&resp).expect("Set-Cookie for the session");
    assert!(
        session_cookie(&resp).is_some(),
        "the session cookie has a value: {header}"
    );
    let attributes: Vec<String> = header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for wanted in ["httponly", "samesite=lax", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "{wanted} missing from {header}"
        );
    }
}

#[tokio::test]
async fn session_cookie_authenticates_rest_calls_and_survives_a_restart() {
    let mut server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let cookie = server.login_cookie("alice", &password).await;

    let me = expect_json(me_with_cookie(&server, &cookie).await, StatusCode::OK).await;
    assert_eq!(me["username"], "alice");

    server.restart().await;

    let me = expect_json(me_with_cookie(&server, &cookie).await, StatusCode::OK).await;
    assert_eq!(me["username"], "alice");
}

#[tokio::test]
async fn wrong_password_is_401_wrong_credentials() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);

    let resp = server.login("alice", "not-the-password").await;
    assert!(
        session_cookie(&resp).is_none(),
        "no session for a wrong password"
    );
    assert_error(resp, 401, "WRONG_CREDENTIALS").await;

    // An unknown user looks exactly like a wrong password.
    let resp = server.login("nobody", "whatever-password").await;
    assert!(session_cookie(&resp).is_none());
    assert_error(resp, 401, "WRONG_CREDENTIALS").await;
}

#[tokio::test]
async fn sixth_attempt_after_five_failures_is_429_even_with_the_right_password() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let bob_password = default_password("bob");
    server.add_user("bob", &bob_password, false);

    for attempt in 1..=5 {
        eprintln!("failed attempt {attempt}");
        let resp = server.login("alice", "guessing-wrong").await;
        assert_error(resp, 401, "WRONG_CREDENTIALS").await;
    }

    let resp = server.login("alice", &password).await;
    assert!(
        session_cookie(&resp).is_none(),
        "a throttled sign-in opens no session"
    );
    assert_eq!(
        resp.headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("900"),
        "a throttled sign-in says when to try again"
    );
    assert_error(resp, 429, "TOO_MANY_ATTEMPTS").await;

    // Throttling is per username: bob is unaffected.
    let resp = server.login("bob", &bob_password).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_makes_the_old_cookie_stop_working() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let cookie = server.login_cookie("alice", &password).await;
    expect_json(me_with_cookie(&server, &cookie).await, StatusCode::OK).await;

    let resp = server
        .post("/fn/logout")
        .header(COOKIE, &cookie)
        .header(ORIGIN, server.origin())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("POST /fn/logout");

    let status = resp.status();
    assert!(
        status.is_success() || status.is_redirection(),
        "logout failed with {status}"
    );
    let cleared = session_set_cookie(&resp).expect("logout clears the session cookie");
    let lower = cleared.to_ascii_lowercase();
    assert!(
        session_cookie(&resp).is_none() || lower.contains("max-age=0"),
        "the cookie should be emptied or expired: {cleared}"
    );
    assert_error(
        me_with_cookie(&server, &cookie).await,
        401,
        "NOT_AUTHENTICATED",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Cookie writes must come from the app's own pages

#[tokio::test]
async fn cookie_write_from_a_foreign_origin_is_403() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let cookie = server.login_cookie("alice", &password).await;

    let resp = create_model_with_cookie(&server, &cookie, Some(EVIL_ORIGIN), "forged").await;
    assert_error(resp, 403, "CROSS_ORIGIN_REQUEST").await;

    let resp = server
        .get("/api/v1/models/forged")
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("GET");
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

#[tokio::test]
async fn cookie_write_without_origin_is_403() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let cookie = server.login_cookie("alice", &password).await;

    let resp = create_model_with_cookie(&server, &cookie, None, "unsourced").await;
    assert_error(resp, 403, "CROSS_ORIGIN_REQUEST").await;

    let resp = server
        .get("/api/v1/models/unsourced")
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("GET");
    assert_error(resp, 404, "MODEL_NOT_FOUND").await;
}

#[tokio::test]
async fn cookie_write_from_the_apps_own_origin_is_201() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let cookie = server.login_cookie("alice", &password).await;

    let resp =
        create_model_with_cookie(&server, &cookie, Some(server.origin().as_str()), "legit").await;

    let model = expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(model["name"], "legit");
    assert_eq!(model["role"], "OWNER");
}

#[tokio::test]
async fn cookie_delete_from_a_foreign_origin_is_403_and_deletes_nothing() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let cookie = server.login_cookie("alice", &password).await;
    let resp =
        create_model_with_cookie(&server, &cookie, Some(server.origin().as_str()), "precious")
            .await;
    expect_json(resp, StatusCode::CREATED).await;

    let resp = server
        .delete("/api/v1/models/precious")
        .header(COOKIE, &cookie)
        .header(ORIGIN, EVIL_ORIGIN)
        .send()
        .await
        .expect("DELETE");
    assert_error(resp, 403, "CROSS_ORIGIN_REQUEST").await;

    let resp = server
        .get("/api/v1/models/precious")
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn bearer_write_with_a_foreign_origin_is_allowed() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let resp = server
        .post("/api/v1/models")
        .bearer_auth(&token)
        .header(ORIGIN, EVIL_ORIGIN)
        .json(&json!({"name": "scripted"}))
        .send()
        .await
        .expect("POST /api/v1/models");

    let model = expect_json(resp, StatusCode::CREATED).await;
    assert_eq!(model["name"], "scripted");
}

// ---------------------------------------------------------------------------------------------
// The server log

#[tokio::test]
async fn first_start_logs_the_setup_link_once() {
    let mut server = TestServer::start().await;
    let expected_start = format!("Open http://127.0.0.1:{}/setup?token=", server.port());

    let log = wait_for_log(&server, "/setup?token=").await;

    let line = log
        .lines()
        .find(|l| l.contains("/setup?token="))
        .expect("a setup line");
    assert!(
        line.contains(&expected_start),
        "unexpected setup line: {line}"
    );
    assert!(
        line.contains("to create the first admin"),
        "unexpected setup line: {line}"
    );
    let after = line
        .split("/setup?token=")
        .nth(1)
        .expect("text after the marker");
    let token: String = after.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(
        token.len(),
        64,
        "the setup token is 64 hex characters: {line}"
    );
    assert_eq!(log.matches("/setup?token=").count(), 1);

    // With a user in place there is nothing to set up.
    server.add_user("root", &default_password("root"), true);
    server.restart().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.log().matches("/setup?token=").count(),
        1,
        "no new setup link once a user exists:\n{}",
        server.log()
    );
}

#[tokio::test]
async fn secrets_never_reach_the_log() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let cli_secret = server.add_token("alice");
    expect_json(me_with_token(&server, &cli_secret).await, StatusCode::OK).await;
    let created = expect_json(
        create_token(&server, &cli_secret, json!({"name": "from-api"})).await,
        StatusCode::CREATED,
    )
    .await;
    let api_secret = created["token"].as_str().expect("secret").to_owned();
    expect_json(me_with_token(&server, &api_secret).await, StatusCode::OK).await;
    let cookie = server.login_cookie("alice", &password).await;
    expect_json(me_with_cookie(&server, &cookie).await, StatusCode::OK).await;
    let session_secret = cookie
        .strip_prefix(&format!("{SESSION_COOKIE}="))
        .expect("cookie pair")
        .to_owned();
    // Let anything written while answering reach the file.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = server.log();
    assert!(!log.is_empty(), "the server logs at info level");
    for (what, secret) in [
        ("CLI token", cli_secret.as_str()),
        ("CLI token's random part", &cli_secret["myd_".len()..]),
        ("API token", api_secret.as_str()),
        ("API token's random part", &api_secret["myd_".len()..]),
        ("session cookie", session_secret.as_str()),
        ("password", password.as_str()),
    ] {
        assert!(
            !log.contains(secret),
            "the {what} appears in the log:\n{log}"
        );
    }
}
