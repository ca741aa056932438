//! Teams: named groups of users that models can be shared with. Admins create and delete teams
//! and manage members; every signed-in user can list them (to share with them).

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::identity::{
    NewTeam, Team, TeamMember, validate_team_description, validate_team_name,
};
use crate::domain::paging::{Page, Paging};
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::users::{require_admin, user_not_found};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

pub(crate) fn team_not_found(name: &str) -> ApiError {
    ApiError::new(
        404,
        codes::TEAM_NOT_FOUND,
        format!("No team named '{name}'."),
        "Check the name, or list teams with GET /api/v1/teams.",
    )
}

type TeamRow = (String, String, String, String, i64);

async fn members(conn: &mut AnyConnection, team_id: &str) -> AppResult<Vec<TeamMember>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.username, u.display_name FROM team_members tm JOIN users u ON u.id = tm.user_id
         WHERE tm.team_id = $1 ORDER BY lower(u.username)",
    )
    .bind(team_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(username, display_name)| TeamMember {
            username,
            display_name,
        })
        .collect())
}

fn team(
    (id, name, description, created_at, member_count): TeamRow,
    members: Vec<TeamMember>,
) -> Team {
    Team {
        id,
        name,
        description,
        member_count,
        members,
        created_at: db::parse_time(&created_at),
    }
}

const TEAM_COLUMNS: &str = "t.id, t.name, t.description, t.created_at,
    (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id)";

async fn find_team(conn: &mut AnyConnection, name: &str) -> AppResult<TeamRow> {
    let row: Option<TeamRow> = sqlx::query_as(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams t WHERE t.name = $1 OR t.id = $2 LIMIT 1"
    ))
    .bind(name)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(|| team_not_found(name).into())
}

/// Teams by name, with their members.
pub async fn list_teams(
    pool: &AnyPool,
    _caller: &Caller,
    search: Option<&str>,
    paging: Paging,
) -> AppResult<Page<Team>> {
    let needle = search.map(str::trim).unwrap_or("").to_lowercase();
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM teams t WHERE instr(lower(t.name), $1) > 0")
            .bind(&needle)
            .fetch_one(pool)
            .await?;
    let rows: Vec<TeamRow> = sqlx::query_as(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams t WHERE instr(lower(t.name), $1) > 0
         ORDER BY lower(t.name) LIMIT $2 OFFSET $3"
    ))
    .bind(&needle)
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(pool)
    .await?;
    let mut conn = pool.acquire().await?;
    let mut data = Vec::with_capacity(rows.len());
    for row in rows {
        let m = members(&mut conn, &row.0).await?;
        data.push(team(row, m));
    }
    Ok(paging.page(data, total, |offset, limit| {
        let mut url = format!("/api/v1/teams?offset={offset}&limit={limit}");
        if !needle.is_empty() {
            url.push_str("&search=");
            url.push_str(&form_urlencoded::byte_serialize(needle.as_bytes()).collect::<String>());
        }
        url
    }))
}

pub async fn get_team(pool: &AnyPool, _caller: &Caller, name: &str) -> AppResult<Team> {
    let mut conn = pool.acquire().await?;
    let row = find_team(&mut conn, name).await?;
    let m = members(&mut conn, &row.0).await?;
    Ok(team(row, m))
}

pub async fn create_team(pool: &AnyPool, caller: &Caller, new: &NewTeam) -> AppResult<Team> {
    require_admin(caller, "create teams")?;
    let name = validate_team_name(&new.name)?;
    let description = validate_team_description(new.description.as_deref().unwrap_or(""))?;
    let mut tx = db::begin_write(pool).await?;
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM teams WHERE name = $1")
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(ApiError {
            field: Some("name".into()),
            ..ApiError::new(
                409,
                codes::TEAM_NAME_TAKEN,
                format!("There is already a team named '{name}'."),
                "Pick another name; team names are compared ignoring case.",
            )
        }
        .into());
    }
    let id = db::new_id();
    sqlx::query("INSERT INTO teams (id, name, description, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(&name)
        .bind(&description)
        .bind(db::now())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "team.create",
        &format!("team:{name}"),
        json!({"description": description}),
    )
    .await?;
    let row = find_team(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(team(row, Vec::new()))
}

