//! Durable background jobs. A job is a row in `jobs`; in-process workers claim queued rows one at a
//! time (a single `UPDATE … RETURNING`, so no job is ever claimed twice), keep a heartbeat while
//! they run, and record progress, log lines, the result or the error. A job whose worker died
//! (the process was killed) is claimed again: at start for the embedded single-process setup, and
//! by any worker once its heartbeat is stale. Cancelling a running job asks it to stop at its
//! next checkpoint.

use crate::domain::error::ApiError;
use crate::domain::job::{Job, JobLogLine, JobState};
use crate::server::db::{self, Backend};
use crate::server::error::{AppError, AppResult};
use serde_json::Value;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// A job that was claimed this many times without finishing is given up.
pub const MAX_ATTEMPTS: i64 = 3;

/// Why a job did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub enum JobError {
    /// The job cannot be done; the message is for people.
    Failed(String),
    /// Someone canceled it.
    Canceled,
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        let api = e.into_api_error();
        JobError::Failed(format!("{} {}", api.error_msg, api.solution_msg))
    }
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!("database error in a job: {e}");
        JobError::Failed("The database could not be reached; the job stopped.".to_owned())
    }
}

pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, JobError>> + Send + 'a>>;

/// One kind of work (`feature_impact`, …).
pub trait JobKind: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn run<'a>(&'a self, ctx: &'a JobContext) -> JobFuture<'a>;
}

/// What a running job sees of itself.
pub struct JobContext {
    pool: AnyPool,
    pub id: String,
    pub params: Value,
    pub subject: Option<String>,
    cancel: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
}

/// Tells work running outside the job's async task (`spawn_blocking`) when to stop: the job was
/// canceled or the server is stopping.
#[derive(Clone, Debug)]
pub struct StopSignal {
    cancel: Arc<AtomicBool>,
    stopping: Arc<AtomicBool>,
}

impl StopSignal {
    pub fn is_set(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.stopping.load(Ordering::Relaxed)
    }
}

impl JobContext {
    /// Whether someone asked the job to stop, or the server is stopping.
    pub fn is_canceled(&self) -> bool {
        self.stop_signal().is_set()
    }

    /// When to stop, for work running outside the async task (`spawn_blocking`).
    pub fn stop_signal(&self) -> StopSignal {
        StopSignal {
            cancel: Arc::clone(&self.cancel),
            stopping: Arc::clone(&self.stopping),
        }
    }

    /// Stops the job here if it was canceled.
    pub fn checkpoint(&self) -> Result<(), JobError> {
        if self.is_canceled() {
            Err(JobError::Canceled)
        } else {
            Ok(())
        }
    }

    /// Records how far the job got (0 to 1), and stops it if it was canceled.
    pub async fn progress(&self, fraction: f64) -> Result<(), JobError> {
        sqlx::query("UPDATE jobs SET progress = $1 WHERE id = $2")
            .bind(fraction.clamp(0.0, 1.0))
            .bind(&self.id)
            .execute(&self.pool)
            .await?;
        self.checkpoint()
    }

    /// Adds a line to the job's log.
    pub async fn log(&self, message: impl Into<String>) -> Result<(), JobError> {
        sqlx::query("INSERT INTO job_log (job_id, at, message) VALUES ($1, $2, $3)")
            .bind(&self.id)
            .bind(db::now())
            .bind(message.into())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Timings of the runner; shorter in tests.
#[derive(Clone, Copy, Debug)]
pub struct JobTimings {
    /// How often a running job's heartbeat is written (and cancellation is looked for).
    pub heartbeat: Duration,
    /// A running job whose heartbeat is older than this is taken over.
    pub stale_after: Duration,
    /// How often idle workers look for work queued by another instance.
    pub idle_poll: Duration,
}

impl Default for JobTimings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(2),
            stale_after: Duration::from_secs(30),
            idle_poll: Duration::from_secs(1),
        }
    }
}

