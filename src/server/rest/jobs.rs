//! Background jobs: `GET /jobs/{id}` (state, progress, error, result), `DELETE /jobs/{id}`
//! (cancel) and `GET /jobs/{id}/log`.

use crate::domain::job::{Job, JobLogLine};
use crate::domain::paging::Page;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::rest::openapi::says;
use crate::server::services::jobs;
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(
    get, path = "/api/v1/jobs/{id}", tag = "jobs",
    summary = "A job's state, progress (0 to 1), error and result",
    params(("id" = String, Path, description = "The job id from the 202 answer that started it.")),
    responses(
        (status = 200, description = "The job.", body = Job),
        (status = 404, description = says::JOB_404),
    )
)]
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
#[utoipa::path(
    delete, path = "/api/v1/jobs/{id}", tag = "jobs",
    summary = "Cancel a job: a queued one at once, a running one at its next step (Editor or above, or whoever started it)",
    params(("id" = String, Path, description = "The job id from the 202 answer that started it.")),
    responses(
        (status = 200, description = "The job, canceled or asked to stop.", body = Job),
        (status = 403, description = "FORBIDDEN: Viewers may follow jobs but not cancel them."),
        (status = 404, description = says::JOB_404),
        (status = 409, description = "JOB_FINISHED: the job already succeeded, failed or was canceled."),
    )
)]
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Job>> {
    Ok(Json(
        jobs::cancel_job(&state.db, &state.jobs, &caller, &id).await?,
    ))
}

#[utoipa::path(
    get, path = "/api/v1/jobs/{id}/log", tag = "jobs",
    summary = "A job's log lines, oldest first",
    params(("id" = String, Path, description = "The job id from the 202 answer that started it.")),
    responses(
        (status = 200, description = "Log lines.", body = Page<JobLogLine>),
        (status = 404, description = says::JOB_404),
    )
)]
pub async fn job_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Page<JobLogLine>>> {
    let lines = jobs::job_log(&state.db, &state.jobs, &caller, &id).await?;
    Ok(Json(Page::whole(lines)))
}

/// This module's route rows.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_job, cancel_job))
        .routes(routes!(job_log))
}
