//! Versions of a model: numbering, lifecycle (draft → published, pending → ready/failed,
//! active ↔ inactive), the primary version, version-level fields and copies of whole models.
//! Version-level changes never touch the model or the files.

use crate::domain::dataset::DatasetRef;
use crate::domain::error::{ApiError, Code};
use crate::domain::file_path::normalize_file_path;
use crate::domain::model::{Model, Role};
use crate::domain::paging::{Page, Paging};
use crate::domain::requirements::{
    Dependencies, DependencySource, parse_pip_packages, parse_requirements,
};
use crate::domain::signature::Signature;
use crate::domain::version::{
    self, Environment, Metric, MetricPoint, MetricSeries, NewVersion, Registration, Version,
    VersionDeleted, VersionFields, VersionFile, VersionPatch, VersionQuery, VersionState,
    check_published_change,
};
use crate::domain::version_number::{Bump, VersionNumber, VersionRef};
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::db::QueryBuilder;
use crate::server::error::{AppError, AppResult};
use crate::server::services::models::{self, ModelRef, PRIMARY_VERSION_ID, find_model};
use crate::server::services::{model_checks, signatures};
use crate::server::state::AppState;
use crate::server::storage::StoredBlob;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::{HashMap, HashSet};
use tokio::io::AsyncReadExt;

pub mod aliases;
mod copy;
mod lifecycle;
mod metrics;
mod upload;

pub use copy::*;
pub use lifecycle::*;
pub use metrics::*;
pub use upload::*;

/// The largest requirements.txt that is parsed for dependencies.
pub(super) const MAX_REQUIREMENTS_BYTES: u64 = 1024 * 1024;

pub(super) fn version_columns() -> String {
    format!(
        "v.id, v.model_id, m.name AS model_name, v.major, v.minor, v.patch, v.state,
        v.registration, v.active, v.description, v.metadata, v.tags, v.metrics, v.framework,
        v.environment, v.git, v.source_uri, v.run_id, v.dependencies, v.base_version,
        u.username AS created_by, v.created_at, v.updated_at, v.published_at,
        v.signature, v.signature_note, v.training_dataset_id, (SELECT d.name FROM datasets d WHERE d.id = v.training_dataset_id) AS training_dataset_name,
        v.holdout_dataset_id, (SELECT d.name FROM datasets d WHERE d.id = v.holdout_dataset_id) AS holdout_dataset_name,
        CASE WHEN v.id = {PRIMARY_VERSION_ID} THEN 1 ELSE 0 END AS is_primary,
        (SELECT COUNT(*) FROM version_files f WHERE f.version_id = v.id) AS file_count,
        (SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM version_files f WHERE f.version_id = v.id) AS total_size,
        (SELECT CAST(COALESCE(SUM(d.count), 0) AS BIGINT) FROM version_downloads d WHERE d.version_id = v.id) AS download_count,
        (SELECT MAX(d.day) FROM version_downloads d WHERE d.version_id = v.id) AS last_download_at"
    )
}

pub(super) fn select_versions() -> QueryBuilder<'static> {
    QueryBuilder::new(format!(
        "SELECT {} FROM versions v JOIN models m ON m.id = v.model_id JOIN users u ON u.id = v.created_by",
        version_columns()
    ))
}

#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    pub id: String,
    pub model_id: String,
    pub model_name: String,
    major: i64,
    minor: i64,
    patch: i64,
    state: String,
    registration: String,
    #[sqlx(try_from = "db::Flag")]
    pub active: bool,
    description: String,
    metadata: String,
    tags: String,
    metrics: String,
    framework: String,
    environment: String,
    git: String,
    source_uri: String,
    run_id: String,
    dependencies: String,
    base_version: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
    published_at: Option<String>,
    signature: Option<String>,
    signature_note: Option<String>,
    training_dataset_id: Option<String>,
    training_dataset_name: Option<String>,
    holdout_dataset_id: Option<String>,
    holdout_dataset_name: Option<String>,
    #[sqlx(try_from = "db::Flag")]
    is_primary: bool,
    file_count: i64,
    total_size: i64,
    download_count: i64,
    last_download_at: Option<String>,
}

impl VersionRow {
    pub fn number(&self) -> VersionNumber {
        let part = |n: i64| u32::try_from(n).unwrap_or_default();
        VersionNumber {
            major: part(self.major),
            minor: part(self.minor),
            patch: part(self.patch),
        }
    }

    pub fn state(&self) -> VersionState {
        VersionState::parse(&self.state).unwrap_or_default()
    }

    pub fn registration(&self) -> Registration {
        Registration::parse(&self.registration)
    }

    /// The stored signature (none if what is stored cannot be read back).
    pub fn signature(&self) -> Option<Signature> {
        self.signature
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
    }

    fn fields(&self) -> VersionFields {
        VersionFields {
            description: self.description.clone(),
            metadata: serde_json::from_str(&self.metadata).unwrap_or_default(),
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
            metrics: serde_json::from_str(&self.metrics).unwrap_or_default(),
            framework: serde_json::from_str(&self.framework).unwrap_or_default(),
            environment: serde_json::from_str(&self.environment).unwrap_or_default(),
            git: serde_json::from_str(&self.git).unwrap_or_default(),
            source_uri: self.source_uri.clone(),
            run_id: self.run_id.clone(),
        }
    }

