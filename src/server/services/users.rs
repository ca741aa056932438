//! Users: creation, the first-admin setup link, and signing in with throttling of failures.

use crate::domain::error::ApiError;
use crate::domain::identity::{validate_display_name, validate_password, validate_username};
use crate::server::auth::{self, PasswordHashText};
use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::audit;
use crate::server::state::AppState;
use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::SqlitePool;

/// Failed sign-ins allowed per username within [`FAILURE_WINDOW_MINUTES`].
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub is_admin: bool,
}

/// Creates a user after validating every field; the username is unique ignoring case.
pub async fn create_user(
    pool: &SqlitePool,
    new: NewUser,
    actor_id: Option<&str>,
) -> AppResult<String> {
    let username = validate_username(&new.username)?;
    let display_name = validate_display_name(&new.display_name)?;
    validate_password(&new.password)?;
    let hash = auth::hash_password(new.password).await?;
    let mut tx = pool.begin().await?;
    let id = insert_user(&mut tx, &username, &display_name, &hash, new.is_admin).await?;
    audit::record(
        &mut tx,
        actor_id,
        "user.create",
        &format!("user:{username}"),
        json!({"is_admin": new.is_admin}),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_user(
    conn: &mut sqlx::SqliteConnection,
    username: &str,
    display_name: &str,
    hash: &PasswordHashText,
    is_admin: bool,
) -> AppResult<String> {
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE username = ?")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(ApiError::new(
            409,
            "USERNAME_TAKEN",
            format!("There is already a user named '{username}'."),
            "Pick another username; names are compared ignoring case.",
        )
        .into());
    }
    let id = db::new_id();
    let display_name = if display_name.is_empty() {
        username
    } else {
        display_name
    };
    sqlx::query(
        "INSERT INTO users (id, username, display_name, password_hash, is_admin, is_active, created_at)
         VALUES (?, ?, ?, ?, ?, 1, ?)",
    )
    .bind(&id)
    .bind(username)
    .bind(display_name)
    .bind(&hash.0)
    .bind(is_admin)
    .bind(db::now())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn user_count(pool: &SqlitePool) -> AppResult<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// On a database without users, makes a one-time link for creating the first admin.
pub async fn issue_setup_link(pool: &SqlitePool) -> AppResult<Option<String>> {
    if user_count(pool).await? > 0 {
        return Ok(None);
    }
    let secret = auth::random_secret(32);
    sqlx::query("INSERT INTO setup_links (token_hash, created_at) VALUES (?, ?)")
        .bind(auth::sha256_hex(&secret))
        .bind(db::now())
        .execute(pool)
        .await?;
    Ok(Some(secret))
}

fn setup_link_invalid() -> ApiError {
    ApiError::new(
        403,
        "SETUP_LINK_INVALID",
        "This setup link is not valid: it was already used, or an admin already exists.",
        "Sign in with an existing account; to get a new link, start Modelyard with an empty database, or add an admin with 'modelyard user add NAME --admin'.",
    )
}

/// Whether a setup link can still be used.
pub async fn setup_link_is_valid(pool: &SqlitePool, secret: &str) -> AppResult<bool> {
    if user_count(pool).await? > 0 {
        return Ok(false);
    }
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT token_hash FROM setup_links WHERE token_hash = ? AND used_at IS NULL",
    )
    .bind(auth::sha256_hex(secret))
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Creates the first admin with a setup link; the link (and every other) stops working.
pub async fn complete_setup(pool: &SqlitePool, secret: &str, new: NewUser) -> AppResult<()> {
    if !setup_link_is_valid(pool, secret).await? {
        return Err(setup_link_invalid().into());
    }
    let username = validate_username(&new.username)?;
    let display_name = validate_display_name(&new.display_name)?;
    validate_password(&new.password)?;
    let hash = auth::hash_password(new.password).await?;
    let mut tx = pool.begin().await?;
    // Re-checked inside the transaction: two people racing with the same link get one admin.
    let used = sqlx::query(
        "UPDATE setup_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM users)",
    )
    .bind(db::now())
    .bind(auth::sha256_hex(secret))
    .execute(&mut *tx)
    .await?;
    if used.rows_affected() != 1 {
        return Err(setup_link_invalid().into());
    }
    let id = insert_user(&mut tx, &username, &display_name, &hash, true).await?;
    sqlx::query("UPDATE setup_links SET used_at = ? WHERE used_at IS NULL")
        .bind(db::now())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&id),
        "user.setup_admin",
        &format!("user:{username}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn wrong_credentials() -> ApiError {
    ApiError::invalid(
        "password",
        "WRONG_CREDENTIALS",
        "Wrong username or password.",
        "Check both and try again; after 5 failed attempts you must wait 15 minutes.",
    )
    .with_status(401)
}

/// Checks a username and password and opens a session; returns the `Set-Cookie` value.
pub async fn sign_in(state: &AppState, username: &str, password: String) -> AppResult<String> {
    let pool = &state.db;
    let window_start = db::timestamp(Utc::now() - Duration::minutes(FAILURE_WINDOW_MINUTES));
    let (failures,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM login_failures WHERE username = ? AND failed_at > ?")
            .bind(username)
            .bind(&window_start)
            .fetch_one(pool)
            .await?;
    if failures >= MAX_FAILURES {
        return Err(ApiError::new(
            429,
            "TOO_MANY_ATTEMPTS",
            "Too many failed sign-in attempts for this account.",
            format!("Wait {FAILURE_WINDOW_MINUTES} minutes and try again, or ask an admin to reset your password."),
        )
        .into());
    }
    let user: Option<(String, String, bool)> =
        sqlx::query_as("SELECT id, password_hash, is_active FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(pool)
            .await?;
    // An unknown user costs the same hashing work as a known one, so timing tells nothing.
    let (user_id, hash, active) = match user {
        Some((id, hash, active)) => (Some(id), PasswordHashText(hash), active),
        None => (None, dummy_hash().await?, false),
    };
    let matches = auth::verify_password(password, hash.clone()).await?;
    let Some(user_id) = user_id.filter(|_| matches) else {
        sqlx::query("INSERT INTO login_failures (username, failed_at) VALUES (?, ?)")
            .bind(username)
            .bind(db::now())
            .execute(pool)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE failed_at < ?")
            .bind(db::timestamp(Utc::now() - Duration::days(1)))
            .execute(pool)
            .await?;
        return Err(wrong_credentials().into());
    };
    if !active {
        return Err(ApiError::new(
            403,
            "ACCOUNT_DEACTIVATED",
            "This account is deactivated.",
            "Ask an admin to reactivate it.",
        )
        .into());
    }
    sqlx::query("DELETE FROM login_failures WHERE username = ?")
        .bind(username)
        .execute(pool)
        .await?;
    auth::open_session(state, &user_id, &hash).await
}

async fn dummy_hash() -> AppResult<PasswordHashText> {
    static DUMMY: tokio::sync::OnceCell<PasswordHashText> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| auth::hash_password("not a real password".to_owned()))
        .await
        .cloned()
}
