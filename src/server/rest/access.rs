//! Model sharing: `/models/{model}/access`.

use crate::domain::access::{AccessEntry, AccessUpdate};
use crate::domain::paging::Page;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::ApiJson;
use crate::server::services::access;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};

pub async fn list_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
) -> AppResult<Json<Page<AccessEntry>>> {
    let entries = access::list_access(&state.db, &caller, &model).await?;
    Ok(Json(Page::whole(entries)))
}

pub async fn update_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(model): Path<String>,
    ApiJson(update): ApiJson<AccessUpdate>,
) -> AppResult<Json<Page<AccessEntry>>> {
    let entries = access::update_access(&state.db, &caller, &model, &update).await?;
    Ok(Json(Page::whole(entries)))
}
