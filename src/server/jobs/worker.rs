//! The workers: claiming queued (or abandoned) jobs, running them with a heartbeat, and
//! recording how they ended; requeueing at start and stopping with the server.

use super::{JobContext, JobError, JobRunner, MAX_ATTEMPTS};
use crate::server::db::{self, Backend};
use crate::server::error::AppResult;
use serde_json::Value;
use sqlx::AnyPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

impl JobRunner {
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
    pub(super) async fn claim(&self) -> AppResult<Option<Claimed>> {
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
        let started = std::time::Instant::now();
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
        let kind_name = self.kinds.get(claimed.kind.as_str()).map(|k| k.name());
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
        let stopped = self.stopping.load(Ordering::SeqCst) && outcome == Err(JobError::Canceled);
        // Kinds this server does not run are left out: their names come from rows, not code.
        if let Some(kind) = kind_name {
            let ended = match &outcome {
                _ if stopped => "stopped",
                Ok(_) => "succeeded",
                Err(JobError::Canceled) => "canceled",
                Err(JobError::Failed(_)) => "failed",
            };
            self.durations.record(kind, ended, started.elapsed());
        }
        let recorded = if stopped {
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

    pub(super) async fn finish(&self, id: &str, outcome: Result<Value, JobError>) -> AppResult<()> {
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

pub(super) struct Claimed {
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