/// What a job works on (`version:<id>`) and the id of the user who started it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobOwner {
    pub subject: Option<String>,
    pub created_by: Option<String>,
}

/// Enqueues jobs and runs them. Cheap to clone.
#[derive(Clone)]
pub struct JobRunner {
    pool: AnyPool,
    kinds: Arc<HashMap<&'static str, Arc<dyn JobKind>>>,
    instance: Arc<str>,
    backend: Backend,
    wake: Arc<Notify>,
    timings: JobTimings,
    /// Set when the server stops: workers take no more jobs, running ones are asked to stop
    /// and go back to the queue for the next start.
    stopping: Arc<AtomicBool>,
    /// Jobs this process is running now.
    running: Arc<AtomicUsize>,
    /// The cancel flags of the jobs this process runs, by job id: a cancel reaching this
    /// instance stops its job at the next checkpoint without waiting for a heartbeat.
    cancel_flags: Arc<std::sync::Mutex<HashMap<String, Arc<AtomicBool>>>>,
}

pub fn job_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "JOB_NOT_FOUND",
        format!("No job with id '{id}'."),
        "Use the job id from the 202 answer that started it.",
    )
}

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
    pub fn new(pool: AnyPool, kinds: Vec<Arc<dyn JobKind>>, timings: JobTimings) -> Self {
        Self {
            backend: Backend::of(&pool),
            pool,
            kinds: Arc::new(kinds.into_iter().map(|k| (k.name(), k)).collect()),
            instance: db::new_id().into(),
            wake: Arc::new(Notify::new()),
            timings,
            stopping: Arc::new(AtomicBool::new(false)),
            running: Arc::new(AtomicUsize::new(0)),
            cancel_flags: Arc::default(),
        }
    }

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
                "JOB_ALREADY_RUNNING",
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
                    "JOB_FINISHED",
                    format!("The job is already {}.", state.as_str()),
                    "Only queued or running jobs can be canceled.",
                )
                .into());
            }
        }
        tx.commit().await?;
        self.get(id).await
    }

    /// For the embedded single-process setup: jobs left running by a previous process are queued
    /// again at start. On PostgreSQL, where other instances may be running their jobs right now,
    /// nothing is done here: a job whose instance died is taken over once its heartbeat is stale.
    pub async fn requeue_abandoned(&self) -> AppResult<u64> {
        if self.backend == Backend::Postgres {
            return Ok(0);
        }
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', claimed_by = NULL, heartbeat_at = NULL
             WHERE state = 'running'",
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() > 0 {
            tracing::info!("{} interrupted job(s) queued again", done.rows_affected());
        }
        Ok(done.rows_affected())
    }

    /// Starts `count` workers.
    pub fn spawn_workers(&self, count: usize) {
        for _ in 0..count {
            let runner = self.clone();
            tokio::spawn(async move { runner.work().await });
        }
    }

    /// Stops taking jobs and asks running ones to stop; they are queued again for the next
    /// start (an orderly stop does not count as an attempt). Waits up to `wait` and answers
    /// whether every job stopped.
    pub async fn shutdown(&self, wait: Duration) -> bool {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
        let deadline = tokio::time::Instant::now() + wait;
        while self.running.load(Ordering::SeqCst) > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    async fn work(self) {
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            match self.claim().await {
                Ok(Some(claimed)) => self.run(claimed).await,
                Ok(None) => {
                    let _ =
                        tokio::time::timeout(self.timings.idle_poll, self.wake.notified()).await;
                }
                Err(e) => {
                    tracing::error!("claiming a job: {e:?}");
                    tokio::time::sleep(self.timings.idle_poll).await;
                }
            }
        }
    }

    fn stale_cutoff(&self) -> String {
        let stale = chrono::Duration::from_std(self.timings.stale_after)
            .unwrap_or_else(|_| chrono::Duration::seconds(30));
        db::timestamp(chrono::Utc::now() - stale)
    }

    /// Takes the oldest queued job (or a running one whose worker stopped beating).
    async fn claim(&self) -> AppResult<Option<Claimed>> {
        let now = db::now();
        let cutoff = self.stale_cutoff();
        // Abandoned jobs that were canceled, or tried too often, end here.
        sqlx::query(
            "UPDATE jobs SET state = 'canceled', finished_at = $1
             WHERE state = 'running' AND heartbeat_at < $2 AND cancel_requested = 1",
        )
        .bind(&now)
        .bind(&cutoff)
        .execute(&self.pool)
        .await?;
        sqlx::query(
            "UPDATE jobs SET state = 'failed', finished_at = $1,
                error = 'The job was interrupted ' || attempts || ' times and was given up.'
             WHERE attempts >= $2 AND (state = 'queued' OR (state = 'running' AND heartbeat_at < $3))",
        )
        .bind(&now)
        .bind(MAX_ATTEMPTS)
        .bind(&cutoff)
        .execute(&self.pool)
        .await?;
        // The outer condition is checked again against the row as it is when the update locks it,
        // and on PostgreSQL a job another instance is claiming right now is skipped, not waited
        // for: however many instances look at once, each job goes to one of them.
        let claimed: Option<(String, String, String, Option<String>)> = sqlx::query_as(&format!(
            "UPDATE jobs SET state = 'running', claimed_by = $1, heartbeat_at = $2,
                started_at = COALESCE(started_at, $3), attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs WHERE {CLAIMABLE}
                         ORDER BY created_at, id LIMIT 1{skip_locked})
               AND {CLAIMABLE}
             RETURNING id, kind, params, subject",
            skip_locked = match self.backend {
                Backend::Postgres => " FOR UPDATE SKIP LOCKED",
                Backend::Sqlite => "",
            }
        ))
        .bind(&*self.instance)
        .bind(&now)
        .bind(&now)
        .bind(&cutoff)
        .fetch_optional(&self.pool)
        .await?;
        Ok(claimed.map(|(id, kind, params, subject)| Claimed {
            id,
            kind,
            params: serde_json::from_str(&params).unwrap_or(Value::Null),
            subject,
        }))
    }

    async fn run(&self, claimed: Claimed) {
        tracing::info!(job = %claimed.id, kind = %claimed.kind, instance = %self.instance, "job started");
        self.running.fetch_add(1, Ordering::SeqCst);
        let cancel = Arc::new(AtomicBool::new(false));
        if let Ok(mut flags) = self.cancel_flags.lock() {
            flags.insert(claimed.id.clone(), cancel.clone());
        }
        let heartbeat = tokio::spawn(beat(
            self.pool.clone(),
            claimed.id.clone(),
            self.instance.clone(),
            cancel.clone(),
            self.timings.heartbeat,
        ));
        let outcome = match self.kinds.get(claimed.kind.as_str()).cloned() {
            None => Err(JobError::Failed(format!(
                "This server does not know how to run '{}' jobs.",
                claimed.kind
            ))),
            Some(kind) => {
                let ctx = JobContext {
                    pool: self.pool.clone(),
                    id: claimed.id.clone(),
                    params: claimed.params,
                    subject: claimed.subject,
                    cancel,
                    stopping: self.stopping.clone(),
                };
                // A panicking job fails; the worker lives on.
                match tokio::spawn(async move { kind.run(&ctx).await }).await {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        tracing::error!("job {} crashed: {e}", claimed.id);
                        Err(JobError::Failed(
                            "The job crashed; the server log has the details.".to_owned(),
                        ))
                    }
                }
            }
        };
        heartbeat.abort();
        if let Ok(mut flags) = self.cancel_flags.lock() {
            flags.remove(&claimed.id);
        }
        let recorded = if self.stopping.load(Ordering::SeqCst) && outcome == Err(JobError::Canceled)
        {
            self.release(&claimed.id).await
        } else {
            self.finish(&claimed.id, outcome).await
        };
        if let Err(e) = recorded {
            tracing::error!("recording the end of job {}: {e:?}", claimed.id);
        }
        self.running.fetch_sub(1, Ordering::SeqCst);
    }

    /// Puts a job stopped by a server shutdown back in the queue (unless someone canceled it).
    async fn release(&self, id: &str) -> AppResult<()> {
        sqlx::query(
            "UPDATE jobs SET
                state = CASE WHEN cancel_requested = 1 THEN 'canceled' ELSE 'queued' END,
                finished_at = CASE WHEN cancel_requested = 1 THEN $1 ELSE NULL END,
                attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                claimed_by = NULL, heartbeat_at = NULL
             WHERE id = $2 AND claimed_by = $3 AND state = 'running'",
        )
        .bind(db::now())
        .bind(id)
        .bind(&*self.instance)
        .execute(&self.pool)
        .await?;
        tracing::info!("job {id} stopped with the server; it runs again at the next start");
        Ok(())
    }

    async fn finish(&self, id: &str, outcome: Result<Value, JobError>) -> AppResult<()> {
        let (state, result, error) = match outcome {
            Ok(result) => ("succeeded", Some(result.to_string()), None),
            Err(JobError::Canceled) => ("canceled", None, None),
            Err(JobError::Failed(message)) => ("failed", None, Some(message)),
        };
        // Only the worker that holds the job records its end (another may have taken it over).
        sqlx::query(
            "UPDATE jobs SET state = $1, result = $2, error = $3, finished_at = $4,
                progress = CASE WHEN $5 = 'succeeded' THEN 1 ELSE progress END
             WHERE id = $6 AND claimed_by = $7 AND state = 'running'",
        )
        .bind(state)
        .bind(result)
        .bind(error)
        .bind(db::now())
        .bind(state)
        .bind(id)
        .bind(&*self.instance)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

struct Claimed {
    id: String,
    kind: String,
    params: Value,
    subject: Option<String>,
}

/// A job a worker may take (`$4` is the stale-heartbeat cutoff): queued, or running on an
/// instance that stopped beating, and not canceled.
const CLAIMABLE: &str = "cancel_requested = 0
    AND (state = 'queued' OR (state = 'running' AND heartbeat_at < $4))";

/// Keeps a running job's heartbeat fresh and notices when it is canceled.
async fn beat(
    pool: AnyPool,
    id: String,
    instance: Arc<str>,
    cancel: Arc<AtomicBool>,
    every: Duration,
) {
    loop {
        let row: Result<Option<(db::Flag,)>, _> = sqlx::query_as(
            "UPDATE jobs SET heartbeat_at = $1 WHERE id = $2 AND claimed_by = $3
             RETURNING cancel_requested",
        )
        .bind(db::now())
        .bind(&id)
        .bind(&*instance)
        .fetch_optional(&pool)
        .await;
        match row {
            Ok(Some((db::Flag(true),))) | Ok(None) => cancel.store(true, Ordering::Relaxed),
            Ok(Some((db::Flag(false),))) => {}
            Err(e) => tracing::warn!("job {id} heartbeat: {e}"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Counts to `params.steps`, one step per 20 ms, reporting progress; fails on request.
    struct Counter;

    impl JobKind for Counter {
        fn name(&self) -> &'static str {
            "count"
        }
        fn run<'a>(&'a self, ctx: &'a JobContext) -> JobFuture<'a> {
            Box::pin(async move {
                let steps = ctx.params["steps"].as_u64().unwrap_or(1);
                if ctx.params["fail"].as_bool() == Some(true) {
                    return Err(JobError::Failed("asked to fail".into()));
                }
                if ctx.params["panic"].as_bool() == Some(true) {
                    panic!("asked to panic");
                }
                for i in 0..steps {
                    ctx.log(format!("step {i}")).await?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    ctx.progress((i + 1) as f64 / steps as f64).await?;
                }
                Ok(json!({"counted": steps}))
            })
        }
    }

    fn timings() -> JobTimings {
        JobTimings {
            heartbeat: Duration::from_millis(20),
            stale_after: Duration::from_millis(300),
            idle_poll: Duration::from_millis(20),
        }
    }

    async fn pool(dir: &tempfile::TempDir) -> AnyPool {
        let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
        db::connect(&url).await.expect("database")
    }

    async fn until_finished(runner: &JobRunner, id: &str) -> Job {
        for _ in 0..500 {
            let job = runner.get(id).await.expect("job");
            if job.state.is_finished() {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("job {id} did not finish");
    }

    #[tokio::test]
    async fn a_job_runs_to_the_end_with_progress_and_a_log() {
        let dir = tempfile::tempdir().expect("dir");
        let runner = JobRunner::new(pool(&dir).await, vec![Arc::new(Counter)], timings());
        runner.spawn_workers(2);
        let id = runner
            .enqueue("count", Some("v1"), json!({"steps": 3}), None)
            .await
            .expect("enqueue");
        let job = until_finished(&runner, &id).await;
        assert_eq!(job.state, JobState::Succeeded);
        assert_eq!(job.progress, 1.0);
        assert_eq!(job.result, Some(json!({"counted": 3})));
        assert_eq!(job.attempts, 1);
        let log: Vec<String> = runner
            .log_lines(&id)
            .await
            .expect("log")
            .into_iter()
            .map(|l| l.message)
            .collect();
        assert_eq!(log, vec!["step 0", "step 1", "step 2"]);
        assert_eq!(
            runner
                .cancel(&id)
                .await
                .expect_err("finished")
                .into_api_error()
                .status,
            409
        );
    }

    #[tokio::test]
    async fn a_stopping_server_queues_its_running_job_again() {
        let dir = tempfile::tempdir().expect("dir");
        let pool = pool(&dir).await;
        let runner = JobRunner::new(pool.clone(), vec![Arc::new(Counter)], timings());
        runner.spawn_workers(1);
        let id = runner
            .enqueue("count", Some("v1"), json!({"steps": 100}), None)
            .await
            .expect("enqueue");
        for _ in 0..200 {
            if runner.get(&id).await.expect("job").progress > 0.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            runner.shutdown(Duration::from_secs(5)).await,
            "stopped in time"
        );
        let job = runner.get(&id).await.expect("job");
        assert_eq!(job.state, JobState::Queued);
        assert_eq!(job.attempts, 0, "an orderly stop is not an attempt");
        // The next process finishes it.
        let next = JobRunner::new(pool, vec![Arc::new(Counter)], timings());
        next.spawn_workers(1);
        let job = until_finished(&next, &id).await;
        assert_eq!((job.state, job.attempts), (JobState::Succeeded, 1));
    }

    #[tokio::test]
    async fn one_job_per_subject_at_a_time() {
        let dir = tempfile::tempdir().expect("dir");
        let runner = JobRunner::new(pool(&dir).await, vec![Arc::new(Counter)], timings());
        let first = runner
            .enqueue("count", Some("v1"), json!({"steps": 2}), None)
            .await
            .expect("first");
        let second = runner.enqueue("count", Some("v1"), json!({}), None).await;
        assert_eq!(second.expect_err("busy").into_api_error().status, 409);
        // Other subjects are free.
        runner
            .enqueue("count", Some("v2"), json!({}), None)
            .await
            .expect("other subject");
        runner.spawn_workers(1);
        until_finished(&runner, &first).await;
        runner
            .enqueue("count", Some("v1"), json!({}), None)
            .await
            .expect("free again");
    }

    #[tokio::test]
    async fn failures_panics_and_unknown_kinds_fail_the_job_not_the_worker() {
        let dir = tempfile::tempdir().expect("dir");
        let runner = JobRunner::new(pool(&dir).await, vec![Arc::new(Counter)], timings());
        runner.spawn_workers(1);
        let failing = runner
            .enqueue("count", None, json!({"fail": true}), None)
            .await
            .expect("q");
        let panicking = runner
            .enqueue("count", None, json!({"panic": true}), None)
            .await
            .expect("q");
        let unknown = runner
            .enqueue("mystery", None, json!({}), None)
            .await
            .expect("q");
        let fine = runner
            .enqueue("count", None, json!({"steps": 1}), None)
            .await
            .expect("q");
        let job = until_finished(&runner, &failing).await;
        assert_eq!(
            (job.state, job.error.as_deref()),
            (JobState::Failed, Some("asked to fail"))
        );
        let job = until_finished(&runner, &panicking).await;
        assert_eq!(job.state, JobState::Failed);
        assert!(job.error.unwrap_or_default().contains("crashed"));
        let job = until_finished(&runner, &unknown).await;
        assert!(job.error.unwrap_or_default().contains("'mystery'"));
        assert_eq!(
            until_finished(&runner, &fine).await.state,
            JobState::Succeeded
        );
    }

    #[tokio::test]
    async fn canceling_stops_queued_and_running_jobs() {
        let dir = tempfile::tempdir().expect("dir");
        let runner = JobRunner::new(pool(&dir).await, vec![Arc::new(Counter)], timings());
        let queued = runner
            .enqueue("count", None, json!({"steps": 1}), None)
            .await
            .expect("q");
        assert_eq!(
            runner.cancel(&queued).await.expect("cancel").state,
            JobState::Canceled
        );
        runner.spawn_workers(1);
        let running = runner
            .enqueue("count", None, json!({"steps": 1000}), None)
            .await
            .expect("q");
        while runner.get(&running).await.expect("job").progress == 0.0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        runner.cancel(&running).await.expect("cancel");
        let job = until_finished(&runner, &running).await;
        assert_eq!(job.state, JobState::Canceled);
        assert!(job.progress < 1.0);
        // The canceled queued job never ran.
        assert!(runner.log_lines(&queued).await.expect("log").is_empty());
    }

    #[tokio::test]
    async fn a_job_whose_worker_died_is_taken_over_and_completes() {
        let dir = tempfile::tempdir().expect("dir");
        let db = pool(&dir).await;
        // A worker from another instance claimed it and stopped beating.
        let dead = JobRunner::new(db.clone(), vec![Arc::new(Counter)], timings());
        let id = dead
            .enqueue("count", None, json!({"steps": 2}), None)
            .await
            .expect("q");
        assert!(dead.claim().await.expect("claim").is_some());
        let alive = JobRunner::new(db.clone(), vec![Arc::new(Counter)], timings());
        assert!(
            alive.claim().await.expect("claim").is_none(),
            "fresh heartbeat: not yet"
        );
        alive.spawn_workers(1);
        let job = until_finished(&alive, &id).await;
        assert_eq!(job.state, JobState::Succeeded);
        assert_eq!(job.attempts, 2);
        // The dead worker cannot overwrite the outcome any more.
        dead.finish(&id, Err(JobError::Failed("late".into())))
            .await
            .expect("finish");
        assert_eq!(
            alive.get(&id).await.expect("job").state,
            JobState::Succeeded
        );
    }

    #[tokio::test]
    async fn jobs_left_running_at_start_are_queued_again_and_given_up_after_three_tries() {
        let dir = tempfile::tempdir().expect("dir");
        let db = pool(&dir).await;
        let runner = JobRunner::new(db.clone(), vec![Arc::new(Counter)], timings());
        let id = runner
            .enqueue("count", None, json!({"steps": 1}), None)
            .await
            .expect("q");
        for _ in 0..MAX_ATTEMPTS {
            runner.requeue_abandoned().await.expect("requeue");
            assert!(runner.claim().await.expect("claim").is_some());
        }
        runner.requeue_abandoned().await.expect("requeue");
        assert!(runner.claim().await.expect("claim").is_none());
        let job = runner.get(&id).await.expect("job");
        assert_eq!(job.state, JobState::Failed);
        assert!(job.error.unwrap_or_default().contains("3 times"));
    }
}