    fn into_version(
        self,
        public_url: &str,
        files: Vec<VersionFile>,
        aliases: Vec<String>,
    ) -> Version {
        let number = self.number().to_string();
        let f = self.fields();
        let deps: Dependencies = serde_json::from_str(&self.dependencies).unwrap_or_default();
        let dataset = |id: Option<String>, name: Option<String>| {
            id.map(|id| DatasetRef {
                id,
                name: name.unwrap_or_default(),
            })
        };
        Version {
            signature: self.signature(),
            signature_note: self.signature_note,
            training_dataset: dataset(self.training_dataset_id, self.training_dataset_name),
            holdout_dataset: dataset(self.holdout_dataset_id, self.holdout_dataset_name),
            fqn: version::fqn(&self.model_name, &number),
            usage_snippet: version::usage_snippet(public_url, &self.model_name, &number),
            id: self.id,
            model_id: self.model_id,
            model_name: self.model_name,
            version: number,
            state: VersionState::parse(&self.state).unwrap_or_default(),
            registration: Registration::parse(&self.registration),
            active: self.active,
            is_primary: self.is_primary,
            aliases,
            description: f.description,
            metadata: f.metadata,
            tags: f.tags,
            metrics: f.metrics,
            framework: f.framework,
            environment: f.environment,
            git: f.git,
            source_uri: f.source_uri,
            run_id: f.run_id,
            base_version: self.base_version,
            files,
            file_count: self.file_count,
            total_size: self.total_size,
            dependencies: deps.dependencies,
            unparsed_dependencies: deps.unparsed,
            created_by: self.created_by,
            created_at: db::parse_time(&self.created_at),
            updated_at: db::parse_time(&self.updated_at),
            published_at: self.published_at.as_deref().map(db::parse_time),
            download_count: self.download_count,
            last_download_at: self.last_download_at.as_deref().and_then(db::parse_day),
        }
    }
}

pub(crate) fn version_not_found(model: &str, version: &str) -> ApiError {
    ApiError::new(
        404,
        crate::domain::error::codes::VERSION_NOT_FOUND,
        format!("Model '{model}' has no version '{version}'."),
        format!(
            "Check the number or alias, or list the versions with GET /api/v1/models/{model}/versions."
        ),
    )
}

pub(super) fn conflict(
    code: Code,
    msg: impl Into<String>,
    solution: impl Into<String>,
) -> ApiError {
    ApiError::new(409, code, msg, solution)
}

/// Finds a version named in a request body (`field`): there the model exists and the body is
/// wrong, so a missing version is 422 naming the field rather than 404.
pub(crate) async fn find_named_version(
    pool: &AnyPool,
    model: &ModelRef,
    reference: &str,
    field: &str,
) -> AppResult<VersionRow> {
    find_version(pool, model, reference).await.map_err(|e| {
        let mut e = e.into_api_error();
        if e.status == 404 {
            e.status = 422;
            e.field = Some(field.to_owned());
        }
        e.into()
    })
}

/// Finds a version of `model` by number, alias, `latest` or `primary`.
pub(crate) async fn find_version(
    pool: &AnyPool,
    model: &ModelRef,
    reference: &str,
) -> AppResult<VersionRow> {
    let parsed =
        VersionRef::parse(reference).map_err(|_| version_not_found(&model.name, reference))?;
    let mut q = select_versions();
    q.push(" WHERE v.model_id = ");
    q.push_bind(model.id.clone());
    match &parsed {
        VersionRef::Number(n) => {
            q.push(" AND v.major = ");
            q.push_bind(i64::from(n.major));
            q.push(" AND v.minor = ");
            q.push_bind(i64::from(n.minor));
            q.push(" AND v.patch = ");
            q.push_bind(i64::from(n.patch));
        }
        // A pending or failed version is never the latest: its files are incomplete.
        VersionRef::Latest => {
            q.push(" AND v.registration = 'ready' ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT 1");
        }
        VersionRef::Primary => {
            q.push(format!(" AND v.id = {PRIMARY_VERSION_ID}"));
        }
        VersionRef::Alias(alias) => {
            q.push(" AND v.id = (SELECT a.version_id FROM aliases a WHERE a.model_id = m.id AND a.name = ");
            q.push_bind(alias.clone());
            q.push(")");
        }
    }
    let row: Option<VersionRow> = q.build_query_as().fetch_optional(pool).await?;
    row.ok_or_else(|| version_not_found(&model.name, reference).into())
}

