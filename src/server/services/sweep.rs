//! Housekeeping that keeps storage honest: versions left `pending` by a process that died are
//! marked `failed`, and blobs neither a version's file nor a dataset refers to any more (deleted
//! versions and datasets, abandoned uploads) are removed once they are older than the grace
//! period.

use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::versions::fail_stale_pending;
use crate::server::state::AppState;
use crate::server::storage::{BlobStore, SWEEP_GRACE, StoredBlob};
use sqlx::AnyPool;
use std::time::Duration;

/// How often the sweep runs while the server is up.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub failed_versions: u64,
    pub removed_blobs: usize,
    pub removed_temp_files: usize,
}

/// One pass. `grace` protects uploads in flight: nothing younger is touched.
pub async fn sweep(pool: &AnyPool, blobs: &BlobStore, grace: Duration) -> AppResult<SweepReport> {
    let mut report = SweepReport::default();
    let cutoff = chrono::Utc::now()
        - chrono::Duration::from_std(grace).unwrap_or_else(|_| chrono::Duration::hours(1));
    report.failed_versions = fail_stale_pending(pool, &db::timestamp(cutoff)).await?;
    let io = |e: std::io::Error| crate::server::error::AppError::Internal(format!("sweep: {e}"));
    report.removed_temp_files = blobs.clear_temp(grace).await.map_err(io)?;
    for sha256 in blobs.old_blobs(grace).await.map_err(io)? {
        if is_referenced(pool, &sha256).await? {
            continue;
        }
        if blobs.remove_if_old(&sha256, grace).await.map_err(io)? {
            sqlx::query(
                "DELETE FROM blobs WHERE sha256 = $1
                    AND NOT EXISTS (SELECT 1 FROM version_files WHERE sha256 = $2)
                    AND NOT EXISTS (SELECT 1 FROM datasets WHERE sha256 = $3)",
            )
            .bind(&sha256)
            .bind(&sha256)
            .bind(&sha256)
            .execute(pool)
            .await?;
            report.removed_blobs += 1;
        }
    }
    Ok(report)
}

/// Removes the bytes of refused uploads at once rather than at the next sweep: those that the
/// refused upload itself stored, that no version file or dataset refers to, and that no other
/// upload has used since. Failing is only logged; the sweep remains the safety net.
pub async fn discard_refused(pool: &AnyPool, blobs: &BlobStore, refused: &[StoredBlob]) {
    for blob in refused {
        match is_referenced(pool, &blob.sha256).await {
            Ok(false) => {
                if let Err(e) = blobs.discard(blob).await {
                    tracing::warn!(error = %e, sha256 = blob.sha256, "cannot remove a refused upload");
                }
            }
            Ok(true) => {}
            Err(e) => tracing::warn!(error = %e, "cannot check a refused upload's references"),
        }
    }
}

/// Whether a version's file or a dataset holds these bytes.
async fn is_referenced(pool: &AnyPool, sha256: &str) -> Result<bool, sqlx::Error> {
    let referenced: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM version_files WHERE sha256 = $1
         UNION ALL SELECT 1 FROM datasets WHERE sha256 = $2 LIMIT 1",
    )
    .bind(sha256)
    .bind(sha256)
    .fetch_optional(pool)
    .await?;
    Ok(referenced.is_some())
}

/// Runs the sweep every hour, the first time right away.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            match sweep(&state.db, &state.blobs, SWEEP_GRACE).await {
                Ok(report) => tracing::info!(?report, "storage sweep done"),
                Err(e) => tracing::error!(error = %e, "storage sweep failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    async fn store(blobs: &BlobStore, bytes: &'static [u8]) -> String {
        let chunks =
            futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(bytes))]);
        let blob = blobs.put_stream(chunks, 1024).await.expect("store");
        blob.sha256
    }

    #[tokio::test]
    async fn blobs_of_datasets_are_kept_until_the_dataset_goes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let pool = db::connect(&url).await.expect("database");
        let blobs = BlobStore::open(dir.path().join("blobs"))
            .await
            .expect("blobs");
        let kept = store(&blobs, b"a,b\n1,2\n").await;
        let unused = store(&blobs, b"nobody uses this").await;
        let now = db::now();
        sqlx::query("INSERT INTO users (id, username, password_hash, created_at) VALUES ('u', 'ada', 'x', $1)")
            .bind(&now)
            .execute(&pool)
            .await
            .expect("user");
        for sha in [&kept, &unused] {
            sqlx::query("INSERT INTO blobs (sha256, size, created_at) VALUES ($1, 1, $2)")
                .bind(sha)
                .bind(&now)
                .execute(&pool)
                .await
                .expect("blob row");
        }
        sqlx::query(
            "INSERT INTO datasets (id, name, sha256, size, row_count, columns, created_by, created_at)
             VALUES ('d', 'tiny', $1, 8, 1, '[]', 'u', $2)",
        )
        .bind(&kept)
        .bind(&now)
        .execute(&pool)
        .await
        .expect("dataset");

        let report = sweep(&pool, &blobs, Duration::ZERO).await.expect("sweep");
        assert_eq!(report.removed_blobs, 1);
        assert!(
            blobs.open_blob(&kept).await.is_ok(),
            "the dataset's file stays"
        );
        assert!(
            blobs.open_blob(&unused).await.is_err(),
            "the unused file goes"
        );

        sqlx::query("DELETE FROM datasets WHERE id = 'd'")
            .execute(&pool)
            .await
            .expect("delete the dataset");
        let report = sweep(&pool, &blobs, Duration::ZERO).await.expect("sweep");
        assert_eq!(report.removed_blobs, 1);
        assert!(blobs.open_blob(&kept).await.is_err());
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM blobs")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(rows, 0);
    }
}
