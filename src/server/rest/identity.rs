//! `/me` and `/tokens`.

use crate::domain::identity::{CreatedToken, Me, NewToken, TokenInfo};
use crate::domain::paging::{Page, Paging};
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::extract::{ApiJson, ApiQuery};
use crate::server::rest::openapi::says;
use crate::server::services::tokens;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/me", tag = "identity",
    summary = "Who is calling",
    responses((status = 200, description = "The caller.", body = Me))
)]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(caller.me())
}

/// `?all=true` (admins): every user's tokens, paged.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokenQuery {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub offset: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "identity",
    summary = "The caller's API tokens (never their secrets); with all=true, every user's (admins)",
    params(TokenQuery),
    responses(
        (status = 200, description = "Tokens, newest first.", body = Page<TokenInfo>),
        (status = 403, description = says::ADMIN_ONLY),
    )
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> AppResult<Json<Page<TokenInfo>>> {
    if query.all {
        let paging = Paging::new(query.offset, query.limit)?;
        return Ok(Json(
            tokens::list_all_tokens(&state.db, &caller, paging).await?,
        ));
    }
    let data = tokens::list_tokens(&state.db, &caller.user_id).await?;
    Ok(Json(Page::whole(data)))
}

#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "identity",
    summary = "Create an API token; the secret is in this answer only",
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, with its secret.", body = CreatedToken),
        (status = 422, description = "INVALID_TOKEN_NAME or INVALID_EXPIRY."),
        (status = 429, description = says::too_many_tokens(),
            headers(("Retry-After" = u64, description = "Seconds until another token may be created."))),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewToken>,
) -> AppResult<(StatusCode, Json<CreatedToken>)> {
    let created = tokens::create_token(&state.db, &caller.user_id, &request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", tag = "identity",
    summary = "Revoke one of the caller's tokens (admins: anyone's)",
    params(("id" = String, Path, description = "The token's id.")),
    responses(
        (status = 204, description = "Revoked (also when it already was)."),
        (status = 404, description = "TOKEN_NOT_FOUND."),
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    tokens::revoke_token(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}
