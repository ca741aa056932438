//! `/models`, `/models/{model}` and its download figures.

use crate::domain::download::{DownloadsQuery, ModelDownloads, window_days};
use crate::domain::model::{Model, ModelPatch, ModelQuery, NewModel};
use crate::domain::paging::Page;
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::rest::openapi::says;
use crate::server::rest::page_json::PageJson;
use crate::server::services::{downloads, models};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/models", tag = "models",
    summary = "Models the caller can see",
    security(("bearer" = []), ("session" = []), ()),
    params(ModelQuery),
    responses(
        (status = 200, description = "One page of models.", body = Page<Model>),
        (status = 422, description = "INVALID_ORDER_BY, INVALID_PAGING or INVALID_TARGET_TYPE."),
    )
)]
pub async fn list_models(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    ApiQuery(query): ApiQuery<ModelQuery>,
) -> AppResult<PageJson<Model>> {
    let page = models::list_models(&state.db, caller.as_ref(), &query, "/api/v1/models").await?;
    Ok(PageJson(page))
}

#[utoipa::path(
    post, path = "/api/v1/models", tag = "models",
    summary = "Create a model (no version is created); the caller becomes Owner",
    request_body = NewModel,
    responses(
        (status = 201, description = "The new model.", body = Model),
        (status = 409, description = "MODEL_NAME_TAKEN: names are unique ignoring case."),
        (status = 422, description = "A field is invalid; 'field' names it."),
    )
)]
pub async fn create_model(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewModel>,
) -> AppResult<(StatusCode, Json<Model>)> {
    let model = models::create_model(&state.db, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

#[utoipa::path(
    get, path = "/api/v1/models/{model}", tag = "models",
    summary = "One model",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "The model.", body = Model),
        (status = 404, description = says::MODEL_404),
    )
)]
pub async fn get_model(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(key): Path<String>,
) -> AppResult<Json<Model>> {
    Ok(Json(
        models::get_model(&state.db, caller.as_ref(), &key).await?,
    ))
}

#[utoipa::path(
    patch, path = "/api/v1/models/{model}", tag = "models",
    summary = "Change model-level fields (never a version); null clears a field",
    request_body = ModelPatch,
    responses(
        (status = 200, description = "The changed model.", body = Model),
        (status = 403, description = "FORBIDDEN: Editor needed; Owner for visibility and archived."),
        (status = 404, description = "MODEL_NOT_FOUND."),
        (status = 409, description = "MODEL_NAME_TAKEN."),
        (status = 422, description = "A field is invalid."),
    )
)]
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

#[utoipa::path(
    delete, path = "/api/v1/models/{model}", tag = "models",
    summary = "Delete a model; Owner only",
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "FORBIDDEN: Owner needed."),
        (status = 404, description = "MODEL_NOT_FOUND."),
    )
)]
pub async fn delete_model(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
) -> AppResult<StatusCode> {
    models::delete_model(&state.db, &caller, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How often the model's versions were downloaded over the last `days` days.
#[utoipa::path(
    get, path = "/api/v1/models/{model}/downloads", tag = "models",
    summary = "How often the model's versions were downloaded over the last days (whoever can read the model; anyone for a public one)",
    security(("bearer" = []), ("session" = []), ()),
    params(DownloadsQuery),
    responses(
        (status = 200, description = "Downloads in the window: by day (every day, oldest first) and by version (every version, newest first, each with its last download ever).", body = ModelDownloads),
        (status = 404, description = says::MODEL_404),
        (status = 422, description = says::invalid_days()),
    )
)]
pub async fn model_downloads(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(model): Path<String>,
    ApiQuery(query): ApiQuery<DownloadsQuery>,
) -> AppResult<Json<ModelDownloads>> {
    let days = window_days(query.days)?;
    Ok(Json(
        downloads::model_downloads(
            &state.db,
            caller.as_ref(),
            &model,
            days,
            downloads::PerVersion::Include,
        )
        .await?,
    ))
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_models, create_model))
        .routes(routes!(get_model, update_model, delete_model))
        .routes(routes!(model_downloads))
}
