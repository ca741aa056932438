//! Audit events, written in the same transaction as the change they record.

use crate::server::db;
use sqlx::SqliteConnection;

pub async fn record(
    conn: &mut SqliteConnection,
    actor_id: Option<&str>,
    action: &str,
    target: &str,
    details: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (actor_id, action, target, details, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(actor_id)
    .bind(action)
    .bind(target)
    .bind(details.to_string())
    .bind(db::now())
    .execute(conn)
    .await?;
    Ok(())
}
