//! Aliases: movable names for versions (`production`, `staging`, …). Editors move ordinary
//! aliases; protected ones, and protection itself, are the Owner's. Every move is kept.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::model::Role;
use crate::domain::paging::{Page, Paging};
use crate::domain::version::{Alias, AliasMove, Registration, SetAlias};
use crate::domain::version_number::validate_alias_name;
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::models::{ModelRef, find_model};
use crate::server::services::versions::find_named_version;
use crate::server::state::AppState;
use serde_json::json;
use sqlx::AnyConnection;

/// A row of `alias_moves` with the actor's username.
type MoveRow = (
    Option<String>,
    Option<String>,
    db::Flag,
    Option<String>,
    String,
    String,
);

#[derive(sqlx::FromRow)]
struct AliasRow {
    name: String,
    version: String,
    #[sqlx(try_from = "db::Flag")]
    protected: bool,
    #[sqlx(try_from = "db::Flag")]
    version_active: bool,
    updated_by: String,
    updated_at: String,
}

impl From<AliasRow> for Alias {
    fn from(r: AliasRow) -> Self {
        Alias {
            alias: r.name,
            version: r.version,
            protected: r.protected,
            version_active: r.version_active,
            updated_by: r.updated_by,
            updated_at: db::parse_time(&r.updated_at),
        }
    }
}

const ALIAS_SELECT: &str = "SELECT a.name, v.major || '.' || v.minor || '.' || v.patch AS version,
    a.protected, v.active AS version_active, u.username AS updated_by, a.updated_at
    FROM aliases a JOIN versions v ON v.id = a.version_id JOIN users u ON u.id = a.updated_by";

fn alias_not_found(model: &str, alias: &str) -> ApiError {
    ApiError::new(
        404,
        codes::ALIAS_NOT_FOUND,
        format!("Model '{model}' has no alias '{alias}'."),
        format!("List the aliases with GET /api/v1/models/{model}/aliases."),
    )
}

pub async fn list_aliases(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
) -> AppResult<Vec<Alias>> {
    let model = find_model(&state.db, caller, model_key).await?;
    let rows: Vec<AliasRow> = sqlx::query_as(&format!(
        "{ALIAS_SELECT} WHERE a.model_id = $1 ORDER BY a.name"
    ))
    .bind(&model.id)
    .fetch_all(&state.db)
    .await?;
    Ok(rows.into_iter().map(Alias::from).collect())
}

async fn current(
    conn: &mut AnyConnection,
    model: &ModelRef,
    alias: &str,
) -> AppResult<Option<AliasRow>> {
    Ok(sqlx::query_as(&format!(
        "{ALIAS_SELECT} WHERE a.model_id = $1 AND a.name = $2"
    ))
    .bind(&model.id)
    .bind(alias)
    .fetch_optional(conn)
    .await?)
}

/// One move of an alias, as `alias_moves` keeps it.
struct Move<'a> {
    alias: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    protected: bool,
    reason: &'a str,
}

async fn record_move(
    conn: &mut AnyConnection,
    model: &ModelRef,
    caller: &Caller,
    m: Move<'_>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO alias_moves (model_id, alias, from_version, to_version, protected, actor_id, moved_at, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&model.id)
    .bind(m.alias)
    .bind(m.from)
    .bind(m.to)
    .bind(db::flag(m.protected))
    .bind(&caller.user_id)
    .bind(db::now())
    .bind(m.reason)
    .execute(&mut *conn)
    .await?;
    let mut details = json!({"model": model.name, "alias": m.alias, "from": m.from, "to": m.to, "protected": m.protected});
    if !m.reason.is_empty() {
        details["reason"] = json!(m.reason);
    }
    audit::record(
        conn,
        Some(&caller.user_id),
        if m.to.is_some() {
            "alias.set"
        } else {
            "alias.delete"
        },
        &format!("model:{}", model.id),
        details,
    )
    .await?;
    Ok(())
}

/// The aliases that point at a version, protected or not.
async fn aliases_on(conn: &mut AnyConnection, version_id: &str) -> AppResult<Vec<(String, bool)>> {
    let rows: Vec<(String, db::Flag)> =
        sqlx::query_as("SELECT name, protected FROM aliases WHERE version_id = $1 ORDER BY name")
            .bind(version_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(name, p)| (name, p.0)).collect())
}

/// Refuses to take a version out of use (`doing`: "deactivate", "delete") while a protected
/// alias points at it: whoever relies on `production` must not be left on a version that is
/// gone or withdrawn.
pub async fn check_no_protected_alias(
    conn: &mut AnyConnection,
    model: &ModelRef,
    version_id: &str,
    number: &str,
    doing: &str,
) -> AppResult<()> {
    let protected: Vec<String> = aliases_on(conn, version_id)
        .await?
        .into_iter()
        .filter_map(|(name, p)| p.then_some(name))
        .collect();
    let Some(first) = protected.first() else {
        return Ok(());
    };
    let names = protected
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(ApiError::new(
        409,
        codes::VERSION_HAS_PROTECTED_ALIAS,
        format!(
            "Version {number} of '{}' is what the protected alias {names} points at.",
            model.name
        ),
        format!(
            "Move the alias '{first}' to another version first (Settings, or PUT /api/v1/models/{}/aliases/{first}), then {doing} this version.",
            model.name
        ),
    )
    .into())
}

/// Records, in each alias's history, that the aliases on a version about to be deleted go with
/// it. Call in the deleting transaction, before the delete.
pub async fn record_removal_with_version(
    conn: &mut AnyConnection,
    model: &ModelRef,
    caller: &Caller,
    version_id: &str,
    number: &str,
) -> AppResult<()> {
    let reason = format!("version {number} was deleted");
    for (alias, protected) in aliases_on(conn, version_id).await? {
        let m = Move {
            alias: &alias,
            from: Some(number),
            to: None,
            protected,
            reason: &reason,
        };
        record_move(conn, model, caller, m).await?;
    }
    Ok(())
}

