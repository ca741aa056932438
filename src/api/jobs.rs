//! Following background jobs from a page: state and progress, the log, and cancelling.

use crate::domain::error::ApiError;
use crate::domain::job::{Job, JobLogLine};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{fail, require_caller, state};

#[server(prefix = "/fn", endpoint = "get_job")]
pub async fn get_job(id: String) -> Result<Job, ApiError> {
    let caller = require_caller().await?;
    let state = state();
    crate::server::services::jobs::get_job(&state.db, &state.jobs, &caller, &id)
        .await
        .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "get_job_log")]
pub async fn get_job_log(id: String) -> Result<Vec<JobLogLine>, ApiError> {
    let caller = require_caller().await?;
    let state = state();
    crate::server::services::jobs::job_log(&state.db, &state.jobs, &caller, &id)
        .await
        .map_err(fail)
}

#[server(prefix = "/fn", endpoint = "cancel_job")]
pub async fn cancel_job(id: String) -> Result<Job, ApiError> {
    let caller = require_caller().await?;
    let state = state();
    crate::server::services::jobs::cancel_job(&state.db, &state.jobs, &caller, &id)
        .await
        .map_err(fail)
}
