//! Feature impact for the pages: a version's result, if it has one.

use crate::domain::error::ApiError;
#[cfg(feature = "ssr")]
use crate::domain::error::codes;
use crate::domain::feature_impact::FeatureImpact;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{caller, fail, state};

/// `None` while the version has no feature impact; errors when the model or version cannot be
/// read by the caller.
#[server(prefix = "/fn", endpoint = "get_feature_impact")]
pub async fn get_feature_impact(
    model: String,
    version: String,
) -> Result<Option<FeatureImpact>, ApiError> {
    let caller = caller().await?;
    crate::server::services::feature_impact::find(&state().db, caller.as_ref(), &model, &version)
        .await
        .map_err(fail)
}

/// The newest feature-impact job of a version, with its log, for the panel that follows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImpactJobView {
    pub job: crate::domain::job::Job,
    pub log: Vec<crate::domain::job::JobLogLine>,
    /// When the server looked (milliseconds since the epoch): it makes each rendering's Refresh
    /// link an address of its own, since following a link to the page's own address and anchor
    /// only scrolls.
    pub looked_at_ms: i64,
}

#[server(prefix = "/fn", endpoint = "get_feature_impact_job")]
pub async fn get_feature_impact_job(
    model: String,
    version: String,
) -> Result<Option<ImpactJobView>, ApiError> {
    use crate::server::services::{feature_impact_runs, jobs};
    // Visitors who are not signed in (public models) see results, not jobs.
    let Some(caller) = caller().await? else {
        return Ok(None);
    };
    let state = state();
    let Some(job) = feature_impact_runs::latest_job(&state, Some(&caller), &model, &version)
        .await
        .map_err(fail)?
    else {
        return Ok(None);
    };
    let log = jobs::job_log(&state.db, &state.jobs, &caller, &job.id)
        .await
        .map_err(fail)?;
    Ok(Some(ImpactJobView {
        job,
        log,
        looked_at_ms: chrono::Utc::now().timestamp_millis(),
    }))
}

/// Starts computing feature impact, from the panel's form: `row_count` empty means the default,
/// `prediction_url` empty means the version's ONNX file. Answers the job's id.
#[server(prefix = "/fn", endpoint = "start_feature_impact")]
pub async fn start_feature_impact(
    model: String,
    version: String,
    row_count: String,
    prediction_url: String,
) -> Result<String, ApiError> {
    use crate::domain::feature_impact::FeatureImpactRequest;
    let caller = super::context::require_caller().await?;
    let row_count = match row_count.trim() {
        "" => None,
        text => Some(text.parse::<u64>().map_err(|_| {
            fail(ApiError::invalid(
                "row_count",
                codes::INVALID_ROW_COUNT,
                format!("'{text}' is not a whole number of rows."),
                "Leave it empty for the default, or give a number such as 1000.",
            ))
        })?),
    };
    let prediction_url = Some(prediction_url.trim().to_owned()).filter(|u| !u.is_empty());
    let request = FeatureImpactRequest {
        row_count,
        prediction_url,
        seed: None,
    };
    crate::server::services::feature_impact_runs::start(
        &state(),
        &caller,
        &model,
        &version,
        &request,
    )
    .await
    .map_err(fail)
}