/// Points an alias at a version (creating it if needed).
pub async fn set_alias(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    alias: &str,
    request: SetAlias,
) -> AppResult<Alias> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "move this model's aliases")?;
    let alias = validate_alias_name(alias)?;
    let version = find_named_version(&state.db, &model, &request.version, "version").await?;
    if version.registration() != Registration::Ready {
        return Err(ApiError::new(
            409,
            codes::VERSION_NOT_READY,
            format!(
                "Version {} is {}: an alias cannot point at it.",
                version.number(),
                version.registration().as_str()
            ),
            "Point the alias at a version whose uploads finished.",
        )
        .into());
    }
    let mut tx = db::begin_write(&state.db).await?;
    let before = current(&mut tx, &model, &alias).await?;
    let was_protected = before.as_ref().is_some_and(|b| b.protected);
    let protected = request.protected.unwrap_or(was_protected);
    if (was_protected || protected) && model.role < Some(Role::Owner) {
        return Err(ApiError::new(
            403,
            codes::ALIAS_PROTECTED,
            format!("The alias '{alias}' is protected: only an Owner of the model may move it or change its protection."),
            "Ask an Owner of the model to move it.",
        )
        .into());
    }
    if protected && !version.active {
        return Err(ApiError::new(
            409,
            codes::VERSION_INACTIVE,
            format!(
                "Version {} is inactive: the protected alias '{alias}' cannot point at it.",
                version.number()
            ),
            "Reactivate the version first, or point the alias at an active one.",
        )
        .into());
    }
    let to = version.number().to_string();
    let unchanged = before
        .as_ref()
        .is_some_and(|b| b.version == to && b.protected == protected);
    if !unchanged {
        let now = db::now();
        sqlx::query(
            "INSERT INTO aliases (model_id, name, version_id, protected, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (model_id, name) DO UPDATE SET version_id = excluded.version_id,
                protected = excluded.protected, updated_by = excluded.updated_by,
                updated_at = excluded.updated_at",
        )
        .bind(&model.id)
        .bind(&alias)
        .bind(&version.id)
        .bind(db::flag(protected))
        .bind(&caller.user_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let m = Move {
            alias: &alias,
            from: before.as_ref().map(|b| b.version.as_str()),
            to: Some(&to),
            protected,
            reason: "",
        };
        record_move(&mut tx, &model, caller, m).await?;
    }
    let after = current(&mut tx, &model, &alias)
        .await?
        .ok_or_else(|| alias_not_found(&model.name, &alias))?;
    tx.commit().await?;
    Ok(after.into())
}

pub async fn delete_alias(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    alias: &str,
) -> AppResult<()> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "remove this model's aliases")?;
    let alias = alias.trim().to_ascii_lowercase();
    let mut tx = db::begin_write(&state.db).await?;
    let before = current(&mut tx, &model, &alias)
        .await?
        .ok_or_else(|| alias_not_found(&model.name, &alias))?;
    if before.protected && model.role < Some(Role::Owner) {
        return Err(ApiError::new(
            403,
            codes::ALIAS_PROTECTED,
            format!("The alias '{alias}' is protected: only an Owner of the model may remove it."),
            "Ask an Owner of the model to remove it.",
        )
        .into());
    }
    sqlx::query("DELETE FROM aliases WHERE model_id = $1 AND name = $2")
        .bind(&model.id)
        .bind(&alias)
        .execute(&mut *tx)
        .await?;
    let m = Move {
        alias: &alias,
        from: Some(&before.version),
        to: None,
        protected: before.protected,
        reason: "",
    };
    record_move(&mut tx, &model, caller, m).await?;
    tx.commit().await?;
    Ok(())
}

/// Every move of an alias, newest first. Known for as long as the model exists, even after the
/// alias was removed.
pub async fn alias_history(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
    alias: &str,
    offset: Option<i64>,
    limit: Option<i64>,
) -> AppResult<Page<AliasMove>> {
    let model = find_model(&state.db, caller, model_key).await?;
    let alias = alias.trim().to_ascii_lowercase();
    let paging = Paging::new(offset, limit)?;
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM alias_moves WHERE model_id = $1 AND alias = $2")
            .bind(&model.id)
            .bind(&alias)
            .fetch_one(&state.db)
            .await?;
    if total == 0 {
        return Err(alias_not_found(&model.name, &alias).into());
    }
    let rows: Vec<MoveRow> = sqlx::query_as(
        "SELECT h.from_version, h.to_version, h.protected, u.username, h.moved_at, h.reason
             FROM alias_moves h LEFT JOIN users u ON u.id = h.actor_id
             WHERE h.model_id = $1 AND h.alias = $2 ORDER BY h.id DESC LIMIT $3 OFFSET $4",
    )
    .bind(&model.id)
    .bind(&alias)
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&state.db)
    .await?;
    let data: Vec<AliasMove> = rows
        .into_iter()
        .map(
            |(from_version, to_version, protected, actor, moved_at, reason)| AliasMove {
                alias: alias.clone(),
                from_version,
                to_version,
                protected: protected.0,
                actor,
                moved_at: db::parse_time(&moved_at),
                reason,
            },
        )
        .collect();
    let base = format!("/api/v1/models/{}/aliases/{alias}/history", model.name);
    Ok(paging.page(data, total, |offset, limit| {
        format!("{base}?offset={offset}&limit={limit}")
    }))
}
