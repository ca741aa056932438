//! `/models/{model}/versions/{version}/feature-impact`: reading a version's feature impact and
//! starting a computation (a job), and importing results computed elsewhere.

use crate::domain::feature_impact::{FeatureImpact, FeatureImpactImport, FeatureImpactRequest};
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::AppResult;
use crate::server::rest::extract::ApiJson;
use crate::server::services::{feature_impact, feature_impact_runs};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

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

/// Starts computing the version's feature impact: 202 with the job's id and its address.
pub async fn start_feature_impact(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
    ApiJson(request): ApiJson<FeatureImpactRequest>,
) -> AppResult<Response> {
    let job_id = feature_impact_runs::start(&state, &caller, &model, &version, &request).await?;
    let location = format!("/api/v1/jobs/{job_id}");
    let mut response = (StatusCode::ACCEPTED, Json(json!({ "job_id": job_id }))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}
