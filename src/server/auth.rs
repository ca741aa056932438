//! Who is calling: password hashing, browser sessions, API tokens, and the same-origin rule for
//! cookie-authenticated writes.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::identity::{Me, TOKEN_PREFIX};
use crate::server::db;
use crate::server::error::{AppError, AppResult, error_response};
use crate::server::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN, REFERER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "modelyard_session";

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    Token,
}

/// A signed-in, active user.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub method: AuthMethod,
}

impl Caller {
    pub fn me(&self) -> Me {
        Me {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            is_admin: self.is_admin,
        }
    }
}

/// A password hash; kept out of `Debug` output and never serialized.
#[derive(Clone)]
pub struct PasswordHashText(pub String);

impl std::fmt::Debug for PasswordHashText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashText(<redacted>)")
    }
}

/// Argon2id with a random salt, off the async threads.
pub async fn hash_password(password: String) -> AppResult<PasswordHashText> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| PasswordHashText(h.to_string()))
            .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hashing task: {e}")))?
}

/// Checks a password against a stored hash, off the async threads.
pub async fn verify_password(password: String, hash: PasswordHashText) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash.0) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| AppError::Internal(format!("password check task: {e}")))
}

/// A random secret of `bytes` bytes, hex encoded.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Sessions are bound to the password they were opened with: a new password ends them.
fn session_auth_hash(password_hash: &str) -> String {
    sha256_hex(password_hash)
}

/// Opens a session and returns the `Set-Cookie` value for it.
pub async fn open_session(
    state: &AppState,
    user_id: &str,
    password_hash: &PasswordHashText,
) -> AppResult<String> {
    let secret = random_secret(32);
    let now = Utc::now();
    let expires = now + Duration::days(state.settings.session_days);
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, auth_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(&secret))
    .bind(user_id)
    .bind(session_auth_hash(&password_hash.0))
    .bind(db::timestamp(now))
    .bind(db::timestamp(expires))
    .execute(&state.db)
    .await?;
    // Housekeeping: expired sessions are of no use to anyone.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(db::timestamp(now))
        .execute(&state.db)
        .await?;
    Ok(session_cookie(
        &secret,
        state.settings.session_days * 24 * 3600,
    ))
}

/// The session cookie; `Secure` is added on the way out when the app is reached over https
/// (see `security::secure_cookies_over_https`).
fn session_cookie(value: &str, max_age_secs: i64) -> String {
    format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}")
}

/// The stored id of the session the request carries, if any.
pub fn current_session_hash(headers: &HeaderMap) -> Option<String> {
    session_secret(headers).map(|s| sha256_hex(&s))
}

