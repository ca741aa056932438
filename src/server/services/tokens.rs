//! API tokens: created with a secret shown once, stored as its SHA-256, listed, revoked; how
//! many a user may create in an hour.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::identity::{
    CreatedToken, NewToken, TOKEN_PREFIX, TokenInfo, validate_token_request,
};
use crate::domain::paging::{Page, Paging};
use crate::server::audit;
use crate::server::auth::{self, Caller};
use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::users::require_admin;
use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::AnyPool;

/// Tokens one user may create within [`TOKEN_WINDOW_MINUTES`] through the app or the REST API:
/// plenty for people and pipelines, too few for a stolen session to mint credentials in bulk.
/// Revoked tokens count too, so revoking does not reset the limit.
pub const MAX_TOKENS_PER_WINDOW: i64 = 20;
pub const TOKEN_WINDOW_MINUTES: i64 = 60;

/// Creates a token for a signed-in user (REST API and the tokens page), within the hourly limit.
pub async fn create_token(
    pool: &AnyPool,
    user_id: &str,
    request: &NewToken,
) -> AppResult<CreatedToken> {
    insert_token(pool, user_id, request, MAX_TOKENS_PER_WINDOW).await
}

/// Creates a token from the command line, without the hourly limit: whoever runs it already
/// holds the database.
pub async fn create_token_as_operator(
    pool: &AnyPool,
    user_id: &str,
    request: &NewToken,
) -> AppResult<CreatedToken> {
    insert_token(pool, user_id, request, i64::MAX).await
}

async fn insert_token(
    pool: &AnyPool,
    user_id: &str,
    request: &NewToken,
    max_in_window: i64,
) -> AppResult<CreatedToken> {
    let (name, days) = validate_token_request(request)?;
    let token = format!("{TOKEN_PREFIX}{}", auth::random_secret(24));
    let prefix: String = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let now = Utc::now();
    let expires_at = days.map(|d| now + Duration::days(d));
    let id = db::new_id();
    let window_start = db::timestamp(now - Duration::minutes(TOKEN_WINDOW_MINUTES));
    let mut tx = db::begin_write(pool).await?;
    // Counting and inserting in one statement: two requests at once cannot both slip under
    // the limit.
    let inserted = sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE (SELECT COUNT(*) FROM api_tokens WHERE user_id = $8 AND created_at > $9) < $10",
    )
    .bind(&id)
    .bind(user_id)
    .bind(&name)
    .bind(auth::sha256_hex(&token))
    .bind(&prefix)
    .bind(db::timestamp(now))
    .bind(expires_at.map(db::timestamp))
    .bind(user_id)
    .bind(&window_start)
    .bind(max_in_window)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let (oldest,): (Option<String>,) = sqlx::query_as(
            "SELECT MIN(created_at) FROM api_tokens WHERE user_id = $1 AND created_at > $2",
        )
        .bind(user_id)
        .bind(&window_start)
        .fetch_one(&mut *tx)
        .await?;
        // The limit frees up when the oldest token of the window leaves it.
        let wait = oldest
            .map(|t| db::parse_time(&t) + Duration::minutes(TOKEN_WINDOW_MINUTES) - now)
            .map_or(0, |d| d.num_seconds())
            .max(1);
        return Err(too_many_tokens(u64::try_from(wait).unwrap_or(1)).into());
    }
    audit::record(
        &mut tx,
        Some(user_id),
        "token.create",
        &format!("token:{id}"),
        json!({"name": name}),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedToken {
        id,
        name,
        prefix,
        created_at: now,
        expires_at,
        token,
    })
}

fn too_many_tokens(retry_after_secs: u64) -> ApiError {
    let minutes = retry_after_secs.div_ceil(60);
    let wait = if minutes == 1 {
        "a minute".to_owned()
    } else {
        format!("{minutes} minutes")
    };
    ApiError::new(
        429,
        codes::TOO_MANY_TOKENS,
        format!(
            "You have created {MAX_TOKENS_PER_WINDOW} API tokens in the last {TOKEN_WINDOW_MINUTES} minutes, the most allowed."
        ),
        format!("Reuse one of your tokens, or wait {wait} before creating another."),
    )
    .retry_after(retry_after_secs)
}

type TokenRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn token_info(
    (id, name, prefix, created_at, expires_at, last_used_at, revoked_at, username): TokenRow,
) -> TokenInfo {
    TokenInfo {
        username,
        id,
        name,
        prefix,
        created_at: db::parse_time(&created_at),
        expires_at: expires_at.as_deref().map(db::parse_time),
        last_used_at: last_used_at.as_deref().map(db::parse_time),
        revoked: revoked_at.is_some(),
    }
}

/// The user's tokens, newest first.
pub async fn list_tokens(pool: &AnyPool, user_id: &str) -> AppResult<Vec<TokenInfo>> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, name, prefix, created_at, expires_at, last_used_at, revoked_at, NULL
         FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(token_info).collect())
}

/// Every user's tokens, newest first, with whose they are (admins only).
pub async fn list_all_tokens(
    pool: &AnyPool,
    caller: &Caller,
    paging: Paging,
) -> AppResult<Page<TokenInfo>> {
    require_admin(caller, "list every API token")?;
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_tokens")
        .fetch_one(pool)
        .await?;
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT t.id, t.name, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at,
                u.username
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         ORDER BY t.created_at DESC, t.id LIMIT $1 OFFSET $2",
    )
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(pool)
    .await?;
    let data = rows.into_iter().map(token_info).collect();
    Ok(paging.page(data, total, |offset, limit| {
        format!("/api/v1/tokens?all=true&offset={offset}&limit={limit}")
    }))
}

/// Revokes a token: one's own, or (for admins) anyone's. Someone else's token is "not found",
/// not "forbidden".
pub async fn revoke_token(pool: &AnyPool, caller: &Caller, token_id: &str) -> AppResult<()> {
    let mut tx = db::begin_write(pool).await?;
    let found: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT revoked_at, name FROM api_tokens WHERE id = $1 AND (user_id = $2 OR $3 = 1)",
    )
    .bind(token_id)
    .bind(&caller.user_id)
    .bind(db::flag(caller.is_admin))
    .fetch_optional(&mut *tx)
    .await?;
    let name = match found {
        None => {
            return Err(ApiError::new(
                404,
                codes::TOKEN_NOT_FOUND,
                "You have no API token with this id.",
                "List your tokens with GET /api/v1/tokens.",
            )
            .into());
        }
        Some((Some(_), _)) => return Ok(()),
        Some((None, name)) => name,
    };
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
        .bind(db::now())
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "token.revoke",
        &format!("token:{token_id}"),
        json!({"name": name}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The id of an active user by name, for the command line.
pub async fn user_id_by_name(pool: &AnyPool, username: &str) -> AppResult<String> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM users WHERE username = $1 AND is_active = 1")
            .bind(username)
            .fetch_optional(pool)
            .await?;
    row.map(|(id,)| id).ok_or_else(|| {
        ApiError::new(
            404,
            codes::USER_NOT_FOUND,
            format!("No active user named '{username}'."),
            "Add the user first with 'modelyard user add NAME'.",
        )
        .into()
    })
}
