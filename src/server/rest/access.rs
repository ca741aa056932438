//! Model sharing: `/models/{model}/access`.

use crate::domain::access::{AccessEntry, AccessUpdate};
use crate::domain::paging::Page;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::ApiJson;
use crate::server::rest::openapi::says;
use crate::server::services::access;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/models/{model}/access", tag = "sharing",
    summary = "Who has access to the model",
    responses(
        (status = 200, description = "Grants, owners first.", body = Page<AccessEntry>),
        (status = 404, description = says::MODEL_404),
    )
)]
pub async fn list_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
) -> AppResult<Json<Page<AccessEntry>>> {
    let entries = access::list_access(&state.db, &caller, &model).await?;
    Ok(Json(Page::whole(entries)))
}

#[utoipa::path(
    patch, path = "/api/v1/models/{model}/access", tag = "sharing",
    summary = "Grant, change or remove up to 100 roles at once (all or nothing)",
    description = "Each entry names a username or a team and a role (OWNER, EDITOR, VIEWER; ADMIN, READ_WRITE, DATA_SCIENTIST, USER, CONSUMER, OBSERVER and READ_ONLY are mapped) or null to remove. A sharer (an owner, an admin, or a grant with can_share) grants at most its own role and changes only grants up to it.",
    request_body = AccessUpdate,
    responses(
        (status = 200, description = "The grants after the change.", body = Page<AccessEntry>),
        (status = 403, description = "FORBIDDEN (no share rights) or ROLE_ABOVE_YOUR_OWN."),
        (status = 404, description = "MODEL_NOT_FOUND."),
        (status = 409, description = "LAST_OWNER: the model would be left without an owner."),
        (status = 422, description = "USER_NOT_FOUND, TEAM_NOT_FOUND, USER_DEACTIVATED, INVALID_ROLE, INVALID_PRINCIPAL, DUPLICATE_PRINCIPAL or INVALID_ACCESS_CHANGES, with the field (data[i].username)."),
    )
)]
pub async fn update_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    ApiJson(update): ApiJson<AccessUpdate>,
) -> AppResult<Json<Page<AccessEntry>>> {
    let entries = access::update_access(&state.db, &caller, &model, &update).await?;
    Ok(Json(Page::whole(entries)))
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_access, update_access))
}
