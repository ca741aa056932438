//! What the browser is told to protect users: security headers on pages, REST answers, server
//! functions and downloads; a page's Content-Security-Policy nonce matching its scripts; the
//! hourly limit on creating API tokens; and `Secure` session cookies over https.

mod common;

use common::{
    SESSION_COOKIE, TestServer, assert_error, default_password, expect_json, session_set_cookie,
};
use reqwest::header::{
    ACCEPT, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, COOKIE, HeaderMap, ORIGIN,
    REFERRER_POLICY, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use reqwest::{Response, StatusCode};
use serde_json::json;

/// The policy of everything that is not a page.
const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// Most tokens one user may create per hour through the app or the REST API.
const TOKENS_PER_HOUR: usize = 20;

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> String {
    headers
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The headers every response carries, whatever it is.
fn assert_common_headers(headers: &HeaderMap, what: &str) {
    assert_eq!(header(headers, X_CONTENT_TYPE_OPTIONS), "nosniff", "{what}");
    assert_eq!(header(headers, X_FRAME_OPTIONS), "DENY", "{what}");
    assert_eq!(header(headers, REFERRER_POLICY), "same-origin", "{what}");
    assert_eq!(
        headers.get_all(CONTENT_SECURITY_POLICY).iter().count(),
        1,
        "exactly one policy on {what}"
    );
}

fn assert_strict_headers(resp: &Response, what: &str) {
    assert_common_headers(resp.headers(), what);
    assert_eq!(
        header(resp.headers(), CONTENT_SECURITY_POLICY),
        STRICT_CSP,
        "{what}"
    );
}

/// The value of one directive (`script-src`, ...) of a policy.
fn directive<'a>(csp: &'a str, name: &str) -> Option<&'a str> {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
}

/// The nonce a page's policy allows scripts with.
fn policy_nonce(csp: &str) -> String {
    let script_src = directive(csp, "script-src").unwrap_or_else(|| panic!("no script-src: {csp}"));
    assert!(
        !script_src.contains("'unsafe-inline'") && !script_src.contains("'unsafe-eval'"),
        "inline script must need the nonce: {script_src}"
    );
    let nonces: Vec<&str> = script_src
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .collect();
    assert_eq!(nonces.len(), 1, "one nonce in {script_src}");
    assert!(
        nonces[0].len() >= 16,
        "a nonce long enough to guess: {script_src}"
    );
    nonces[0].to_owned()
}

/// The opening tags of the page's `<script>` elements, and the page with their contents cut out.
fn split_scripts(html: &str) -> (Vec<String>, String) {
    let mut tags = Vec::new();
    let mut rest_of_page = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        rest_of_page.push_str(&rest[..start]);
        let after = &rest[start..];
        let tag_end = after.find('>').expect("a closed <script> tag") + 1;
        tags.push(after[..tag_end].to_owned());
        let close = after.find("</script>").expect("a </script>") + "</script>".len();
        rest = &after[close..];
    }
    rest_of_page.push_str(rest);
    (tags, rest_of_page)
}

/// The tags of a page (text between `<` and `>`; text content is escaped, so it has no `<`).
fn tags(html_without_scripts: &str) -> impl Iterator<Item = &str> {
    html_without_scripts
        .split('<')
        .skip(1)
        .filter_map(|tag| tag.split('>').next())
}

/// Attributes the page policy would refuse to run: inline event handlers (`onclick=` ...) and
/// `javascript:` URLs.
fn script_attributes(html_without_scripts: &str) -> Vec<String> {
    tags(html_without_scripts)
        .flat_map(|tag| tag.split_whitespace().skip(1))
        .filter(|attribute| {
            let lower = attribute.to_ascii_lowercase();
            let handler = lower.split_once('=').is_some_and(|(name, _)| {
                name.len() > 2
                    && name.starts_with("on")
                    && name.chars().all(|c| c.is_ascii_alphabetic())
            });
            handler || lower.contains("javascript:")
        })
        .map(str::to_owned)
        .collect()
}

