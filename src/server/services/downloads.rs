//! Download counts: one upsert per download of a version's file or zip, per UTC day and kind,
//! and a model's figures over a window of days for whoever can see the model.

use crate::domain::download::{
    DownloadDay, DownloadKind, ModelDownloads, VersionDownloads, window,
};
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::error::AppResult;
use crate::server::services::models::find_model;
use sqlx::AnyPool;
use std::collections::HashMap;

/// Counts one download of `version_id` today, in the background: the response does not wait
/// for the database, and a count that fails is logged, never turned into a failed download.
pub fn record_download(pool: &AnyPool, version_id: &str, kind: DownloadKind) {
    let pool = pool.clone();
    let version_id = version_id.to_owned();
    tokio::spawn(async move {
        if let Err(e) = count_download(&pool, &version_id, kind).await {
            tracing::warn!(error = %e, version_id = %version_id, kind = kind.as_str(), "counting a download failed");
        }
    });
}

async fn count_download(
    pool: &AnyPool,
    version_id: &str,
    kind: DownloadKind,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO version_downloads (version_id, day, kind, count) VALUES ($1, $2, $3, 1)
         ON CONFLICT (version_id, day, kind)
         DO UPDATE SET count = version_downloads.count + 1",
    )
    .bind(version_id)
    .bind(db::day(db::today()))
    .bind(kind.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether [`model_downloads`] answers the figures of every version (a row per version, which a
/// model with thousands of them makes long) or the days alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerVersion {
    Include,
    Skip,
}

/// A model's downloads over the last `days` UTC days, for whoever can read the model.
pub async fn model_downloads(
    pool: &AnyPool,
    caller: Option<&Caller>,
    model_key: &str,
    days: u32,
    per_version: PerVersion,
) -> AppResult<ModelDownloads> {
    let model = find_model(pool, caller, model_key).await?;
    let days_in_window = window(db::today(), days);
    let since = days_in_window
        .first()
        .map(|d| db::day(*d))
        .unwrap_or_default();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT d.day, d.kind, CAST(SUM(d.count) AS BIGINT) FROM version_downloads d
         JOIN versions v ON v.id = d.version_id
         WHERE v.model_id = $1 AND d.day >= $2
         GROUP BY d.day, d.kind",
    )
    .bind(&model.id)
    .bind(&since)
    .fetch_all(pool)
    .await?;
    let mut counts: HashMap<(String, String), i64> = HashMap::new();
    for (day, kind, count) in rows {
        counts.insert((day, kind), count);
    }
    let count_of = |day: &str, kind: DownloadKind| {
        counts
            .get(&(day.to_owned(), kind.as_str().to_owned()))
            .copied()
            .unwrap_or(0)
    };
    let by_day: Vec<DownloadDay> = days_in_window
        .into_iter()
        .map(|d| {
            let text = db::day(d);
            DownloadDay {
                day: d,
                file: count_of(&text, DownloadKind::File),
                zip: count_of(&text, DownloadKind::Zip),
            }
        })
        .collect();
    let total = by_day.iter().map(|d| d.file + d.zip).sum();
    let by_version = match per_version {
        PerVersion::Include => versions_downloads(pool, &model.id, &since).await?,
        PerVersion::Skip => Vec::new(),
    };
    Ok(ModelDownloads {
        model: model.name,
        days,
        total,
        by_day,
        by_version,
    })
}

/// Every version of a model, newest first, with its downloads since `since` and its last one.
async fn versions_downloads(
    pool: &AnyPool,
    model_id: &str,
    since: &str,
) -> AppResult<Vec<VersionDownloads>> {
    let versions: Vec<(i64, i64, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT v.major, v.minor, v.patch,
            (SELECT CAST(COALESCE(SUM(d.count), 0) AS BIGINT) FROM version_downloads d
                WHERE d.version_id = v.id AND d.day >= $1),
            (SELECT MAX(d.day) FROM version_downloads d WHERE d.version_id = v.id)
         FROM versions v WHERE v.model_id = $2
         ORDER BY v.major DESC, v.minor DESC, v.patch DESC",
    )
    .bind(since)
    .bind(model_id)
    .fetch_all(pool)
    .await?;
    Ok(versions
        .into_iter()
        .map(|(major, minor, patch, total, last)| VersionDownloads {
            version: format!("{major}.{minor}.{patch}"),
            total,
            last_download_at: last.as_deref().and_then(db::parse_day),
        })
        .collect())
}
