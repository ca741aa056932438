//! Users: creation, the first-admin setup link, and signing in with throttling of failures.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::identity::{
    NewUserRequest, PasswordChange, UserInfo, UserPatch, validate_display_name, validate_password,
    validate_username,
};
use crate::domain::paging::{Page, Paging};
use crate::server::audit;
use crate::server::auth::{self, Caller, PasswordHashText};
use crate::server::db;
use crate::server::error::AppResult;
use crate::server::state::AppState;
use chrono::{Duration, Utc};
use serde_json::json;
use sqlx::AnyPool;

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
    pool: &AnyPool,
    new: NewUser,
    actor_id: Option<&str>,
) -> AppResult<String> {
    let username = validate_username(&new.username)?;
    let display_name = validate_display_name(&new.display_name)?;
    validate_password(&new.password)?;
    let hash = auth::hash_password(new.password).await?;
    let mut tx = db::begin_write(pool).await?;
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
    conn: &mut sqlx::AnyConnection,
    username: &str,
    display_name: &str,
    hash: &PasswordHashText,
    is_admin: bool,
) -> AppResult<String> {
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() {
        return Err(ApiError::new(
            409,
            codes::USERNAME_TAKEN,
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
         VALUES ($1, $2, $3, $4, $5, 1, $6)",
    )
    .bind(&id)
    .bind(username)
    .bind(display_name)
    .bind(&hash.0)
    .bind(db::flag(is_admin))
    .bind(db::now())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub async fn user_count(pool: &AnyPool) -> AppResult<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// On a database without users, makes a one-time link for creating the first admin.
pub async fn issue_setup_link(pool: &AnyPool) -> AppResult<Option<String>> {
    if user_count(pool).await? > 0 {
        return Ok(None);
    }
    let secret = auth::random_secret(32);
    sqlx::query("INSERT INTO setup_links (token_hash, created_at) VALUES ($1, $2)")
        .bind(auth::sha256_hex(&secret))
        .bind(db::now())
        .execute(pool)
        .await?;
    Ok(Some(secret))
}

fn setup_link_invalid() -> ApiError {
    ApiError::new(
        403,
        codes::SETUP_LINK_INVALID,
        "This setup link is not valid: it was already used, or an admin already exists.",
        "Sign in with an existing account; to get a new link, start Modelyard with an empty database, or add an admin with 'modelyard user add NAME --admin'.",
    )
}

/// Whether a setup link can still be used.
pub async fn setup_link_is_valid(pool: &AnyPool, secret: &str) -> AppResult<bool> {
    if user_count(pool).await? > 0 {
        return Ok(false);
    }
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT token_hash FROM setup_links WHERE token_hash = $1 AND used_at IS NULL",
    )
    .bind(auth::sha256_hex(secret))
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Creates the first admin with a setup link; the link (and every other) stops working.
/// Creates the first admin with a setup link; answers the new admin's id.
pub async fn complete_setup(pool: &AnyPool, secret: &str, new: NewUser) -> AppResult<String> {
    if !setup_link_is_valid(pool, secret).await? {
        return Err(setup_link_invalid().into());
    }
    let username = validate_username(&new.username)?;
    let display_name = validate_display_name(&new.display_name)?;
    validate_password(&new.password)?;
    let hash = auth::hash_password(new.password).await?;
    let mut tx = db::begin_write(pool).await?;
    // Re-checked inside the transaction: two people racing with the same link get one admin.
    let used = sqlx::query(
        "UPDATE setup_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL
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
    sqlx::query("UPDATE setup_links SET used_at = $1 WHERE used_at IS NULL")
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
    Ok(id)
}

fn wrong_credentials() -> ApiError {
    ApiError::invalid(
        "password",
        codes::WRONG_CREDENTIALS,
        "Wrong username or password.",
        "Check both and try again; after 5 failed attempts you must wait 15 minutes.",
    )
    .with_status(401)
}

/// Checks a username and password and opens a session; returns the `Set-Cookie` value.
pub async fn sign_in(state: &AppState, username: &str, password: String) -> AppResult<String> {
    let pool = &state.db;
    let window_start = db::timestamp(Utc::now() - Duration::minutes(FAILURE_WINDOW_MINUTES));
    let (failures,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND failed_at > $2",
    )
    .bind(username)
    .bind(&window_start)
    .fetch_one(pool)
    .await?;
    if failures >= MAX_FAILURES {
        return Err(ApiError::new(
            429,
            codes::TOO_MANY_ATTEMPTS,
            "Too many failed sign-in attempts for this account.",
            format!("Wait {FAILURE_WINDOW_MINUTES} minutes and try again, or ask an admin to reset your password."),
        )
        .retry_after(FAILURE_WINDOW_MINUTES as u64 * 60)
        .into());
    }
    let user: Option<(String, String, db::Flag)> =
        sqlx::query_as("SELECT id, password_hash, is_active FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(pool)
            .await?;
    // An unknown user costs the same hashing work as a known one, so timing tells nothing.
    let (user_id, hash, active) = match user {
        Some((id, hash, active)) => (Some(id), PasswordHashText(hash), active.0),
        None => (None, dummy_hash().await?, false),
    };
    let matches = auth::verify_password(password, hash.clone()).await?;
    let Some(user_id) = user_id.filter(|_| matches) else {
        sqlx::query("INSERT INTO login_failures (username, failed_at) VALUES ($1, $2)")
            .bind(username)
            .bind(db::now())
            .execute(pool)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE failed_at < $1")
            .bind(db::timestamp(Utc::now() - Duration::days(1)))
            .execute(pool)
            .await?;
        return Err(wrong_credentials().into());
    };
    if !active {
        return Err(ApiError::new(
            403,
            codes::ACCOUNT_DEACTIVATED,
            "This account is deactivated.",
            "Ask an admin to reactivate it.",
        )
        .into());
    }
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
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

/// Fails with 403 unless the caller is an admin.
pub fn require_admin(caller: &Caller, what: &str) -> AppResult<()> {
    if caller.is_admin {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            codes::ADMIN_ONLY,
            format!("Only admins may {what}."),
            "Ask an admin to do it, or to make you an admin.",
        )
        .into())
    }
}

pub(crate) fn user_not_found(username: &str) -> ApiError {
    ApiError::new(
        404,
        codes::USER_NOT_FOUND,
        format!("No user named '{username}'."),
        "Check the username; admins can list users with GET /api/v1/users.",
    )
}

type UserRow = (String, String, db::Flag, db::Flag, String);

fn user_info((username, display_name, is_admin, is_active, created_at): UserRow) -> UserInfo {
    UserInfo {
        username,
        display_name,
        is_admin: is_admin.0,
        is_active: is_active.0,
        created_at: db::parse_time(&created_at),
    }
}

const USER_COLUMNS: &str = "username, display_name, is_admin, is_active, created_at";

/// Every user, by name (admins only); `search` matches username or display name.
pub async fn list_users(
    pool: &AnyPool,
    caller: &Caller,
    search: Option<&str>,
    paging: Paging,
) -> AppResult<Page<UserInfo>> {
    require_admin(caller, "list users")?;
    let needle = search.map(str::trim).unwrap_or("").to_lowercase();
    let filter = "instr(lower(username), $1) > 0 OR instr(lower(display_name), $2) > 0";
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM users WHERE {filter}"))
        .bind(&needle)
        .bind(&needle)
        .fetch_one(pool)
        .await?;
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE {filter} ORDER BY lower(username) LIMIT $3 OFFSET $4"
    ))
    .bind(&needle)
    .bind(&needle)
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(pool)
    .await?;
    let data = rows.into_iter().map(user_info).collect();
    Ok(paging.page(data, total, |offset, limit| {
        let mut url = format!("/api/v1/users?offset={offset}&limit={limit}");
        if !needle.is_empty() {
            url.push_str("&search=");
            url.push_str(&form_urlencoded::byte_serialize(needle.as_bytes()).collect::<String>());
        }
        url
    }))
}

/// One user (admins only).
pub async fn get_user(pool: &AnyPool, caller: &Caller, username: &str) -> AppResult<UserInfo> {
    require_admin(caller, "look up users")?;
    user_by_name(pool, username).await
}

async fn user_by_name(pool: &AnyPool, username: &str) -> AppResult<UserInfo> {
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await?;
    row.map(user_info)
        .ok_or_else(|| user_not_found(username).into())
}

/// An admin creates a user.
pub async fn admin_create_user(
    pool: &AnyPool,
    caller: &Caller,
    request: NewUserRequest,
) -> AppResult<UserInfo> {
    require_admin(caller, "create users")?;
    let username = request.username.trim().to_owned();
    create_user(
        pool,
        NewUser {
            username: username.clone(),
            display_name: request.display_name.unwrap_or_default(),
            password: request.password,
            is_admin: request.is_admin,
        },
        Some(&caller.user_id),
    )
    .await?;
    user_by_name(pool, &username).await
}

/// An admin changes a user: display name, password (ending their sessions), admin flag, active
/// flag (deactivating ends their sessions; their tokens stop working because every token check
/// requires an active user). There is always an active admin, and admins cannot lock
/// themselves out.
pub async fn update_user(
    pool: &AnyPool,
    caller: &Caller,
    username: &str,
    patch: UserPatch,
) -> AppResult<UserInfo> {
    require_admin(caller, "change users")?;
    let display_name = patch
        .display_name
        .as_deref()
        .map(validate_display_name)
        .transpose()?;
    let hash = match patch.password {
        Some(password) => {
            validate_password(&password)?;
            Some(auth::hash_password(password).await?)
        }
        None => None,
    };
    let mut tx = db::begin_write(pool).await?;
    let row: Option<(String, String, String, db::Flag, db::Flag)> = sqlx::query_as(
        "SELECT id, username, display_name, is_admin, is_active FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&mut *tx)
    .await?;
    let (id, username, old_display, was_admin, was_active) =
        row.ok_or_else(|| user_not_found(username))?;
    let (was_admin, was_active) = (was_admin.0, was_active.0);
    let is_admin = patch.is_admin.unwrap_or(was_admin);
    let is_active = patch.is_active.unwrap_or(was_active);
    if id == caller.user_id && (!is_admin || !is_active) {
        return Err(ApiError::new(
            409,
            codes::CANNOT_LOCK_YOURSELF_OUT,
            "You cannot deactivate yourself or take away your own admin rights.",
            "Ask another admin to do it.",
        )
        .into());
    }
    let mut changed: Vec<&str> = Vec::new();
    let display_name = display_name
        .map(|d| if d.is_empty() { username.clone() } else { d })
        .unwrap_or(old_display.clone());
    if display_name != old_display {
        changed.push("display_name");
    }
    if is_admin != was_admin {
        changed.push("is_admin");
    }
    if is_active != was_active {
        changed.push("is_active");
    }
    if hash.is_some() {
        changed.push("password");
    }
    if changed.is_empty() {
        tx.commit().await?;
        return user_by_name(pool, &username).await;
    }
    sqlx::query("UPDATE users SET display_name = $1, is_admin = $2, is_active = $3 WHERE id = $4")
        .bind(&display_name)
        .bind(db::flag(is_admin))
        .bind(db::flag(is_active))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    if let Some(hash) = &hash {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash.0)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(&username)
            .execute(&mut *tx)
            .await?;
    }
    if hash.is_some() || !is_active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    let (admins,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM users WHERE is_admin = 1 AND is_active = 1")
            .fetch_one(&mut *tx)
            .await?;
    if admins == 0 {
        return Err(ApiError::new(
            409,
            codes::LAST_ADMIN,
            "This change would leave Modelyard without an active admin.",
            "Make someone else an admin first.",
        )
        .into());
    }
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "user.update",
        &format!("user:{username}"),
        json!({"changed": changed, "is_admin": is_admin, "is_active": is_active}),
    )
    .await?;
    tx.commit().await?;
    user_by_name(pool, &username).await
}

/// The caller changes their own password. Every other session of theirs ends; the one making the
/// change (if it is a browser session) stays signed in.
pub async fn change_own_password(
    pool: &AnyPool,
    caller: &Caller,
    current_session: Option<&str>,
    change: PasswordChange,
) -> AppResult<()> {
    validate_password(&change.new_password).map_err(|e| ApiError {
        field: Some("new_password".into()),
        ..e
    })?;
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(&caller.user_id)
        .fetch_one(pool)
        .await?;
    if !auth::verify_password(change.current_password, PasswordHashText(hash)).await? {
        return Err(ApiError::invalid(
            "current_password",
            codes::WRONG_PASSWORD,
            "The current password is not right.",
            "Type the password you signed in with.",
        )
        .into());
    }
    let new_hash = auth::hash_password(change.new_password).await?;
    let mut tx = db::begin_write(pool).await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(&new_hash.0)
        .bind(&caller.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(&caller.user_id)
        .bind(current_session.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
    if let Some(session) = current_session {
        auth::rebind_session(&mut tx, session, &new_hash).await?;
    }
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "user.password",
        &format!("user:{}", caller.username),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