/// Loads a page and checks what the browser is told: the common headers, a page policy whose
/// nonce every script carries, and nothing the policy would refuse (inline handlers,
/// `javascript:` URLs). Returns the nonce.
async fn assert_page_is_csp_clean(server: &TestServer, path: &str, cookie: Option<&str>) -> String {
    let mut request = server.get(path).header(ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let resp = request.send().await.expect("GET a page");
    let status = resp.status();
    assert!(
        status == StatusCode::OK || status == StatusCode::NOT_FOUND,
        "{path} answered {status}"
    );
    assert_common_headers(resp.headers(), path);
    let csp = header(resp.headers(), CONTENT_SECURITY_POLICY);
    for wanted in [
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            directive(&csp, wanted.split(' ').next().unwrap_or_default()) == Some(wanted),
            "{wanted} missing from the policy of {path}: {csp}"
        );
    }
    let script_src = directive(&csp, "script-src").unwrap_or_default();
    assert!(
        script_src.contains("'wasm-unsafe-eval'"),
        "the WASM may be compiled on {path}: {csp}"
    );
    let nonce = policy_nonce(&csp);
    let html = resp.text().await.expect("the page");
    let (scripts, rest) = split_scripts(&html);
    assert!(
        !scripts.is_empty(),
        "{path} has the hydration script: {html}"
    );
    for tag in &scripts {
        let inline = !tag.contains(" src=");
        if inline {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "an inline script of {path} lacks the policy's nonce {nonce}: {tag}"
            );
        }
    }
    assert_eq!(
        script_attributes(&rest),
        Vec::<String>::new(),
        "inline event handlers or javascript: URLs on {path}"
    );
    nonce
}

async fn create_token_rest(server: &TestServer, token: &str, name: &str) -> Response {
    server
        .as_user(token)
        .post("/api/v1/tokens", json!({"name": name}))
        .await
}

async fn create_token_with_cookie(server: &TestServer, cookie: &str, name: &str) -> Response {
    server
        .with_cookie(server.post("/fn/create_token"), cookie)
        .form(&[("name", name), ("expires_in_days", "")])
        .send()
        .await
        .expect("POST /fn/create_token")
}

fn retry_after_secs(resp: &Response) -> u64 {
    let value = header(resp.headers(), RETRY_AFTER);
    value
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After should be a number of seconds, got {value:?}"))
}

// ---------------------------------------------------------------------------------------------
// Headers and the Content-Security-Policy

#[tokio::test]
async fn every_page_has_a_nonce_policy_that_its_scripts_carry() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let token = server.add_token("alice");
    server
        .create_model(
            &token,
            json!({
                "name": "carded",
                "visibility": "public",
                "readme": "# Card\n\n<img src=x onerror=alert(1)> [link](javascript:alert(2))"
            }),
        )
        .await;
    server
        .upload_version(&token, "carded", &[("model.bin", b"weights")])
        .await;
    let cookie = server.login_cookie("alice", &password).await;

    assert_page_is_csp_clean(&server, "/login", None).await;
    assert_page_is_csp_clean(&server, "/no/such/page", None).await;
    for path in [
        "/models",
        "/models/new",
        "/models/carded",
        "/models/carded/versions",
        "/models/carded/versions/0.1.0",
        "/models/carded/edit",
        "/models/carded/settings",
        "/models/carded/upload",
        "/models/carded/compare",
        "/settings/tokens",
    ] {
        assert_page_is_csp_clean(&server, path, Some(&cookie)).await;
    }
}

#[tokio::test]
async fn each_page_render_gets_a_fresh_nonce() {
    let server = TestServer::start().await;
    let first = assert_page_is_csp_clean(&server, "/login", None).await;
    let second = assert_page_is_csp_clean(&server, "/login", None).await;
    assert_ne!(first, second, "a nonce is used once");
}

#[tokio::test]
async fn rest_answers_and_errors_get_the_strict_policy() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);

    let me = server.as_user(&token).get("/api/v1/me").await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_strict_headers(&me, "GET /api/v1/me");

    let anonymous = server.anonymous().get("/api/v1/me").await;
    assert_strict_headers(&anonymous, "a 401");
    assert_error(anonymous, 401, "NOT_AUTHENTICATED").await;

    let missing = server.anonymous().get("/api/v1/nothing").await;
    assert_strict_headers(&missing, "an unknown endpoint");

    let spec = server.anonymous().get("/api/v1/openapi.json").await;
    assert_strict_headers(&spec, "the OpenAPI document");

    let health = server.anonymous().get("/healthz").await;
    assert_strict_headers(&health, "/healthz");
}

