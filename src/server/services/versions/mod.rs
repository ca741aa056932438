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

/// A version's fields (each a name and its SQL over `versions v JOIN models m JOIN users u`
/// with the model's summary `s`, as [`select_versions`] joins them); its files and aliases are
/// read apart, for every listed version at once.
const VERSION_FIELDS: [(&str, &str); 32] = [
    ("id", "v.id"),
    ("model_id", "v.model_id"),
    ("model_name", "m.name"),
    ("major", "v.major"),
    ("minor", "v.minor"),
    ("patch", "v.patch"),
    ("state", "v.state"),
    ("registration", "v.registration"),
    ("active", "v.active"),
    ("description", "v.description"),
    ("metadata", "v.metadata"),
    ("tags", "v.tags"),
    ("metrics", "v.metrics"),
    ("framework", "v.framework"),
    ("environment", "v.environment"),
    ("git", "v.git"),
    ("source_uri", "v.source_uri"),
    ("run_id", "v.run_id"),
    ("dependencies", "v.dependencies"),
    ("base_version", "v.base_version"),
    ("created_by", "u.username"),
    ("created_at", "v.created_at"),
    ("updated_at", "v.updated_at"),
    ("published_at", "v.published_at"),
    ("signature", "v.signature"),
    ("signature_note", "v.signature_note"),
    ("training_dataset_id", "v.training_dataset_id"),
    (
        "training_dataset_name",
        "(SELECT d.name FROM datasets d WHERE d.id = v.training_dataset_id)",
    ),
    ("holdout_dataset_id", "v.holdout_dataset_id"),
    (
        "holdout_dataset_name",
        "(SELECT d.name FROM datasets d WHERE d.id = v.holdout_dataset_id)",
    ),
    (
        "is_primary",
        "CASE WHEN v.major || '.' || v.minor || '.' || v.patch = s.primary_version THEN 1 ELSE 0 END",
    ),
    (
        "download_count",
        "(SELECT CAST(COALESCE(SUM(d.count), 0) AS BIGINT) FROM version_downloads d WHERE d.version_id = v.id)",
    ),
];

/// The last figure of a version: when it was last downloaded.
const LAST_DOWNLOAD: (&str, &str) = (
    "last_download_at",
    "(SELECT MAX(d.day) FROM version_downloads d WHERE d.version_id = v.id)",
);

/// [`VERSION_FIELDS`] as the columns of a `SELECT`.
static VERSION_COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let columns: Vec<String> = VERSION_FIELDS
        .iter()
        .chain([&LAST_DOWNLOAD])
        .map(|(name, expr)| format!("{expr} AS {name}"))
        .collect();
    columns.join(", ")
});

pub(super) fn select_versions() -> QueryBuilder<'static> {
    let columns = &*VERSION_COLUMNS;
    QueryBuilder::new(format!(
        "SELECT {columns} FROM versions v JOIN models m ON m.id = v.model_id
        JOIN users u ON u.id = v.created_by LEFT JOIN model_summaries s ON s.model_id = v.model_id"
    ))
}

/// A JSON object of every column [`select_versions`] answers, read from the rows of `table`.
fn version_json(backend: db::Backend, table: &str) -> String {
    let names = VERSION_FIELDS
        .iter()
        .chain([&LAST_DOWNLOAD])
        .map(|(name, _)| *name);
    backend.json_object(names.map(|name| (name, format!("{table}.{name}"))))
}

/// A file of a version as [`files_of`] and [`list_versions`] read it.
#[derive(sqlx::FromRow, serde::Deserialize)]
struct FileRow {
    version_id: String,
    path: String,
    size: i64,
    sha256: String,
    content_type: String,
    model_check: Option<String>,
}

/// An alias as [`list_versions`] reads it.
#[derive(serde::Deserialize)]
struct VersionAliasRow {
    version_id: String,
    name: String,
}

/// A version as a query answers it: a row ([`select_versions`]), or an object of a JSON array
/// ([`list_versions`]), with the same names.
#[derive(sqlx::FromRow, serde::Deserialize)]
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
    #[serde(deserialize_with = "db::json_flag")]
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
    #[serde(deserialize_with = "db::json_flag")]
    is_primary: bool,
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
            file_count: i64::try_from(files.len()).unwrap_or(i64::MAX),
            total_size: files.iter().map(|f| f.size).sum(),
            files,
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
    let row: Option<VersionRow> = q.fetch_optional_as(pool).await?;
    row.ok_or_else(|| version_not_found(&model.name, reference).into())
}

