//! `/models/{model}/versions/{version}/feature-impact`: reading a version's feature impact and
//! importing results computed elsewhere. Starting a computation (POST) belongs here too.

use crate::domain::feature_impact::{FeatureImpact, FeatureImpactImport};
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::AppResult;
use crate::server::rest::extract::ApiJson;
use crate::server::services::feature_impact;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};

/// The version's feature impact, most important feature first; 404 when there is none yet.
pub async fn get_feature_impact(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path((model, version)): Path<(String, String)>,
) -> AppResult<Json<FeatureImpact>> {
    Ok(Json(
        feature_impact::get(&state.db, caller.as_ref(), &model, &version).await?,
    ))
}

/// Replaces the version's feature impact with imported results and answers what was stored.
pub async fn import_feature_impact(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
    ApiJson(import): ApiJson<FeatureImpactImport>,
) -> AppResult<Json<FeatureImpact>> {
    Ok(Json(
        feature_impact::import(&state.db, &caller, &model, &version, import).await?,
    ))
}