#[tokio::test]
async fn server_functions_and_refused_requests_get_the_strict_policy() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);

    let login = server.login("alice", &password).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_strict_headers(&login, "POST /fn/login");
    let cookie = common::session_cookie(&login).expect("a session cookie");

    // Refused by the same-origin layer, before any handler.
    let forged = server
        .post("/api/v1/models")
        .header(COOKIE, &cookie)
        .header(ORIGIN, "http://evil.example")
        .json(&json!({"name": "forged"}))
        .send()
        .await
        .expect("POST");
    assert_strict_headers(&forged, "a cross-origin refusal");
    assert_error(forged, 403, "CROSS_ORIGIN_REQUEST").await;
}

#[tokio::test]
async fn downloads_get_the_strict_policy_and_stay_attachments() {
    let server = TestServer::start().await;
    let token = server.user_with_token("alice", false);
    server.create_model(&token, json!({"name": "m"})).await;
    let page = b"<html><script>alert(document.cookie)</script></html>";
    server
        .upload_version(&token, "m", &[("report.html", page)])
        .await;

    let file = server
        .as_user(&token)
        .get("/api/v1/models/m/versions/0.1.0/files/report.html")
        .await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_strict_headers(&file, "a file download");
    assert!(
        header(file.headers(), CONTENT_DISPOSITION).starts_with("attachment"),
        "an uploaded HTML file is never shown inline"
    );
    assert_eq!(file.bytes().await.expect("the file").as_ref(), page);

    let zip = server
        .as_user(&token)
        .get("/api/v1/models/m/versions/0.1.0/download")
        .await;
    assert_eq!(zip.status(), StatusCode::OK);
    assert_strict_headers(&zip, "a version download");
    assert!(header(zip.headers(), CONTENT_DISPOSITION).starts_with("attachment"));
}

#[tokio::test]
async fn a_model_card_cannot_end_the_edit_forms_textarea() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    let token = server.add_token("alice");
    let readme = "hi </textarea><b id=\"injected\">x</b> &amp; <script>alert(1)</script>";
    server
        .create_model(&token, json!({"name": "sneaky", "readme": readme}))
        .await;
    let cookie = server.login_cookie("alice", &password).await;

    let html = server
        .get("/models/sneaky/edit")
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("GET the edit page")
        .text()
        .await
        .expect("the page");
    assert!(!html.contains("<b id=\"injected\">"), "{html}");
    let shown = html
        .split("<textarea id=\"readme\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split("</textarea>").next())
        .expect("the model card's textarea");
    // What the browser shows (and a plain form post sends back) is the card, unchanged.
    let decoded = shown.replace("&lt;", "<").replace("&amp;", "&");
    assert_eq!(decoded.trim(), readme);
}

// ---------------------------------------------------------------------------------------------
// Creating API tokens is limited per user and hour