/// Keeps a session open across a password change by tying it to the new password.
pub async fn rebind_session(
    conn: &mut sqlx::AnyConnection,
    session_hash: &str,
    password_hash: &PasswordHashText,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET auth_hash = $1 WHERE id_hash = $2")
        .bind(session_auth_hash(&password_hash.0))
        .bind(session_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends the session the request carries (if any) and returns a `Set-Cookie` that clears it.
pub async fn close_session(state: &AppState, headers: &HeaderMap) -> AppResult<String> {
    if let Some(secret) = session_secret(headers) {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(sha256_hex(&secret))
            .execute(&state.db)
            .await?;
    }
    Ok(session_cookie("", 0))
}

/// Keeps a value for the next page this session renders (see `sessions.flash`).
pub async fn set_flash(state: &AppState, headers: &HeaderMap, value: &str) -> AppResult<()> {
    if let Some(secret) = session_secret(headers) {
        sqlx::query("UPDATE sessions SET flash = $1 WHERE id_hash = $2")
            .bind(value)
            .bind(sha256_hex(&secret))
            .execute(&state.db)
            .await?;
    }
    Ok(())
}

/// Takes (and clears) the value kept by [`set_flash`].
pub async fn take_flash(state: &AppState, headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(secret) = session_secret(headers) else {
        return Ok(None);
    };
    let id_hash = sha256_hex(&secret);
    // RETURNING would give the cleared value, so read and clear in one transaction.
    let mut tx = db::begin_write(&state.db).await?;
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT flash FROM sessions WHERE id_hash = $1")
            .bind(&id_hash)
            .fetch_optional(&mut *tx)
            .await?;
    let flash = row.and_then(|(v,)| v);
    if flash.is_some() {
        sqlx::query("UPDATE sessions SET flash = NULL WHERE id_hash = $1")
            .bind(&id_hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(flash)
}

fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn invalid_token() -> ApiError {
    ApiError::new(
        401,
        codes::INVALID_TOKEN,
        "The API token is not valid: it is unknown, revoked or expired, or its user is deactivated.",
        "Create a new token on the API tokens page or with POST /api/v1/tokens.",
    )
}

#[derive(sqlx::FromRow)]
struct CallerRow {
    id: String,
    username: String,
    display_name: String,
    #[sqlx(try_from = "db::Flag")]
    is_admin: bool,
}

impl CallerRow {
    fn into_caller(self, method: AuthMethod) -> Caller {
        Caller {
            user_id: self.id,
            username: self.username,
            display_name: self.display_name,
            is_admin: self.is_admin,
            method,
        }
    }
}

/// Resolves the caller from a bearer token or the session cookie. A bad token is an error (the
/// client meant to authenticate); a stale cookie just means "not signed in".
pub async fn resolve_caller(state: &AppState, headers: &HeaderMap) -> AppResult<Option<Caller>> {
    let now = db::now();
    if let Some(token) = bearer_token(headers) {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(invalid_token().into());
        }
        type TokenRow = (String, Option<String>, String, String, String, db::Flag);
        let mut q = db::QueryBuilder::new(
            "SELECT t.id, t.last_used_at, u.id, u.username, u.display_name, u.is_admin
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ",
        );
        q.push_bind(sha256_hex(token))
            .push(" AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ")
            .push_bind(now.clone())
            .push(") AND u.is_active = 1");
        let row: Option<(String, Option<String>, CallerRow)> =
            q.fetch_optional_as::<TokenRow>(&state.db).await?.map(
                |(token_id, last_used_at, id, username, display_name, is_admin)| {
                    (
                        token_id,
                        last_used_at,
                        CallerRow {
                            id,
                            username,
                            display_name,
                            is_admin: is_admin.0,
                        },
                    )
                },
            );
        let Some((token_id, last_used_at, user)) = row else {
            return Err(invalid_token().into());
        };
        // Record use at most once a minute per token, to keep reads from becoming writes: the
        // row read above says whether the last record is older than that, so most requests do
        // not even try to write (an UPDATE takes SQLite's write lock even when it changes
        // nothing). The UPDATE keeps its own condition for requests that race.
        let a_minute_ago = db::timestamp(Utc::now() - Duration::minutes(1));
        if last_used_at.is_none_or(|t| t < a_minute_ago) {
            sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
            )
            .bind(&now)
            .bind(&token_id)
            .bind(a_minute_ago)
            .execute(&state.db)
            .await?;
        }
        return Ok(Some(user.into_caller(AuthMethod::Token)));
    }
    if let Some(secret) = session_secret(headers) {
        let mut q = db::QueryBuilder::new(
            "SELECT u.id, u.username, u.display_name, u.is_admin, u.password_hash, s.auth_hash
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ",
        );
        q.push_bind(sha256_hex(&secret))
            .push(" AND s.expires_at > ")
            .push_bind(now.clone())
            .push(" AND u.is_active = 1");
        let user: Option<(CallerRow, String, String)> = q
            .fetch_optional_as::<(String, String, String, db::Flag, String, String)>(&state.db)
            .await?
            .map(
                |(id, username, display_name, is_admin, password_hash, auth_hash)| {
                    (
                        CallerRow {
                            id,
                            username,
                            display_name,
                            is_admin: is_admin.0,
                        },
                        password_hash,
                        auth_hash,
                    )
                },
            );
        if let Some((user, password_hash, auth_hash)) = user
            && session_auth_hash(&password_hash) == auth_hash
        {
            return Ok(Some(user.into_caller(AuthMethod::Session)));
        }
    }
    Ok(None)
}

/// The caller of one page render, resolved once for all the server functions its resources
/// call (each would otherwise look the token or session up again, with the same headers).
/// Provided to each page render's context by the router; a failure is not kept, so every call
/// that meets it reports it.
#[derive(Clone, Default)]
pub struct CallerMemo(std::sync::Arc<tokio::sync::OnceCell<Option<Caller>>>);

impl CallerMemo {
    pub async fn resolve(
        &self,
        state: &AppState,
        headers: &HeaderMap,
    ) -> AppResult<Option<Caller>> {
        self.0
            .get_or_try_init(|| resolve_caller(state, headers))
            .await
            .cloned()
    }
}

/// The caller, if any (REST handlers that also serve anonymous readers).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        resolve_caller(state, &parts.headers).await.map(MaybeCaller)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        resolve_caller(state, &parts.headers)
            .await?
            .ok_or_else(|| ApiError::not_authenticated().into())
    }
}

