//! Background jobs: `GET /jobs/{id}` (state, progress, error, result), `DELETE /jobs/{id}`
//! (cancel) and `GET /jobs/{id}/log`.

use crate::domain::job::{Job, JobLogLine};
use crate::domain::paging::Page;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::services::jobs;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};

pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    Ok(Json(
        jobs::get_job(&state.db, &state.jobs, &caller, &id).await?,
    ))
}

/// Cancels a queued job at once and a running one at its next step; answers the job.
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    Ok(Json(
        jobs::cancel_job(&state.db, &state.jobs, &caller, &id).await?,
    ))
}

pub async fn job_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Page<JobLogLine>>> {
    let lines = jobs::job_log(&state.db, &state.jobs, &caller, &id).await?;
    Ok(Json(Page::whole(lines)))
}
