//! Who has access to a model: listing its grants, changing them under the sharing rules (a sharer
//! grants at most its own role; a model always keeps an owner), and finding users and teams to
//! share with.

use crate::domain::access::{
    AccessEntry, AccessUpdate, GrantChange, PrincipalMatch, PrincipalType, validate_access_update,
};
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::model::Role;
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::models::find_model;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

/// The grants on a model, owners first. Anyone who can see the model (signed in) sees them.
pub async fn list_access(
    pool: &AnyPool,
    caller: &Caller,
    model_key: &str,
) -> AppResult<Vec<AccessEntry>> {
    let model = find_model(pool, Some(caller), model_key).await?;
    let mut conn = pool.acquire().await?;
    grants(&mut conn, &model.id).await
}

async fn grants(conn: &mut AnyConnection, model_id: &str) -> AppResult<Vec<AccessEntry>> {
    let rows: Vec<(String, String, String, String, db::Flag)> = sqlx::query_as(
        "SELECT 'user', u.username, u.display_name, g.role, g.can_share
         FROM model_grants g JOIN users u ON u.id = g.user_id WHERE g.model_id = $1
         UNION ALL
         SELECT 'team', t.name, t.description, tg.role, tg.can_share
         FROM model_team_grants tg JOIN teams t ON t.id = tg.team_id WHERE tg.model_id = $2",
    )
    .bind(model_id)
    .bind(model_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut entries: Vec<AccessEntry> = rows
        .into_iter()
        .filter_map(|(kind, name, display_name, role, can_share)| {
            Some(AccessEntry {
                principal_type: PrincipalType::from_kind(&kind),
                name,
                display_name,
                role: Role::parse(&role)?,
                can_share: can_share.0,
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        b.role
            .cmp(&a.role)
            .then(a.principal_type.cmp(&b.principal_type))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    Ok(entries)
}

fn unknown_principal(change: &GrantChange) -> ApiError {
    let (code, solution) = match change.principal.principal_type {
        PrincipalType::User => (
            codes::USER_NOT_FOUND,
            "Check the username; an admin can list users with GET /api/v1/users.",
        ),
        PrincipalType::Team => (
            codes::TEAM_NOT_FOUND,
            "Check the team name; list teams with GET /api/v1/teams.",
        ),
    };
    ApiError::invalid(
        &change.field(),
        code,
        format!("There is no {}.", change.principal),
        solution,
    )
}

/// The id of the user or team a change names, and whether a user is active.
async fn resolve(conn: &mut AnyConnection, change: &GrantChange) -> AppResult<(String, bool)> {
    let sql = match change.principal.principal_type {
        PrincipalType::User => "SELECT id, is_active FROM users WHERE username = $1",
        PrincipalType::Team => "SELECT id, 1 FROM teams WHERE name = $1",
    };
    let found: Option<(String, db::Flag)> = sqlx::query_as(sql)
        .bind(&change.principal.name)
        .fetch_optional(&mut *conn)
        .await?;
    found
        .map(|(id, active)| (id, active.0))
        .ok_or_else(|| unknown_principal(change).into())
}

fn grant_table(kind: PrincipalType) -> (&'static str, &'static str) {
    match kind {
        PrincipalType::User => ("model_grants", "user_id"),
        PrincipalType::Team => ("model_team_grants", "team_id"),
    }
}

/// Applies up to 100 grant changes at once: all of them or none.
pub async fn update_access(
    pool: &AnyPool,
    caller: &Caller,
    model_key: &str,
    update: &AccessUpdate,
) -> AppResult<Vec<AccessEntry>> {
    let model = find_model(pool, Some(caller), model_key).await?;
    // Before reading the request: someone who may not share learns nothing from its errors.
    model.sharer.check(None, None)?;
    let changes = validate_access_update(update)?;
    let mut tx = db::begin_write(pool).await?;
    let mut recorded = Vec::with_capacity(changes.len());
    for change in &changes {
        let (principal_id, active) = resolve(&mut tx, change).await?;
        let (table, column) = grant_table(change.principal.principal_type);
        let current: Option<(String, db::Flag)> = sqlx::query_as(&format!(
            "SELECT role, can_share FROM {table} WHERE model_id = $1 AND {column} = $2"
        ))
        .bind(&model.id)
        .bind(&principal_id)
        .fetch_optional(&mut *tx)
        .await?;
        let current_role = current.as_ref().and_then(|(r, _)| Role::parse(r));
        model
            .sharer
            .check(current_role, change.role)
            .map_err(|e| ApiError {
                field: Some(change.field()),
                ..e
            })?;
        match change.role {
            Some(role) => {
                if !active {
                    return Err(ApiError::invalid(
                        &change.field(),
                        codes::USER_DEACTIVATED,
                        format!("The {} is deactivated.", change.principal),
                        "Ask an admin to reactivate the account first, or share with someone else.",
                    )
                    .into());
                }
                let can_share = change
                    .can_share
                    .or(current.as_ref().map(|(_, s)| s.0))
                    .unwrap_or(false);
                sqlx::query(&format!(
                    "INSERT INTO {table} (model_id, {column}, role, can_share) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (model_id, {column}) DO UPDATE SET role = excluded.role,
                        can_share = excluded.can_share"
                ))
                .bind(&model.id)
                .bind(&principal_id)
                .bind(role.as_str())
                .bind(db::flag(can_share))
                .execute(&mut *tx)
                .await?;
                recorded.push(json!({
                    "principal_type": change.principal.principal_type.as_str(),
                    "name": change.principal.name,
                    "from": current_role.map(Role::as_str),
                    "to": role.as_str(),
                    "can_share": can_share,
                }));
            }
            None => {
                if current.is_some() {
                    sqlx::query(&format!(
                        "DELETE FROM {table} WHERE model_id = $1 AND {column} = $2"
                    ))
                    .bind(&model.id)
                    .bind(&principal_id)
                    .execute(&mut *tx)
                    .await?;
                    recorded.push(json!({
                        "principal_type": change.principal.principal_type.as_str(),
                        "name": change.principal.name,
                        "from": current_role.map(Role::as_str),
                        "to": null,
                    }));
                }
            }
        }
    }
    let (owners,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM model_grants WHERE model_id = $1 AND role = 'OWNER')
              + (SELECT COUNT(*) FROM model_team_grants WHERE model_id = $2 AND role = 'OWNER')",
    )
    .bind(&model.id)
    .bind(&model.id)
    .fetch_one(&mut *tx)
    .await?;
    if owners == 0 {
        return Err(ApiError::new(
            409,
            codes::LAST_OWNER,
            "This change would leave the model without an owner.",
            "Make someone else an owner in the same request, or keep at least one owner.",
        )
        .into());
    }
    if !recorded.is_empty() {
        audit::record(
            &mut tx,
            Some(&caller.user_id),
            "access.update",
            &format!("model:{}", model.id),
            json!({"model": model.name, "changes": recorded}),
        )
        .await?;
    }
    let entries = grants(&mut tx, &model.id).await?;
    tx.commit().await?;
    Ok(entries)
}

/// Active users and teams whose name (or display name) contains `query`, for the sharing page.
pub async fn search_principals(
    pool: &AnyPool,
    _caller: &Caller,
    query: &str,
) -> AppResult<Vec<PrincipalMatch>> {
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT * FROM (
            SELECT 'user', username, display_name FROM users
            WHERE is_active = 1 AND (instr(lower(username), $1) > 0 OR instr(lower(display_name), $2) > 0)
            ORDER BY lower(username) LIMIT 10) AS u
         UNION ALL SELECT * FROM (
            SELECT 'team', name, description FROM teams WHERE instr(lower(name), $3) > 0
            ORDER BY lower(name) LIMIT 10) AS t",
    )
    .bind(&needle)
    .bind(&needle)
    .bind(&needle)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, name, display_name)| PrincipalMatch {
            principal_type: PrincipalType::from_kind(&kind),
            name,
            display_name,
        })
        .collect())
}
