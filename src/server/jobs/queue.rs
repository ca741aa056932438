//! The queue as clients see it: enqueueing a job (one at a time per subject), looking jobs and
//! their logs up, and cancelling.

use super::{JobOwner, JobRunner, job_not_found};
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::job::{Job, JobLogLine, JobState};
use crate::server::db;
use crate::server::error::AppResult;
use serde_json::Value;
use std::sync::atomic::Ordering;

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    kind: String,
    state: String,
    progress: f64,
    error: Option<String>,
    result: Option<String>,
    attempts: i64,
    created_at: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    cancel_requested: db::Flag,
}

impl JobRow {
    fn into_job(self) -> Job {
        Job {
            id: self.id,
            kind: self.kind,
            state: match JobState::parse(&self.state).unwrap_or(JobState::Failed) {
                // Clients see at once that the job is stopping, before it reaches a checkpoint.
                JobState::Running if self.cancel_requested.0 => JobState::Canceling,
                state => state,
            },
            progress: self.progress,
            error: self.error,
            result: self.result.and_then(|r| serde_json::from_str(&r).ok()),
            attempts: self.attempts,
            created_at: db::parse_time(&self.created_at),
            started_at: self.started_at.as_deref().map(db::parse_time),
            finished_at: self.finished_at.as_deref().map(db::parse_time),
        }
    }
}

const JOB_COLUMNS: &str = "id, kind, state, progress, error, result, attempts, created_at, started_at, finished_at, cancel_requested";

impl JobRunner {
    /// Queues a job. With a `subject`, refuses (409) while another job of the same kind on the
    /// same subject is queued or running.
    pub async fn enqueue(
        &self,
        kind: &str,
        subject: Option<&str>,
        params: Value,
        created_by: Option<&str>,
    ) -> AppResult<String> {
        let id = db::new_id();
        let inserted = sqlx::query(
            "INSERT INTO jobs (id, kind, subject, params, created_by, created_at)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE $7 IS NULL OR NOT EXISTS (SELECT 1 FROM jobs WHERE subject = $8 AND kind = $9
                                            AND state IN ('queued', 'running'))",
        )
        .bind(&id)
        .bind(kind)
        .bind(subject)
        .bind(params.to_string())
        .bind(created_by)
        .bind(db::now())
        .bind(subject)
        .bind(subject)
        .bind(kind)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(ApiError::new(
                409,
                codes::JOB_ALREADY_RUNNING,
                "The same work is already queued or running.",
                "Wait for it to finish (or cancel it with DELETE /api/v1/jobs/{id}), then try again.",
            )
            .into());
        }
        self.wake.notify_one();
        Ok(id)
    }

    /// The job queued or running for a subject, if any.
    pub async fn active_for(&self, kind: &str, subject: &str) -> AppResult<Option<Job>> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE subject = $1 AND kind = $2
             AND state IN ('queued', 'running') ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(subject)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(JobRow::into_job))
    }

    /// The newest job of a kind on a subject, whatever its state.
    pub async fn latest_for(&self, kind: &str, subject: &str) -> AppResult<Option<Job>> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE subject = $1 AND kind = $2
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))
        .bind(subject)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(JobRow::into_job))
    }

    /// What a job works on and who started it (for access checks).
    pub async fn owner(&self, id: &str) -> AppResult<JobOwner> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT subject, created_by FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(subject, created_by)| JobOwner {
            subject,
            created_by,
        })
        .ok_or_else(|| job_not_found(id).into())
    }

    pub async fn get(&self, id: &str) -> AppResult<Job> {
        let row: Option<JobRow> =
            sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(JobRow::into_job)
            .ok_or_else(|| job_not_found(id).into())
    }

    pub async fn log_lines(&self, id: &str) -> AppResult<Vec<JobLogLine>> {
        self.get(id).await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT at, message FROM job_log WHERE job_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(at, message)| JobLogLine {
                at: db::parse_time(&at),
                message,
            })
            .collect())
    }

    /// Cancels a job: a queued one at once, a running one at its next checkpoint. A finished job
    /// cannot be canceled (409).
    pub async fn cancel(&self, id: &str) -> AppResult<Job> {
        let now = db::now();
        let mut tx = db::begin_write(&self.pool).await?;
        let job = {
            let row: Option<JobRow> =
                sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            row.map(JobRow::into_job).ok_or_else(|| job_not_found(id))?
        };
        match job.state {
            JobState::Queued => {
                sqlx::query(
                    "UPDATE jobs SET state = 'canceled', cancel_requested = 1, finished_at = $1 WHERE id = $2",
                )
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            JobState::Running => {
                sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if let Ok(flags) = self.cancel_flags.lock()
                    && let Some(flag) = flags.get(id)
                {
                    flag.store(true, Ordering::Relaxed);
                }
            }
            // Asked already: asking again changes nothing.
            JobState::Canceling => {}
            state => {
                return Err(ApiError::new(
                    409,
                    codes::JOB_FINISHED,
                    format!("The job is already {}.", state.as_str()),
                    "Only queued or running jobs can be canceled.",
                )
                .into());
            }
        }
        tx.commit().await?;
        self.get(id).await
    }
}
