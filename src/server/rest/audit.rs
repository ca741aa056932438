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
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    summary = "Audit events, newest first: admins see all, others their own models'",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of events.", body = Page<AuditEvent>),
        (status = 403, description = "FORBIDDEN: the caller does not own that model."),
        (status = 404, description = "MODEL_NOT_FOUND."),
        (status = 422, description = "INVALID_TIME or INVALID_PAGING."),
    )
)]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditEvent>>> {
    Ok(Json(
        audit::list_events(&state.db, &caller, &query, "/api/v1/audit").await?,
    ))
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}
