//! `/models/{model}/versions/{version}/feature-impact`: reading a version's feature impact and
//! starting a computation (a job), and importing results computed elsewhere.

use crate::domain::feature_impact::{FeatureImpact, FeatureImpactImport, FeatureImpactRequest};
use crate::server::auth::{Caller, MaybeCaller};
use crate::server::error::AppResult;
use crate::server::rest::extract::ApiJson;
use crate::server::rest::openapi::says;
use crate::server::services::{feature_impact, feature_impact_runs};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The version's feature impact, most important feature first; 404 when there is none yet.
/// The answer to starting a computation.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct JobStarted {
    /// Follow it at `/api/v1/jobs/{job_id}`.
    pub job_id: String,
}

#[utoipa::path(
    get, path = "/api/v1/models/{model}/versions/{version}/feature-impact", tag = "feature impact",
    summary = "The version's feature impact, most important feature first",
    security(("bearer" = []), ("session" = []), ()),
    responses(
        (status = 200, description = "The feature impact.", body = FeatureImpact),
        (status = 404, description = "FEATURE_IMPACT_NOT_FOUND (none computed or imported yet), MODEL_NOT_FOUND or VERSION_NOT_FOUND."),
    )
)]
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
#[utoipa::path(
    put, path = "/api/v1/models/{model}/versions/{version}/feature-impact", tag = "feature impact",
    summary = "Import feature impact computed elsewhere (e.g. SHAP), replacing the version's; normalized values are computed here. Published versions accept it too",
    request_body = FeatureImpactImport,
    responses(
        (status = 200, description = "What was stored, normalized and most important first; method is 'imported'.", body = FeatureImpact),
        (status = 403, description = "FORBIDDEN: importing needs an Editor or Owner role."),
        (status = 404, description = says::VERSION_404),
        (status = 422, description = "NO_FEATURE_IMPACTS, TOO_MANY_FEATURES, INVALID_FEATURE_NAME, DUPLICATE_FEATURE, INVALID_IMPACT, INVALID_ROW_COUNT or INVALID_FIELD; 'field' names the entry, e.g. feature_impacts[3].feature_name."),
    )
)]
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
#[utoipa::path(
    post, path = "/api/v1/models/{model}/versions/{version}/feature-impact", tag = "feature impact",
    summary = "Start computing the version's feature impact by permutation importance (Editor or above)",
    description = "Samples row_count rows of the version's training data (seeded), scores the model (RMSE for regression, log loss for classification), shuffles each feature 5 times and records how much worse the score got. Predictions come from the version's ONNX file (the only one, or model.onnx), run here, or from a prediction server speaking the custom-model protocol (GET {prefix}/, POST {prefix}/predict_no_state/) whose host the server allows (MODELYARD_PREDICTION_HOSTS). Follow the job at the Location header.",
    request_body = FeatureImpactRequest,
    responses(
        (status = 202, description = "Queued; poll the job at the Location header.", body = JobStarted,
            headers(("Location" = String, description = "/api/v1/jobs/{id}"))),
        (status = 403, description = "FORBIDDEN: computing needs an Editor or Owner role."),
        (status = 404, description = says::VERSION_404),
        (status = 409, description = "JOB_ALREADY_RUNNING: a computation for this version is queued or running."),
        (status = 422, description = "NO_TRAINING_DATA, INVALID_ROW_COUNT (outside 10..100000), DATASET_TOO_SMALL, UNSUPPORTED_TARGET_TYPE, DATASET_COLUMNS_MISSING (the training data lacks input columns the version's signature names; error_msg lists them), NO_RUNNABLE_MODEL, SEVERAL_MODELS, UNSUPPORTED_OPERATORS (names them), MODEL_CANNOT_RUN, INVALID_PREDICTION_URL, PREDICTION_HOST_NOT_ALLOWED or INVALID_FIELD."),
    )
)]
pub async fn start_feature_impact(
    State(state): State<AppState>,
    caller: Caller,
    Path((model, version)): Path<(String, String)>,
    ApiJson(request): ApiJson<FeatureImpactRequest>,
) -> AppResult<Response> {
    let job_id = feature_impact_runs::start(&state, &caller, &model, &version, &request).await?;
    let location = format!("/api/v1/jobs/{job_id}");
    let mut response = (StatusCode::ACCEPTED, Json(JobStarted { job_id })).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(
        get_feature_impact,
        start_feature_impact,
        import_feature_impact
    ))
}
