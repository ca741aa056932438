//! The audit log: `/audit`.

use crate::domain::audit::{AuditEvent, AuditQuery};
use crate::domain::paging::Page;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::ApiQuery;
use crate::server::services::audit;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::State;

pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditEvent>>> {
    Ok(Json(
        audit::list_events(&state.db, &caller, &query, "/api/v1/audit").await?,
    ))
}
