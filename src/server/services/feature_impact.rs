//! Each version's feature impact: storing a result (imported here, or computed by a job), reading
//! it back, and who may do either. Imports are analysis, not the version's frozen files, so they
//! are accepted for published versions too.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::feature_impact::{
    FeatureImpact, FeatureImpactImport, FeatureImpactItem, ImpactMethod, imported_items,
};
use crate::domain::model::Role;
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::error::{AppError, AppResult};
use crate::server::services::models::find_model;
use crate::server::services::versions::{find_version, record_version_event};
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

/// One result to store for a version, however it was obtained. Both the import and the
/// computing job save through [`store`].
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureImpactRecord {
    pub method: ImpactMethod,
    pub shap_based: bool,
    /// The dataset the rows were sampled from (`None` for imports).
    pub dataset_id: Option<String>,
    /// Rows scored; `None` when an import does not say.
    pub row_count: Option<u64>,
    pub ran_redundancy_detection: bool,
    /// `rmse` or `log_loss` for computed results.
    pub metric: Option<String>,
    /// The score on the sample before any shuffling.
    pub base_score: Option<f64>,
    /// Where predictions came from: `onnx:<path>` or a prediction server's URL.
    pub backend: Option<String>,
    /// Normalized, most important first (see `domain::feature_impact::normalize`).
    pub items: Vec<FeatureImpactItem>,
    /// The job that computed it.
    pub job_id: Option<String>,
    /// The id of the user who imported it or started the job.
    pub computed_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct FeatureImpactRow {
    method: String,
    #[sqlx(try_from = "db::Flag")]
    shap_based: bool,
    dataset_id: Option<String>,
    row_count: Option<i64>,
    #[sqlx(try_from = "db::Flag")]
    ran_redundancy_detection: bool,
    metric: Option<String>,
    base_score: Option<f64>,
    items: String,
    job_id: Option<String>,
    computed_at: String,
}

impl FeatureImpactRow {
    fn into_feature_impact(self, version_id: &str) -> AppResult<FeatureImpact> {
        let items: Vec<FeatureImpactItem> = serde_json::from_str(&self.items).map_err(|e| {
            AppError::Internal(format!(
                "feature impact of version {version_id} cannot be read: {e}"
            ))
        })?;
        let method = ImpactMethod::parse(&self.method).ok_or_else(|| {
            AppError::Internal(format!(
                "feature impact of version {version_id} has an unknown method '{}'",
                self.method
            ))
        })?;
        Ok(FeatureImpact {
            count: items.len(),
            feature_impacts: items,
            ran_redundancy_detection: self.ran_redundancy_detection,
            row_count: self.row_count.and_then(|n| u64::try_from(n).ok()),
            shap_based: self.shap_based,
            method,
            computed_at: db::parse_time(&self.computed_at),
            metric: self.metric,
            base_score: self.base_score,
            dataset_id: self.dataset_id,
            job_id: self.job_id,
        })
    }
}

/// A version's stored feature impact, if it has one. No access check: callers have found the
/// version through [`find_version`] first.
pub async fn read(pool: &AnyPool, version_id: &str) -> AppResult<Option<FeatureImpact>> {
    let row: Option<FeatureImpactRow> = sqlx::query_as(
        "SELECT method, shap_based, dataset_id, row_count, ran_redundancy_detection, metric,
            base_score, items, job_id, computed_at
         FROM feature_impacts WHERE version_id = $1",
    )
    .bind(version_id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| r.into_feature_impact(version_id)).transpose()
}

/// Saves `record` as the version's feature impact, replacing any earlier one, and answers it as
/// clients will read it. Runs on the caller's connection so it can share a transaction with the
/// audit event (or the job's completion). Numbers that are not finite are refused: JSON cannot
/// carry them back.
pub async fn store(
    conn: &mut AnyConnection,
    version_id: &str,
    record: FeatureImpactRecord,
) -> AppResult<FeatureImpact> {
    let finite = record
        .items
        .iter()
        .all(|i| i.impact_normalized.is_finite() && i.impact_unnormalized.is_finite())
        && record.base_score.is_none_or(f64::is_finite);
    if !finite {
        return Err(AppError::Internal(format!(
            "feature impact of version {version_id} has a value that is not a finite number"
        )));
    }
    let items = serde_json::to_string(&record.items)
        .map_err(|e| AppError::Internal(format!("serializing feature impact: {e}")))?;
    let row_count = record.row_count.and_then(|n| i64::try_from(n).ok());
    let computed_at = db::now();
    sqlx::query(
        "INSERT INTO feature_impacts (version_id, method, shap_based, dataset_id, row_count,
            ran_redundancy_detection, metric, base_score, backend, items, job_id, computed_by,
            computed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (version_id) DO UPDATE SET method = excluded.method,
            shap_based = excluded.shap_based, dataset_id = excluded.dataset_id,
            row_count = excluded.row_count,
            ran_redundancy_detection = excluded.ran_redundancy_detection,
            metric = excluded.metric, base_score = excluded.base_score,
            backend = excluded.backend, items = excluded.items, job_id = excluded.job_id,
            computed_by = excluded.computed_by, computed_at = excluded.computed_at",
    )
    .bind(version_id)
    .bind(record.method.as_str())
    .bind(db::flag(record.shap_based))
    .bind(&record.dataset_id)
    .bind(row_count)
    .bind(db::flag(record.ran_redundancy_detection))
    .bind(&record.metric)
    .bind(record.base_score)
    .bind(&record.backend)
    .bind(&items)
    .bind(&record.job_id)
    .bind(&record.computed_by)
    .bind(&computed_at)
    .execute(&mut *conn)
    .await?;
    Ok(FeatureImpact {
        count: record.items.len(),
        feature_impacts: record.items,
        ran_redundancy_detection: record.ran_redundancy_detection,
        row_count: record.row_count,
        shap_based: record.shap_based,
        method: record.method,
        computed_at: db::parse_time(&computed_at),
        metric: record.metric,
        base_score: record.base_score,
        dataset_id: record.dataset_id,
        job_id: record.job_id,
    })
}

fn not_found(model: &str, version: &str) -> ApiError {
    ApiError::new(
        404,
        codes::FEATURE_IMPACT_NOT_FOUND,
        format!("Version {version} of model '{model}' has no feature impact yet."),
        format!(
            "Compute it with POST /api/v1/models/{model}/versions/{version}/feature-impact \
             (the version needs training data), or import results computed elsewhere with PUT \
             on the same path."
        ),
    )
}

/// A version's feature impact: whoever may read the version may read it, and a model the caller
/// cannot see is 404. 404 `FEATURE_IMPACT_NOT_FOUND` when there is none yet.
pub async fn get(
    pool: &AnyPool,
    caller: Option<&Caller>,
    model_key: &str,
    reference: &str,
) -> AppResult<FeatureImpact> {
    let model = find_model(pool, caller, model_key).await?;
    let version = find_version(pool, &model, reference).await?;
    read(pool, &version.id)
        .await?
        .ok_or_else(|| not_found(&model.name, &version.number().to_string()).into())
}

/// Like [`get`], with `None` when the version has no feature impact yet.
pub async fn find(
    pool: &AnyPool,
    caller: Option<&Caller>,
    model_key: &str,
    reference: &str,
) -> AppResult<Option<FeatureImpact>> {
    match get(pool, caller, model_key, reference).await {
        Ok(found) => Ok(Some(found)),
        Err(AppError::Api(e)) if e.is(codes::FEATURE_IMPACT_NOT_FOUND) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces a version's feature impact with results computed elsewhere (Editor or above).
pub async fn import(
    pool: &AnyPool,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    import: FeatureImpactImport,
) -> AppResult<FeatureImpact> {
    let model = find_model(pool, Some(caller), model_key).await?;
    model.require(
        Role::Editor,
        "import feature impact for this model's versions",
    )?;
    let version = find_version(pool, &model, reference).await?;
    let items = imported_items(&import)?;
    let shap_based = import.shap_based.unwrap_or(false);
    let record = FeatureImpactRecord {
        method: ImpactMethod::Imported,
        shap_based,
        dataset_id: None,
        row_count: import.row_count,
        ran_redundancy_detection: false,
        metric: None,
        base_score: None,
        backend: None,
        items,
        job_id: None,
        computed_by: Some(caller.user_id.clone()),
    };
    let mut tx = db::begin_write(pool).await?;
    let stored = store(&mut tx, &version.id, record).await?;
    record_version_event(
        &mut tx,
        caller,
        "feature_impact.import",
        &model,
        &version,
        json!({"features": stored.count, "shap_based": shap_based}),
    )
    .await?;
    tx.commit().await?;
    Ok(stored)
}
