//! Durable background jobs. A job is a row in `jobs`; in-process workers claim queued rows one at a
//! time (a single `UPDATE … RETURNING`, so no job is ever claimed twice), keep a heartbeat while
//! they run, and record progress, log lines, the result or the error. A job whose worker died
//! (the process was killed) is claimed again: at start for the embedded single-process setup, and
//! by any worker once its heartbeat is stale. Cancelling a running job asks it to stop at its
//! next checkpoint.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::server::db::{self, Backend};
use crate::server::error::AppError;
use crate::server::metrics::JobDurations;
use serde_json::Value;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::Duration;
use tokio::sync::Notify;

mod context;
mod queue;
mod worker;

pub use context::{JobContext, StopSignal};

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
    /// How long the jobs this process ran took (`GET /metrics`).
    durations: Arc<JobDurations>,
}

pub fn job_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        codes::JOB_NOT_FOUND,
        format!("No job with id '{id}'."),
        "Use the job id from the 202 answer that started it.",
    )
}

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
            durations: Arc::default(),
        }
    }

    /// How long the jobs this process ran took, by kind and outcome.
    pub fn durations(&self) -> Arc<JobDurations> {
        self.durations.clone()
    }

    /// The kinds of job this runner runs, sorted.
    pub fn kind_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.kinds.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::job::{Job, JobState};
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
    async fn finished_jobs_are_timed_by_kind_and_outcome() {
        let dir = tempfile::tempdir().expect("dir");
        let runner = JobRunner::new(pool(&dir).await, vec![Arc::new(Counter)], timings());
        assert_eq!(runner.kind_names(), vec!["count"]);
        runner.spawn_workers(1);
        let ok = runner
            .enqueue("count", None, json!({"steps": 1}), None)
            .await
            .expect("q");
        let failing = runner
            .enqueue("count", None, json!({"fail": true}), None)
            .await
            .expect("q");
        until_finished(&runner, &ok).await;
        until_finished(&runner, &failing).await;
        // Timed before the row says how the job ended.
        let durations = runner.durations();
        assert_eq!(durations.count("count", "succeeded"), 1);
        assert_eq!(durations.count("count", "failed"), 1);
        assert_eq!(durations.count("count", "canceled"), 0);
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
