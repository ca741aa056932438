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
use sqlx::SqlitePool;

/// The subject of a job on one version.
pub fn version_subject(version_id: &str) -> String {
    format!("version:{version_id}")
}

/// Fails unless the caller has at least `min` over the job's model (or started a job that has none).
async fn authorize(
    pool: &SqlitePool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
    min: Role,
) -> AppResult<()> {
    let owner = jobs.owner(id).await?;
    if caller.is_admin {
        return Ok(());
    }
    let started_it = owner.created_by.as_deref() == Some(caller.user_id.as_str());
    let version_id = owner
        .subject
        .as_deref()
        .and_then(|s| s.strip_prefix("version:"));
    let Some(version_id) = version_id else {
        return if started_it {
            Ok(())
        } else {
            Err(job_not_found(id).into())
        };
    };
    let model_id: Option<(String,)> = sqlx::query_as("SELECT model_id FROM versions WHERE id = ?")
        .bind(version_id)
        .fetch_optional(pool)
        .await?;
    let Some((model_id,)) = model_id else {
        // The version is gone; its jobs are of interest to their starter only.
        return if started_it {
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
    pool: &SqlitePool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
) -> AppResult<Job> {
    authorize(pool, jobs, caller, id, Role::Viewer).await?;
    jobs.get(id).await
}

pub async fn job_log(
    pool: &SqlitePool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
) -> AppResult<Vec<JobLogLine>> {
    authorize(pool, jobs, caller, id, Role::Viewer).await?;
    jobs.log_lines(id).await
}

pub async fn cancel_job(
    pool: &SqlitePool,
    jobs: &JobRunner,
    caller: &Caller,
    id: &str,
) -> AppResult<Job> {
    authorize(pool, jobs, caller, id, Role::Editor).await?;
    jobs.cancel(id).await
}
