//! `/models`, `/models/{model}` and its download figures.

use crate::domain::download::{DownloadsQuery, ModelDownloads, window_days};
use crate::domain::model::{Model, ModelPatch, ModelQuery, NewModel};
use crate::domain::paging::Page;
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::services::{downloads, models};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

pub async fn list_models(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    ApiQuery(query): ApiQuery<ModelQuery>,
) -> AppResult<Json<Page<Model>>> {
    let page = models::list_models(&state.db, caller.as_ref(), &query, "/api/v1/models").await?;
    Ok(Json(page))
}

pub async fn create_model(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewModel>,
) -> AppResult<(StatusCode, Json<Model>)> {
    let model = models::create_model(&state.db, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

pub async fn get_model(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(key): Path<String>,
) -> AppResult<Json<Model>> {
    Ok(Json(
        models::get_model(&state.db, caller.as_ref(), &key).await?,
    ))
}

pub async fn update_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    ApiJson(patch): ApiJson<ModelPatch>,
) -> AppResult<Json<Model>> {
    Ok(Json(
        models::update_model(&state.db, &caller, &key, patch).await?,
    ))
}

pub async fn delete_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> AppResult<StatusCode> {
    models::delete_model(&state.db, &caller, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How often the model's versions were downloaded over the last `days` days.
pub async fn model_downloads(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(model): Path<String>,
    ApiQuery(query): ApiQuery<DownloadsQuery>,
) -> AppResult<Json<ModelDownloads>> {
    let days = window_days(query.days)?;
    Ok(Json(
        downloads::model_downloads(&state.db, caller.as_ref(), &model, days).await?,
    ))
}