pub(super) async fn files_of(
    pool: &AnyPool,
    version_ids: &[String],
) -> AppResult<HashMap<String, Vec<VersionFile>>> {
    let mut out: HashMap<String, Vec<VersionFile>> = HashMap::new();
    if version_ids.is_empty() {
        return Ok(out);
    }
    let mut q = QueryBuilder::new(
        "SELECT f.version_id, f.path, f.size, f.sha256, f.content_type, c.result FROM version_files f
         LEFT JOIN model_checks c ON c.sha256 = f.sha256 WHERE f.version_id IN (",
    );
    q.push_binds(version_ids.iter().cloned());
    q.push(") ORDER BY f.version_id, f.path");
    let rows: Vec<(String, String, i64, String, String, Option<String>)> =
        q.build_query_as().fetch_all(pool).await?;
    for (version_id, path, size, sha256, content_type, check) in rows {
        out.entry(version_id).or_default().push(VersionFile {
            path,
            size,
            sha256,
            content_type,
            model_check: model_checks::parse(check.as_deref()),
        });
    }
    Ok(out)
}

pub(super) async fn aliases_of(
    pool: &AnyPool,
    model_id: &str,
) -> AppResult<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT version_id, name FROM aliases WHERE model_id = $1 ORDER BY name")
            .bind(model_id)
            .fetch_all(pool)
            .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (version_id, name) in rows {
        out.entry(version_id).or_default().push(name);
    }
    Ok(out)
}

/// Records a change of a version in the audit log, in the transaction that makes it: the event
/// is the version's, and its details name the model and the version number beside `details`'
/// own fields.
pub(crate) async fn record_version_event(
    conn: &mut AnyConnection,
    caller: &Caller,
    action: &str,
    model: &ModelRef,
    row: &VersionRow,
    details: serde_json::Value,
) -> AppResult<()> {
    let mut all = json!({"model": model.name, "version": row.number().to_string()});
    if let (Some(all), serde_json::Value::Object(own)) = (all.as_object_mut(), details) {
        all.extend(own);
    }
    audit::record(
        conn,
        Some(&caller.user_id),
        action,
        &format!("version:{}", row.id),
        all,
    )
    .await?;
    Ok(())
}

/// Turns a row into the full version object.
pub(crate) async fn to_version(state: &AppState, row: VersionRow) -> AppResult<Version> {
    let files = files_of(&state.db, std::slice::from_ref(&row.id))
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let aliases: Vec<String> =
        sqlx::query_scalar("SELECT name FROM aliases WHERE version_id = $1 ORDER BY name")
            .bind(&row.id)
            .fetch_all(&state.db)
            .await?;
    Ok(row.into_version(&state.settings.public_url, files, aliases))
}

/// A version as it is now, after a change made through `model`.
pub(super) async fn version_now(
    state: &AppState,
    model: &ModelRef,
    number: VersionNumber,
) -> AppResult<Version> {
    let row = find_version(&state.db, model, &number.to_string()).await?;
    to_version(state, row).await
}

pub async fn get_version(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
    reference: &str,
) -> AppResult<Version> {
    let model = find_model(&state.db, caller, model_key).await?;
    let row = find_version(&state.db, &model, reference).await?;
    to_version(state, row).await
}

pub(super) fn versions_page_url(
    base: &str,
    state: Option<VersionState>,
    offset: i64,
    limit: i64,
) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if let Some(state) = state {
        s.append_pair("state", state.as_str());
    }
    s.append_pair("offset", &offset.to_string());
    s.append_pair("limit", &limit.to_string());
    format!("{base}?{}", s.finish())
}

/// A model's versions, newest first.
pub async fn list_versions(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
    query: &VersionQuery,
) -> AppResult<Page<Version>> {
    let model = find_model(&state.db, caller, model_key).await?;
    let paging = Paging::new(query.offset, query.limit)?;
    let filter = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(VersionState::parse)
        .transpose()?;
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM versions v WHERE v.model_id = ");
    count.push_bind(model.id.clone());
    if let Some(s) = filter {
        count.push(" AND v.state = ");
        count.push_bind(s.as_str());
    }
    let (total,): (i64,) = count.build_query_as().fetch_one(&state.db).await?;

    let mut q = select_versions();
    q.push(" WHERE v.model_id = ");
    q.push_bind(model.id.clone());
    if let Some(s) = filter {
        q.push(" AND v.state = ");
        q.push_bind(s.as_str());
    }
    q.push(" ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT ");
    q.push_bind(paging.limit);
    q.push(" OFFSET ");
    q.push_bind(paging.offset);
    let rows: Vec<VersionRow> = q.build_query_as().fetch_all(&state.db).await?;

    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut files = files_of(&state.db, &ids).await?;
    let mut aliases = aliases_of(&state.db, &model.id).await?;
    let data: Vec<Version> = rows
        .into_iter()
        .map(|row| {
            let f = files.remove(&row.id).unwrap_or_default();
            let a = aliases.remove(&row.id).unwrap_or_default();
            row.into_version(&state.settings.public_url, f, a)
        })
        .collect();
    let base = format!("/api/v1/models/{}/versions", model.name);
    Ok(paging.page(data, total, |offset, limit| {
        versions_page_url(&base, filter, offset, limit)
    }))
}

/// A file received for a new version, already in the blob store.
#[derive(Clone, Debug)]
pub struct Upload {
    pub path: String,
    pub blob: StoredBlob,
}

/// Content type by file extension; what a client claims is not trusted.
pub fn content_type_for(path: &str) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned()
}
