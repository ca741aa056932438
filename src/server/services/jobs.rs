//! Who may see and cancel a job. A job on a version (`version:<id>`) follows its model: anyone
//! who can see the model can follow the job, Editors and above can cancel it. Other jobs belong
//! to whoever started them. Admins may do everything. A job the caller may not see is a 404, as
//! for models.

use crate::domain::job::{Job, JobLogLine};
use crate::domain::model::Role;
use crate::server::auth::Caller;
use crate::server::error::AppResult;
use crate::server::jobs::{JobRunner, job_not_found};
use crate::server::services::models;
use sqlx::AnyPool;

/// How a job on one version names its subject: `version:<id>`.
const VERSION_SUBJECT: &str = "version:";

/// The subject of a job on one version.
pub fn version_subject(version_id: &str) -> String {
    format!("{VERSION_SUBJECT}{version_id}")
}

/// Fails unless the caller has at least `min` over the job's model (or started a job that has none).
async fn authorize(
    pool: &AnyPool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
    min: Role,
) -> AppResult<()> {
    let owner = jobs.owner(id).await?;
    if caller.is_admin {
        return Ok(());
    }
    let version_id = owner
        .subject
        .as_deref()
        .and_then(|s| s.strip_prefix(VERSION_SUBJECT));
    let model_id = match version_id {
        Some(version_id) => {
            sqlx::query_scalar::<_, String>("SELECT model_id FROM versions WHERE id = $1")
                .bind(version_id)
                .fetch_optional(pool)
                .await?
        }
        None => None,
    };
    // A job on no version, or on a deleted one, is of interest to its starter only.
    let Some(model_id) = model_id else {
        return if owner.created_by.as_deref() == Some(caller.user_id.as_str()) {
            Ok(())
        } else {
            Err(job_not_found(id).into())
        };
    };
    let model = models::find_model(pool, Some(caller), &model_id)
        .await
        .map_err(|_| job_not_found(id))?;
    model.require(min, "cancel jobs of this model")
}

pub async fn get_job(
    pool: &AnyPool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
) -> AppResult<Job> {
    authorize(pool, jobs, caller, id, Role::Viewer).await?;
    jobs.get(id).await
}

pub async fn job_log(
    pool: &AnyPool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
) -> AppResult<Vec<JobLogLine>> {
    authorize(pool, jobs, caller, id, Role::Viewer).await?;
    jobs.log_lines(id).await
}

pub async fn cancel_job(
    pool: &AnyPool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
) -> AppResult<Job> {
    authorize(pool, jobs, caller, id, Role::Editor).await?;
    jobs.cancel(id).await
}
