//! Writing audit events, in the same transaction as the change they record. Below every
//! service, so any of them can record without depending on another; reading the log is
//! `services::audit`.

use crate::server::db;
use sqlx::AnyConnection;

/// Records one change. The model it belongs to is taken from the target (`model:<id>`, or
/// `version:<id>` looked up), so every model's history can be listed.
pub async fn record(
    conn: &mut AnyConnection,
    actor_id: Option<&str>,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> Result<(), sqlx::Error> {
    let model_id = target.strip_prefix("model:");
    let version_id = target.strip_prefix("version:");
    sqlx::query(
        "INSERT INTO audit_events (actor_id, action, target, details, created_at, model_id)
         VALUES ($1, $2, $3, $4, $5, COALESCE($6, (SELECT v.model_id FROM versions v WHERE v.id = $7)))",
    )
    .bind(actor_id)
    .bind(action)
    .bind(target)
    .bind(details.to_string())
    .bind(db::now())
    .bind(model_id)
    .bind(version_id)
    .execute(conn)
    .await?;
    Ok(())
}