/// State-changing requests that rely on the browser's cookie must come from the app's own pages.
/// Token-authenticated requests are exempt: a browser never attaches a token by itself.
pub async fn require_same_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method();
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = request.headers();
    if safe || bearer_token(headers).is_some() {
        return next.run(request).await;
    }
    let source = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|v| v.to_str().ok());
    let allowed = match source {
        Some(source) => is_own_origin(source, headers, &state.settings.public_url),
        // Without a cookie there is nothing to forge; scripts may post to the login endpoint.
        None => session_secret(headers).is_none(),
    };
    if allowed {
        next.run(request).await
    } else {
        error_response(ApiError::new(
            403,
            codes::CROSS_ORIGIN_REQUEST,
            "This request came from another site, or did not say where it came from.",
            "Use Modelyard's own pages, or call the REST API with an API token instead of a browser cookie.",
        ))
    }
}

/// Whether `source` (an Origin or Referer) is this app: the host the request was sent to, or the
/// configured public URL.
fn is_own_origin(source: &str, headers: &HeaderMap, public_url: &str) -> bool {
    let Some(source_host) = authority(source) else {
        return false;
    };
    let host_matches = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| host.eq_ignore_ascii_case(source_host));
    host_matches || authority(public_url).is_some_and(|p| p.eq_ignore_ascii_case(source_host))
}

/// `host:port` of an `http(s)://` URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn origin_must_match_the_host_or_public_url() {
        let h = headers(&[("host", "127.0.0.1:3000")]);
        assert!(is_own_origin("http://127.0.0.1:3000", &h, "http://x"));
        assert!(is_own_origin(
            "http://127.0.0.1:3000/models",
            &h,
            "http://x"
        ));
        assert!(!is_own_origin("http://evil.example", &h, "http://x"));
        assert!(!is_own_origin(
            "http://127.0.0.1:3000.evil.example",
            &h,
            "http://x"
        ));
        assert!(!is_own_origin("null", &h, "http://x"));
        assert!(is_own_origin(
            "https://models.example.com",
            &h,
            "https://models.example.com"
        ));
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; modelyard_session=abc; b=2")]);
        assert_eq!(session_secret(&h).as_deref(), Some("abc"));
        assert_eq!(
            session_secret(&headers(&[("cookie", "modelyard_session=")])),
            None
        );
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let h = headers(&[("authorization", "bearer myd_x")]);
        assert_eq!(bearer_token(&h), Some("myd_x"));
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Basic abc")])),
            None
        );
    }

    #[test]
    fn password_hash_debug_is_redacted() {
        let h = PasswordHashText("$argon2id$secret".into());
        assert!(!format!("{h:?}").contains("secret"));
    }
}
