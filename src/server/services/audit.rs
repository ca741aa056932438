//! The audit log as people read it: listed for admins (everything) and owners (their models).
//! Writing an event is [`crate::server::audit::record`], below every service.

use crate::domain::audit::{AuditEvent, AuditQuery};
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::model::Role;
use crate::domain::paging::{Page, Paging};
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::db::QueryBuilder;
use crate::server::error::AppResult;
use crate::server::services::{models, visibility};
use sqlx::AnyPool;

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    actor: Option<String>,
    action: String,
    target: String,
    model_name: Option<String>,
    details: String,
    created_at: String,
}

impl EventRow {
    fn into_event(self) -> AuditEvent {
        let details: serde_json::Value =
            serde_json::from_str(&self.details).unwrap_or(serde_json::Value::Null);
        // A deleted model's events still name it, from what was recorded.
        let model_deleted = self.model_name.is_none();
        let model = self.model_name.or_else(|| {
            ["model", "name"]
                .iter()
                .find_map(|k| details.get(k).and_then(|v| v.as_str()).map(str::to_owned))
                .filter(|_| {
                    self.target.starts_with("model:") || self.target.starts_with("version:")
                })
        });
        AuditEvent {
            id: self.id,
            actor: self.actor,
            action: self.action,
            target: self.target,
            model_deleted: model_deleted && model.is_some(),
            model,
            details,
            created_at: db::parse_time(&self.created_at),
        }
    }
}

fn bad_time(field: &str, value: &str) -> ApiError {
    ApiError::invalid(
        field,
        codes::INVALID_TIME,
        format!("'{value}' is not a time."),
        "Give an RFC 3339 time such as 2026-01-31T12:00:00Z, or a date such as 2026-01-31.",
    )
}

/// An RFC 3339 time, or a date meaning its first instant, as stored text.
fn parse_bound(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(db::timestamp(t.with_timezone(&chrono::Utc)));
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| db::timestamp(t.and_utc()))
        .ok_or_else(|| bad_time(field, value))
}

/// Events the caller may read, newest first. Admins read everything; anyone else reads the
/// events of models they own (one model with `model=`, which must be theirs).
pub async fn list_events(
    pool: &AnyPool,
    caller: &Caller,
    query: &AuditQuery,
    base_url: &str,
) -> AppResult<Page<AuditEvent>> {
    let paging = Paging::new(query.offset, query.limit)?;
    let model = match query
        .model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => None,
        Some(key) => Some(match models::find_model(pool, Some(caller), key).await {
            Ok(found) => {
                found.require(Role::Owner, "read this model's audit log")?;
                found.id
            }
            // Admins may ask for a deleted model's history by its id.
            Err(_) if caller.is_admin => key.to_owned(),
            Err(e) => return Err(e),
        }),
    };
    let actor = query
        .actor
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let since = query
        .since
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_bound("since", s))
        .transpose()?;
    let until = query
        .until
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_bound("until", s))
        .transpose()?;
    let actions: Vec<String> = query
        .action
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();

    let filters = |q: &mut QueryBuilder<'_>| {
        q.push(" WHERE 1 = 1");
        if let Some(model_id) = &model {
            q.push(" AND e.model_id = ");
            q.push_bind(model_id.clone());
        } else if !caller.is_admin {
            q.push(" AND e.model_id IN (");
            visibility::push_owned_model_ids(q, &caller.user_id);
            q.push(")");
        }
        if let Some(actor) = actor {
            q.push(" AND u.username = ");
            q.push_bind(actor.to_owned());
        }
        if let Some(since) = &since {
            q.push(" AND e.created_at >= ");
            q.push_bind(since.clone());
        }
        if let Some(until) = &until {
            q.push(" AND e.created_at < ");
            q.push_bind(until.clone());
        }
        if !actions.is_empty() {
            q.push(" AND (");
            for (i, action) in actions.iter().enumerate() {
                if i > 0 {
                    q.push(" OR ");
                }
                if action.contains('.') {
                    q.push("e.action = ");
                    q.push_bind(action.clone());
                } else {
                    // A prefix such as `feature_impact`: its `_` and `%` are literal characters.
                    let literal = action
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_");
                    q.push("e.action LIKE ");
                    q.push_bind(format!("{literal}.%"));
                    q.push(" ESCAPE '\\'");
                }
            }
            q.push(")");
        }
    };
    let from = " FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
        LEFT JOIN models m ON m.id = e.model_id";
    let mut count = QueryBuilder::new(format!("SELECT COUNT(*){from}"));
    filters(&mut count);
    let (total,): (i64,) = count.build_query_as().fetch_one(pool).await?;
    let mut select = QueryBuilder::new(format!(
        "SELECT e.id, u.username AS actor, e.action, e.target, m.name AS model_name, e.details,
            e.created_at{from}"
    ));
    filters(&mut select);
    select.push(" ORDER BY e.id DESC LIMIT ");
    select.push_bind(paging.limit);
    select.push(" OFFSET ");
    select.push_bind(paging.offset);
    let rows: Vec<EventRow> = select.build_query_as().fetch_all(pool).await?;
    let data = rows.into_iter().map(EventRow::into_event).collect();
    Ok(paging.page(data, total, |offset, limit| {
        format!("{base_url}?{}", query.to_query_string(offset, limit))
    }))
}