/// Deletes a team; its grants go with it. Refused (409) when a model would lose its last owner.
pub async fn delete_team(pool: &AnyPool, caller: &Caller, name: &str) -> AppResult<()> {
    require_admin(caller, "delete teams")?;
    let mut tx = db::begin_write(pool).await?;
    let row = find_team(&mut tx, name).await?;
    let (orphaned,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM model_team_grants tg WHERE tg.team_id = $1 AND tg.role = 'OWNER'
         AND NOT EXISTS (SELECT 1 FROM model_grants g WHERE g.model_id = tg.model_id AND g.role = 'OWNER')
         AND NOT EXISTS (SELECT 1 FROM model_team_grants o WHERE o.model_id = tg.model_id
                         AND o.role = 'OWNER' AND o.team_id <> tg.team_id)",
    )
    .bind(&row.0)
    .fetch_one(&mut *tx)
    .await?;
    if orphaned > 0 {
        return Err(ApiError::new(
            409,
            codes::LAST_OWNER,
            format!(
                "Team '{}' is the only owner of {orphaned} model(s); deleting it would leave them without an owner.",
                row.1
            ),
            "Give those models another owner on their sharing page first.",
        )
        .into());
    }
    sqlx::query("DELETE FROM teams WHERE id = $1")
        .bind(&row.0)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "team.delete",
        &format!("team:{}", row.1),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn user_id(conn: &mut AnyConnection, username: &str) -> AppResult<(String, String)> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT id, username FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *conn)
            .await?;
    row.ok_or_else(|| user_not_found(username).into())
}

/// Adds a user to a team (doing nothing if they are already in it).
pub async fn add_member(
    pool: &AnyPool,
    caller: &Caller,
    team_name: &str,
    username: &str,
) -> AppResult<Team> {
    require_admin(caller, "change team members")?;
    let mut tx = db::begin_write(pool).await?;
    let row = find_team(&mut tx, team_name).await?;
    let (uid, username) = user_id(&mut tx, username).await?;
    let added = sqlx::query(
        "INSERT INTO team_members (team_id, user_id, added_at) VALUES ($1, $2, $3)
         ON CONFLICT (team_id, user_id) DO NOTHING",
    )
    .bind(&row.0)
    .bind(&uid)
    .bind(db::now())
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() > 0 {
        audit::record(
            &mut tx,
            Some(&caller.user_id),
            "team.member_add",
            &format!("team:{}", row.1),
            json!({"username": username}),
        )
        .await?;
    }
    let row = find_team(&mut tx, &row.0).await?;
    let m = members(&mut tx, &row.0).await?;
    tx.commit().await?;
    Ok(team(row, m))
}

/// Removes a user from a team; 404 when they were not in it.
pub async fn remove_member(
    pool: &AnyPool,
    caller: &Caller,
    team_name: &str,
    username: &str,
) -> AppResult<()> {
    require_admin(caller, "change team members")?;
    let mut tx = db::begin_write(pool).await?;
    let row = find_team(&mut tx, team_name).await?;
    let (uid, username) = user_id(&mut tx, username).await?;
    let removed = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
        .bind(&row.0)
        .bind(&uid)
        .execute(&mut *tx)
        .await?;
    if removed.rows_affected() == 0 {
        return Err(ApiError::new(
            404,
            codes::NOT_A_MEMBER,
            format!("'{username}' is not a member of team '{}'.", row.1),
            "List the team's members with GET /api/v1/teams/{team}.",
        )
        .into());
    }
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "team.member_remove",
        &format!("team:{}", row.1),
        json!({"username": username}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