#[tokio::test]
async fn token_creation_past_the_hourly_limit_is_429_on_rest_and_the_tokens_page() {
    let server = TestServer::start().await;
    let password = default_password("alice");
    server.add_user("alice", &password, false);
    // Tokens made on the command line by whoever runs the server are not limited, but count.
    let token = server.add_token("alice");
    for i in 1..TOKENS_PER_HOUR {
        let resp = create_token_rest(&server, &token, &format!("ci-{i}")).await;
        expect_json(resp, StatusCode::CREATED).await;
    }

    let refused = create_token_rest(&server, &token, "one-too-many").await;
    let wait = retry_after_secs(&refused);
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    let body = assert_error(refused, 429, "TOO_MANY_TOKENS").await;
    assert!(
        body["solution_msg"]
            .as_str()
            .unwrap_or_default()
            .contains("minute"),
        "says how long to wait: {body}"
    );

    // The same rule holds for the tokens page's server function.
    let cookie = server.login_cookie("alice", &password).await;
    let refused = create_token_with_cookie(&server, &cookie, "from-the-page").await;
    assert!(retry_after_secs(&refused) >= 1);
    assert_error(refused, 429, "TOO_MANY_TOKENS").await;

    // Nothing was created by the refused requests.
    let list = server.get_json("/api/v1/tokens", &token).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(TOKENS_PER_HOUR));

    // Revoking does not give the allowance back; other users have their own.
    let id = list["data"][0]["id"]
        .as_str()
        .expect("a token id")
        .to_owned();
    let revoked = server
        .as_user(&token)
        .delete(&format!("/api/v1/tokens/{id}"))
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_error(
        create_token_rest(&server, &token, "after-revoking").await,
        429,
        "TOO_MANY_TOKENS",
    )
    .await;
    let bob = server.user_with_token("bob", false);
    expect_json(
        create_token_rest(&server, &bob, "bobs").await,
        StatusCode::CREATED,
    )
    .await;

    // The operator can still issue one from the command line.
    assert!(common::is_token_secret(&server.add_token("alice")));
}

// ---------------------------------------------------------------------------------------------
// Secure cookies over https

async fn login_with_headers(
    server: &TestServer,
    user: &str,
    extra: &[(&'static str, &str)],
) -> Response {
    let mut request = server
        .post("/fn/login")
        .header(ORIGIN, server.origin())
        .form(&[("username", user), ("password", &default_password(user))]);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.expect("POST /fn/login")
}

fn is_secure(set_cookie: &str) -> bool {
    set_cookie
        .split(';')
        .skip(1)
        .any(|a| a.trim().eq_ignore_ascii_case("secure"))
}

#[tokio::test]
async fn plain_http_session_cookie_is_not_secure() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);
    let resp = login_with_headers(&server, "alice", &[]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = session_set_cookie(&resp).expect("a session cookie");
    assert!(!is_secure(&cookie), "{cookie}");
    assert!(cookie.starts_with(&format!("{SESSION_COOKIE}=")));
}

#[tokio::test]
async fn https_public_url_makes_the_session_cookie_secure() {
    let server =
        TestServer::start_with_env(&[("MODELYARD_PUBLIC_URL", "https://models.example.com")]).await;
    server.add_user("alice", &default_password("alice"), false);
    let resp = login_with_headers(&server, "alice", &[]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = session_set_cookie(&resp).expect("a session cookie");
    assert!(is_secure(&cookie), "{cookie}");
    for wanted in ["httponly", "samesite=lax"] {
        assert!(
            cookie.to_ascii_lowercase().contains(wanted),
            "{wanted} kept: {cookie}"
        );
    }
    let pair = common::session_cookie(&resp).expect("a session cookie value");

    // Signing out clears the cookie with the same attributes.
    let out = server
        .with_cookie(server.post("/fn/logout"), &pair)
        .send()
        .await
        .expect("POST /fn/logout");
    let cleared = session_set_cookie(&out).expect("a clearing Set-Cookie");
    assert!(is_secure(&cleared), "{cleared}");
}

#[tokio::test]
async fn session_cookie_is_secure_when_a_proxy_reports_https() {
    let server = TestServer::start().await;
    server.add_user("alice", &default_password("alice"), false);

    let proxied = login_with_headers(&server, "alice", &[("x-forwarded-proto", "https")]).await;
    assert_eq!(proxied.status(), StatusCode::OK);
    let cookie = session_set_cookie(&proxied).expect("a session cookie");
    assert!(is_secure(&cookie), "{cookie}");

    let forwarded = login_with_headers(
        &server,
        "alice",
        &[("forwarded", "for=192.0.2.7;proto=https")],
    )
    .await;
    let cookie = session_set_cookie(&forwarded).expect("a session cookie");
    assert!(is_secure(&cookie), "{cookie}");

    let plain = login_with_headers(&server, "alice", &[("x-forwarded-proto", "http")]).await;
    let cookie = session_set_cookie(&plain).expect("a session cookie");
    assert!(!is_secure(&cookie), "{cookie}");
}