pub(super) async fn files_of(
    pool: &AnyPool,
    version_ids: &[String],
) -> AppResult<HashMap<String, Vec<VersionFile>>> {
    if version_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut q = QueryBuilder::new(
        "SELECT f.version_id, f.path, f.size, f.sha256, f.content_type, c.result AS model_check
         FROM version_files f LEFT JOIN model_checks c ON c.sha256 = f.sha256 WHERE f.version_id IN (",
    );
    q.push_binds(version_ids.iter().cloned());
    q.push(") ORDER BY f.version_id, f.path");
    let rows: Vec<FileRow> = q.fetch_all_as(pool).await?;
    Ok(files_by_version(rows))
}

/// Files by the id of their version, in the order given.
fn files_by_version(rows: Vec<FileRow>) -> HashMap<String, Vec<VersionFile>> {
    db::group_by_key(rows.into_iter().map(|f| {
        let file = VersionFile {
            path: f.path,
            size: f.size,
            sha256: f.sha256,
            content_type: f.content_type,
            model_check: model_checks::parse(f.model_check.as_deref()),
        };
        (f.version_id, file)
    }))
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
    let backend = db::Backend::of(&state.db);
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
    // All of a model's versions are counted in its summary; a filter counts what it keeps.
    let push_total = |q: &mut QueryBuilder<'_>| match filter {
        None => {
            q.push("COALESCE((SELECT s.version_count FROM model_summaries s WHERE s.model_id = ");
            q.push_bind(model.id.clone());
            q.push("), 0)");
        }
        Some(s) => {
            q.push("(SELECT COUNT(*) FROM versions v WHERE v.model_id = ");
            q.push_bind(model.id.clone());
            q.push(" AND v.state = ");
            q.push_bind(s.as_str());
            q.push(")");
        }
    };
    let file = backend.json_object([
        ("version_id", "f.version_id"),
        ("path", "f.path"),
        ("size", "f.size"),
        ("sha256", "f.sha256"),
        ("content_type", "f.content_type"),
        ("model_check", "c.result"),
    ]);
    let files = backend.json_array(&file, "f.version_id, f.path");
    let alias = backend.json_object([("version_id", "a.version_id"), ("name", "a.name")]);
    let aliases = backend.json_array(&alias, "a.name");
    let files_from = "FROM version_files f LEFT JOIN model_checks c ON c.sha256 = f.sha256
        WHERE f.version_id IN (";
    let aliases_from = "FROM aliases a WHERE a.version_id IN (";
    let (total, rows, files, aliases): (i64, Vec<VersionRow>, String, String) = match backend {
        // SQLite's reads run on the request's own thread ([`db::reads`]), where a row costs
        // little: the page is read as rows, which costs less than building it into JSON text
        // and reading that back.
        db::Backend::Sqlite => {
            let mut count = QueryBuilder::new("SELECT ");
            push_total(&mut count);
            let (total,): (i64,) = count.fetch_one_as(&state.db).await?;
            let rows: Vec<VersionRow> = q.fetch_all_as(&state.db).await?;
            let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
            let (files, aliases) = if ids.is_empty() {
                ("[]".to_owned(), "[]".to_owned())
            } else {
                let mut q = QueryBuilder::new(format!("SELECT (SELECT {files} {files_from}"));
                q.push_binds(ids.iter().cloned());
                q.push(format!(")), (SELECT {aliases} {aliases_from}"));
                q.push_binds(ids);
                q.push("))");
                q.fetch_one_as(&state.db).await?
            };
            (total, rows, files, aliases)
        }
        // Elsewhere each row is a round trip's worth of work: one query answers the page with
        // its files and aliases and the total, as one row, the page as a JSON array.
        db::Backend::Postgres => {
            let mut q = QueryBuilder::wrap("WITH page AS (", q, ") SELECT ");
            push_total(&mut q);
            let versions = backend.json_array(
                &version_json(backend, "p"),
                "p.major DESC, p.minor DESC, p.patch DESC",
            );
            q.push(format!(
                " AS total, (SELECT {versions} FROM page p) AS versions,
                (SELECT {files} {files_from}SELECT id FROM page)) AS files,
                (SELECT {aliases} {aliases_from}SELECT id FROM page)) AS aliases"
            ));
            let (total, versions, files, aliases): (i64, String, String, String) =
                q.fetch_one_as(&state.db).await?;
            (total, db::json_rows(&versions)?, files, aliases)
        }
    };

    let mut files_by_version = files_by_version(db::json_rows(&files)?);
    let mut aliases_by_version = db::group_by_key(
        db::json_rows::<VersionAliasRow>(&aliases)?
            .into_iter()
            .map(|a| (a.version_id, a.name)),
    );
    let data: Vec<Version> = rows
        .into_iter()
        .map(|row| {
            let f = files_by_version.remove(&row.id).unwrap_or_default();
            let a = aliases_by_version.remove(&row.id).unwrap_or_default();
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
