//! A model's aliases: listing, pointing one at a version, removing one, and its history.

use crate::domain::paging::{Page, Whole};
use crate::domain::version::{Alias, AliasMove, SetAlias};
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::rest::openapi::says;
use crate::server::services::versions::aliases;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/models/{model}/aliases", tag = "aliases",
    summary = "A model's aliases",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "Every alias of the model.", body = Whole<Alias>),
        (status = 404, description = says::MODEL_404),
    )
)]
pub async fn list_aliases(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(model): Path<String>,
) -> AppResult<Json<Whole<Alias>>> {
    let data = aliases::list_aliases(&state, caller.as_ref(), &model).await?;
    Ok(Json(Whole::of(data)))
}

#[utoipa::path(
    put, path = "/api/v1/models/{model}/aliases/{alias}", tag = "aliases",
    summary = "Point an alias at a version (a protected alias, or protection itself, needs an Owner)",
    request_body = SetAlias,
    responses(
        (status = 200, description = "The alias.", body = Alias),
        (status = 403, description = "FORBIDDEN or ALIAS_PROTECTED."),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "VERSION_NOT_READY, or VERSION_INACTIVE for a protected alias."),
        (status = 422, description = "INVALID_ALIAS, or the version does not exist."),
    )
)]
pub async fn set_alias(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, alias)): Path<(String, String)>,
    ApiJson(request): ApiJson<SetAlias>,
) -> AppResult<Json<Alias>> {
    Ok(Json(
        aliases::set_alias(&state, &caller, &model, &alias, request).await?,
    ))
}

#[utoipa::path(
    delete, path = "/api/v1/models/{model}/aliases/{alias}", tag = "aliases",
    summary = "Remove an alias",
    responses(
        (status = 204, description = "Removed."),
        (status = 403, description = "FORBIDDEN or ALIAS_PROTECTED."),
        (status = 404, description = "ALIAS_NOT_FOUND or MODEL_NOT_FOUND."),
    )
)]
pub async fn delete_alias(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, alias)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    aliases::delete_alias(&state, &caller, &model, &alias).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/models/{model}/aliases/{alias}/history", tag = "aliases",
    summary = "Every move of an alias, newest first",
    security(("bearer" = []), ("session" = []), ()),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of moves.", body = Page<AliasMove>),
        (status = 404, description = "ALIAS_NOT_FOUND or MODEL_NOT_FOUND."),
    )
)]
pub async fn alias_history(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((model, alias)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> AppResult<Json<Page<AliasMove>>> {
    Ok(Json(
        aliases::alias_history(
            &state,
            caller.as_ref(),
            &model,
            &alias,
            query.offset,
            query.limit,
        )
        .await?,
    ))
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_aliases))
        .routes(routes!(set_alias, delete_alias))
        .routes(routes!(alias_history))
}
