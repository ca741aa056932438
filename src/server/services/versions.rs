//! Versions of a model: numbering, lifecycle (draft → published, pending → ready/failed,
//! active ↔ inactive), the primary version, version-level fields and copies of whole models.
//! Version-level changes never touch the model or the files.

use crate::domain::dataset::DatasetRef;
use crate::domain::error::ApiError;
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
use crate::server::services::aliases;
use crate::server::services::models::{self, ModelRef, PRIMARY_VERSION_ID, find_model};
use crate::server::services::{model_checks, signatures};
use crate::server::state::AppState;
use crate::server::storage::StoredBlob;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::collections::{HashMap, HashSet};
use tokio::io::AsyncReadExt;

/// The largest requirements.txt that is parsed for dependencies.
const MAX_REQUIREMENTS_BYTES: u64 = 1024 * 1024;

fn version_columns() -> String {
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

fn select_versions() -> QueryBuilder<'static> {
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

fn conflict(code: &str, msg: impl Into<String>, solution: impl Into<String>) -> ApiError {
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

async fn files_of(
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

async fn aliases_of(pool: &AnyPool, model_id: &str) -> AppResult<HashMap<String, Vec<String>>> {
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
async fn version_now(
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

fn versions_page_url(base: &str, state: Option<VersionState>, offset: i64, limit: i64) -> String {
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

/// A version whose number is assigned and whose row exists, waiting for its uploads.
#[derive(Debug)]
pub struct PendingVersion {
    pub id: String,
    pub model: ModelRef,
    pub number: VersionNumber,
}

/// Validates the numbering and file fields of a new version (what must be known before any
/// upload starts), assigns its number and records it with its inherited files.
/// `registration` is `Pending` when uploads follow, else `Ready`.
pub async fn begin_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    new: &NewVersion,
    registration: Registration,
) -> AppResult<PendingVersion> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "add versions to this model")?;
    let fields = VersionFields::from_new(new)?;
    let bump = match new.bump.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => Bump::parse(b)?,
        None => Bump::default(),
    };
    let base = match new
        .base_version
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        Some(reference) => {
            Some(find_named_version(&state.db, &model, reference, "base_version").await?)
        }
        None => None,
    };
    let delete_paths = new.delete_paths.clone().unwrap_or_default();
    if !delete_paths.is_empty() && base.is_none() {
        return Err(ApiError::invalid(
            "delete_paths",
            "DELETE_PATHS_WITHOUT_BASE",
            "delete_paths removes files inherited from a base version, but no base_version was given.",
            "Give base_version, or leave delete_paths out.",
        )
        .into());
    }
    if delete_paths.len() > version::MAX_DELETE_PATHS {
        return Err(ApiError::invalid(
            "delete_paths",
            "INVALID_FILE_PATH",
            format!(
                "{} paths to delete given; at most {} are allowed.",
                delete_paths.len(),
                version::MAX_DELETE_PATHS
            ),
            "Start from no base version instead, and upload the files you want.",
        )
        .into());
    }
    let mut deleted = HashSet::new();
    for p in &delete_paths {
        deleted.insert(normalize_file_path(p).map_err(|mut e| {
            e.field = Some("delete_paths".into());
            e
        })?);
    }
    if let Some(base) = &base
        && !deleted.is_empty()
    {
        let present: HashSet<String> =
            sqlx::query_scalar("SELECT path FROM version_files WHERE version_id = $1")
                .bind(&base.id)
                .fetch_all(&state.db)
                .await?
                .into_iter()
                .collect();
        if let Some(missing) = deleted.iter().find(|p| !present.contains(p.as_str())) {
            return Err(ApiError::invalid(
                "delete_paths",
                "FILE_NOT_FOUND",
                format!(
                    "Version {} has no file '{missing}' to leave out.",
                    base.number()
                ),
                "List the base version's files with GET …/versions/{version}/files and use their paths.",
            )
            .into());
        }
    }
    let publish = new.publish.unwrap_or(false) && registration == Registration::Ready;

    let id = db::new_id();
    let now = db::now();
    // BEGIN IMMEDIATE takes the write lock before reading the highest number, so concurrent
    // creations queue up instead of computing the same next number.
    let mut tx = db::begin_write(&state.db).await?;
    let latest: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT major, minor, patch FROM versions WHERE model_id = $1
         ORDER BY major DESC, minor DESC, patch DESC LIMIT 1",
    )
    .bind(&model.id)
    .fetch_optional(&mut *tx)
    .await?;
    let latest = latest.map(|(a, b, c)| VersionNumber {
        major: u32::try_from(a).unwrap_or_default(),
        minor: u32::try_from(b).unwrap_or_default(),
        patch: u32::try_from(c).unwrap_or_default(),
    });
    let number = VersionNumber::next(latest, bump);
    sqlx::query(
        "INSERT INTO versions (id, model_id, major, minor, patch, state, registration, active,
            base_version, created_by, created_at, updated_at, published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(&model.id)
    .bind(i64::from(number.major))
    .bind(i64::from(number.minor))
    .bind(i64::from(number.patch))
    .bind(if publish { "published" } else { "draft" })
    .bind(registration.as_str())
    .bind(base.as_ref().map(|b| b.number().to_string()))
    .bind(&caller.user_id)
    .bind(&now)
    .bind(&now)
    .bind(publish.then_some(&now))
    .execute(&mut *tx)
    .await?;
    store_fields(&mut tx, &id, &fields, &now).await?;
    if let Some(base) = &base {
        // The base's file rows are copied in one statement; the bytes are shared.
        sqlx::query(
            "INSERT INTO version_files (version_id, path, sha256, size, content_type, created_at)
             SELECT $1, path, sha256, size, content_type, $2 FROM version_files WHERE version_id = $3",
        )
        .bind(&id)
        .bind(&now)
        .bind(&base.id)
        .execute(&mut *tx)
        .await?;
        for path in &deleted {
            sqlx::query("DELETE FROM version_files WHERE version_id = $1 AND path = $2")
                .bind(&id)
                .bind(path)
                .execute(&mut *tx)
                .await?;
        }
    }
    touch_model(&mut tx, &model.id, &now).await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "version.create",
        &format!("model:{}", model.id),
        json!({"model": model.name, "version": number.to_string(), "base_version": base.as_ref().map(|b| b.number().to_string())}),
    )
    .await?;
    tx.commit().await?;
    let pending = PendingVersion { id, model, number };
    if registration == Registration::Ready {
        refresh_dependencies(state, &pending.id).await?;
        signatures::refresh_signature(state, &pending.id).await;
    }
    Ok(pending)
}

/// Writes a version's version-level fields.
async fn store_fields(
    conn: &mut AnyConnection,
    version_id: &str,
    fields: &VersionFields,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE versions SET description = $1, metadata = $2, tags = $3, metrics = $4, framework = $5,
            environment = $6, git = $7, source_uri = $8, run_id = $9, updated_at = $10
         WHERE id = $11",
    )
    .bind(&fields.description)
    .bind(json!(fields.metadata).to_string())
    .bind(json!(fields.tags).to_string())
    .bind(json!(fields.metrics).to_string())
    .bind(json!(fields.framework).to_string())
    .bind(json!(fields.environment).to_string())
    .bind(json!(fields.git).to_string())
    .bind(&fields.source_uri)
    .bind(&fields.run_id)
    .bind(now)
    .bind(version_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a stored blob to a version under `path`, replacing what was there.
pub(crate) async fn upsert_file(
    conn: &mut AnyConnection,
    version_id: &str,
    path: &str,
    blob: &StoredBlob,
    now: &str,
) -> AppResult<()> {
    record_blob(&mut *conn, blob, now).await?;
    sqlx::query(
        "INSERT INTO version_files (version_id, path, sha256, size, content_type, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (version_id, path) DO UPDATE SET sha256 = excluded.sha256,
            size = excluded.size, content_type = excluded.content_type, created_at = excluded.created_at",
    )
    .bind(version_id)
    .bind(path)
    .bind(&blob.sha256)
    .bind(blob.size as i64)
    .bind(content_type_for(path))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn touch_model(conn: &mut AnyConnection, model_id: &str, now: &str) -> AppResult<()> {
    sqlx::query("UPDATE models SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(model_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds the uploaded files to a pending version, applies the fields that arrived with them and
/// marks it ready (and published, if asked), all at once.
pub async fn finish_version(
    state: &AppState,
    pending: &PendingVersion,
    new: &NewVersion,
    uploads: Vec<Upload>,
) -> AppResult<()> {
    let fields = VersionFields::from_new(new)?;
    let publish = new.publish.unwrap_or(false);
    let now = db::now();
    let mut tx = db::begin_write(&state.db).await?;
    let inherited: HashSet<String> =
        sqlx::query_scalar("SELECT path FROM version_files WHERE version_id = $1")
            .bind(&pending.id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let added = uploads
        .iter()
        .filter(|u| !inherited.contains(&u.path))
        .count();
    if inherited.len() + added > state.settings.max_files_per_version {
        return Err(too_many_files(state.settings.max_files_per_version).into());
    }
    for upload in &uploads {
        upsert_file(&mut tx, &pending.id, &upload.path, &upload.blob, &now).await?;
    }
    store_fields(&mut tx, &pending.id, &fields, &now).await?;
    sqlx::query(
        "UPDATE versions SET registration = 'ready',
            state = CASE WHEN $1 THEN 'published' ELSE state END,
            published_at = CASE WHEN $2 THEN $3 ELSE published_at END
         WHERE id = $4",
    )
    .bind(publish)
    .bind(publish)
    .bind(&now)
    .bind(&pending.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    refresh_dependencies(state, &pending.id).await?;
    model_checks::check_version_files(state, &pending.id).await;
    signatures::refresh_signature(state, &pending.id).await;
    Ok(())
}

/// Removes a version whose uploads failed, so nothing half-made stays visible. Its blobs are
/// left for the sweep.
pub async fn abandon_version(state: &AppState, pending: &PendingVersion) {
    if let Err(e) = sqlx::query("DELETE FROM versions WHERE id = $1 AND registration = 'pending'")
        .bind(&pending.id)
        .execute(&state.db)
        .await
    {
        tracing::error!(version = %pending.id, error = %e, "cannot remove an abandoned version");
    }
}

pub(crate) fn too_many_files(max: usize) -> ApiError {
    ApiError::new(
        413,
        "TOO_MANY_FILES",
        format!("A version holds at most {max} files."),
        "Pack small files into an archive, or ask an admin to raise --max-files-per-version (see GET /api/v1/limits).",
    )
}

pub(crate) async fn record_blob(
    conn: &mut AnyConnection,
    blob: &StoredBlob,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO blobs (sha256, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(&blob.sha256)
    .bind(blob.size as i64)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates a version from JSON alone: inherited files only, no uploads.
pub async fn create_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    new: NewVersion,
) -> AppResult<Version> {
    let pending = begin_version(state, caller, model_key, &new, Registration::Ready).await?;
    version_now(state, &pending.model, pending.number).await
}

/// Re-reads requirements.txt (the shallowest one) and pip_packages into the stored dependencies.
pub(crate) async fn refresh_dependencies(state: &AppState, version_id: &str) -> AppResult<()> {
    let env: Option<(String,)> = sqlx::query_as("SELECT environment FROM versions WHERE id = $1")
        .bind(version_id)
        .fetch_optional(&state.db)
        .await?;
    let Some((env,)) = env else { return Ok(()) };
    let environment: Environment = serde_json::from_str(&env).unwrap_or_default();
    let files: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT path, sha256, size FROM version_files WHERE version_id = $1
            AND (path = 'requirements.txt' OR path LIKE '%/requirements.txt')",
    )
    .bind(version_id)
    .fetch_all(&state.db)
    .await?;
    let requirements = files
        .into_iter()
        .min_by_key(|(path, _, _)| (path.matches('/').count(), path.clone()));
    let mut deps = Dependencies::default();
    if let Some((path, sha256, size)) = requirements {
        let mut text = String::new();
        match state.blobs.open_blob(&sha256).await {
            Ok(file) => {
                let mut bytes = Vec::new();
                file.take(MAX_REQUIREMENTS_BYTES)
                    .read_to_end(&mut bytes)
                    .await
                    .map_err(|e| {
                        crate::server::error::AppError::Internal(format!("reading {path}: {e}"))
                    })?;
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            Err(e) => tracing::error!(%path, error = %e, "requirements file missing from storage"),
        }
        deps = parse_requirements(&text, DependencySource::Requirements);
        if size as u64 > MAX_REQUIREMENTS_BYTES {
            deps.unparsed
                .push(crate::domain::requirements::UnparsedLine {
                    line: String::new(),
                    line_number: 0,
                    reason: format!("{path} is larger than 1 MiB; only its start was read."),
                    source: DependencySource::Requirements,
                });
        }
    }
    deps.merge(parse_pip_packages(&environment.pip_packages));
    sqlx::query("UPDATE versions SET dependencies = $1 WHERE id = $2")
        .bind(json!(deps).to_string())
        .bind(version_id)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// Changes version-level fields; never files, never the model.
pub async fn update_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    patch: VersionPatch,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's versions")?;
    let row = find_version(&state.db, &model, reference).await?;
    let before = row.fields();
    let after = before.clone().apply(patch)?;
    let changed = before.changed_fields(&after);
    if row.state() == VersionState::Published {
        check_published_change(&row.number().to_string(), &changed)?;
    }
    if !changed.is_empty() {
        let now = db::now();
        let mut tx = db::begin_write(&state.db).await?;
        store_fields(&mut tx, &row.id, &after, &now).await?;
        audit::record(
            &mut tx,
            Some(&caller.user_id),
            "version.update",
            &format!("version:{}", row.id),
            json!({"model": model.name, "version": row.number().to_string(), "fields": changed}),
        )
        .await?;
        tx.commit().await?;
        if after.environment != before.environment {
            refresh_dependencies(state, &row.id).await?;
        }
    }
    version_now(state, &model, row.number()).await
}

/// Freezes a draft's files. Publishing a published version again changes nothing.
pub async fn publish_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "publish this model's versions")?;
    let row = find_version(&state.db, &model, reference).await?;
    if row.registration() != Registration::Ready {
        return Err(conflict(
            "VERSION_NOT_READY",
            format!(
                "Version {} is {}: its uploads did not finish.",
                row.number(),
                row.registration().as_str()
            ),
            "Wait for a pending version, or delete a failed one and upload it again.",
        )
        .into());
    }
    if row.state() == VersionState::Draft {
        let now = db::now();
        let mut tx = db::begin_write(&state.db).await?;
        sqlx::query(
            "UPDATE versions SET state = 'published', published_at = $1, updated_at = $2 WHERE id = $3 AND state = 'draft'",
        )
        .bind(&now)
        .bind(&now)
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        touch_model(&mut tx, &model.id, &now).await?;
        audit::record(
            &mut tx,
            Some(&caller.user_id),
            "version.publish",
            &format!("version:{}", row.id),
            json!({"model": model.name, "version": row.number().to_string()}),
        )
        .await?;
        tx.commit().await?;
    }
    version_now(state, &model, row.number()).await
}

/// Deactivates or reactivates a version. The promoted primary version cannot be deactivated.
pub async fn set_active(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    active: bool,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(
        Role::Editor,
        "deactivate or reactivate this model's versions",
    )?;
    let row = find_version(&state.db, &model, reference).await?;
    if !active {
        let pinned: Option<(Option<String>,)> =
            sqlx::query_as("SELECT primary_version_id FROM models WHERE id = $1")
                .bind(&model.id)
                .fetch_optional(&state.db)
                .await?;
        if pinned.and_then(|p| p.0).as_deref() == Some(row.id.as_str()) {
            return Err(conflict(
                "VERSION_IS_PRIMARY",
                format!("Version {} is the model's promoted primary version.", row.number()),
                "Promote another version first (PUT /api/v1/models/{model}/primary), then deactivate this one.",
            )
            .into());
        }
    }
    if row.active != active {
        let now = db::now();
        let mut tx = db::begin_write(&state.db).await?;
        if !active {
            let number = row.number().to_string();
            aliases::check_no_protected_alias(&mut tx, &model, &row.id, &number, "deactivate")
                .await?;
        }
        sqlx::query("UPDATE versions SET active = $1, updated_at = $2 WHERE id = $3")
            .bind(db::flag(active))
            .bind(&now)
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            Some(&caller.user_id),
            if active {
                "version.activate"
            } else {
                "version.deactivate"
            },
            &format!("version:{}", row.id),
            json!({"model": model.name, "version": row.number().to_string()}),
        )
        .await?;
        tx.commit().await?;
    }
    version_now(state, &model, row.number()).await
}

/// Why a version may not be primary, if it may not.
fn primary_blocker(row: &VersionRow) -> Option<String> {
    let number = row.number();
    if row.registration() != Registration::Ready {
        return Some(format!(
            "Version {number} is {}: its uploads did not finish.",
            row.registration().as_str()
        ));
    }
    if row.state() == VersionState::Draft {
        return Some(format!("Version {number} is a draft."));
    }
    if !row.active {
        return Some(format!("Version {number} is inactive."));
    }
    None
}

/// Promotes a version to primary.
pub async fn promote_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
) -> AppResult<Model> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Owner, "choose this model's primary version")?;
    let row = find_named_version(&state.db, &model, reference, "version").await?;
    if let Some(why) = primary_blocker(&row) {
        return Err(conflict(
            "VERSION_CANNOT_BE_PRIMARY",
            format!("{why} Only a published, active, ready version can be primary."),
            "Publish (and reactivate) the version first, or promote another one.",
        )
        .into());
    }
    let now = db::now();
    let mut tx = db::begin_write(&state.db).await?;
    let previous: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT v.major || '.' || v.minor || '.' || v.patch FROM models m
         JOIN versions v ON v.id = {PRIMARY_VERSION_ID} WHERE m.id = $1"
    ))
    .bind(&model.id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query("UPDATE models SET primary_version_id = $1, updated_at = $2 WHERE id = $3")
        .bind(&row.id)
        .bind(&now)
        .bind(&model.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "version.promote",
        &format!("model:{}", model.id),
        json!({
            "model": model.name,
            "version": row.number().to_string(),
            "from": previous.map(|(v,)| v),
        }),
    )
    .await?;
    tx.commit().await?;
    models::get_model(&state.db, Some(caller), &model.id).await
}

/// Deletes a version for good. Drafts need an Editor; published versions, and the last version
/// (which takes the model with it), need an Owner.
/// With `keep_model`, the model stays (without versions) even when this was its last version:
/// what an abandoned first upload needs.
pub async fn delete_version(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    keep_model: bool,
) -> AppResult<VersionDeleted> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "delete this model's versions")?;
    let row = find_version(&state.db, &model, reference).await?;
    let mut tx = db::begin_write(&state.db).await?;
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM versions WHERE model_id = $1")
        .bind(&model.id)
        .fetch_one(&mut *tx)
        .await?;
    let model_deleted = count <= 1 && !keep_model;
    if model_deleted {
        model.require(
            Role::Owner,
            "delete the only version of this model (which deletes the model)",
        )?;
    } else if row.state() == VersionState::Published {
        model.require(Role::Owner, "delete a published version")?;
    }
    let number = row.number().to_string();
    if model_deleted {
        sqlx::query("DELETE FROM models WHERE id = $1")
            .bind(&model.id)
            .execute(&mut *tx)
            .await?;
    } else {
        aliases::check_no_protected_alias(&mut tx, &model, &row.id, &number, "delete").await?;
        aliases::record_removal_with_version(&mut tx, &model, caller, &row.id, &number).await?;
        sqlx::query("DELETE FROM versions WHERE id = $1")
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        touch_model(&mut tx, &model.id, &db::now()).await?;
    }
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "version.delete",
        &format!("model:{}", model.id),
        json!({"model": model.name, "version": number, "model_deleted": model_deleted}),
    )
    .await?;
    tx.commit().await?;
    Ok(VersionDeleted {
        version: number,
        model_deleted,
    })
}

/// Each metric's latest value (highest step) per version, oldest version first.
pub async fn metric_series(
    state: &AppState,
    caller: Option<&Caller>,
    model_key: &str,
) -> AppResult<Vec<MetricSeries>> {
    let model = find_model(&state.db, caller, model_key).await?;
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT major, minor, patch, metrics FROM versions WHERE model_id = $1 AND metrics <> '[]'
         ORDER BY major DESC, minor DESC, patch DESC LIMIT 200",
    )
    .bind(&model.id)
    .fetch_all(&state.db)
    .await?;
    let mut series: Vec<MetricSeries> = Vec::new();
    for (major, minor, patch, metrics) in rows.into_iter().rev() {
        let number = format!("{major}.{minor}.{patch}");
        let metrics: Vec<Metric> = serde_json::from_str(&metrics).unwrap_or_default();
        let mut last: HashMap<&str, (i64, f64)> = HashMap::new();
        for m in &metrics {
            let step = m.step.unwrap_or(0);
            match last.get(m.key.as_str()) {
                Some((s, _)) if *s > step => {}
                _ => {
                    last.insert(m.key.as_str(), (step, m.value));
                }
            }
        }
        let mut keys: Vec<&&str> = last.keys().collect();
        keys.sort();
        for key in keys {
            let value = last[*key].1;
            let point = MetricPoint {
                version: number.clone(),
                value,
            };
            match series.iter_mut().find(|s| s.key == **key) {
                Some(s) => s.points.push(point),
                None => series.push(MetricSeries {
                    key: (**key).to_owned(),
                    points: vec![point],
                }),
            }
        }
    }
    series.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(series)
}

/// Copies a model with its complete versions (not pending or failed ones), their files and
/// aliases under a new name; the caller owns the copy, which records where it came from. File
/// bytes are shared, not copied. Copying needs Editor on the source: its Owner decides who
/// sees the copy, so a Viewer could otherwise publish a private model's files.
pub async fn copy_model(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    new_name: &str,
) -> AppResult<Model> {
    let source = find_model(&state.db, Some(caller), model_key).await?;
    source.require(Role::Editor, "copy this model")?;
    let name = crate::domain::model::validate_model_name(new_name)?;
    let id = db::new_id();
    let now = db::now();
    let mut tx = db::begin_write(&state.db).await?;
    let copied: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT major, minor, patch FROM versions WHERE model_id = $1 AND registration = 'ready'
         ORDER BY major, minor, patch",
    )
    .bind(&source.id)
    .fetch_all(&mut *tx)
    .await?;
    let copied: Vec<String> = copied
        .into_iter()
        .map(|(major, minor, patch)| format!("{major}.{minor}.{patch}"))
        .collect();
    let copied_from = crate::domain::model::CopySource {
        model_id: source.id.clone(),
        model_name: source.name.clone(),
        versions: copied.clone(),
    };
    let copied_from =
        serde_json::to_string(&copied_from).map_err(|e| AppError::Internal(e.to_string()))?;
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM models WHERE name = $1")
        .bind(&name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(models::name_taken(&name).into());
    }
    sqlx::query(
        "INSERT INTO models (id, name, description, readme, target_type, target_name, class_labels,
            tags, metadata, visibility, archived, created_by, created_at, updated_at, copied_from)
         SELECT $1, $2, description, readme, target_type, target_name, class_labels, tags, metadata,
            'private', 0, $3, $4, $5, $6 FROM models WHERE id = $7",
    )
    .bind(&id)
    .bind(&name)
    .bind(&caller.user_id)
    .bind(&now)
    .bind(&now)
    .bind(&copied_from)
    .bind(&source.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO model_grants (model_id, user_id, role, can_share) VALUES ($1, $2, 'OWNER', 1)",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .execute(&mut *tx)
    .await?;
    // New version ids are derived in SQL so the copy is one statement per table however many
    // versions there are.
    let new_version_id = "lower(hex(randomblob(16)))";
    sqlx::query("CREATE TEMP TABLE IF NOT EXISTS version_copy (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM version_copy")
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO version_copy (old_id, new_id) SELECT id, {new_version_id} FROM versions
         WHERE model_id = $1 AND registration = 'ready'"
    ))
    .bind(&source.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO versions (id, model_id, major, minor, patch, state, registration, active,
            description, metadata, tags, metrics, framework, environment, git, source_uri, run_id,
            dependencies, base_version, created_by, created_at, updated_at, published_at,
            training_dataset_id, holdout_dataset_id, signature, signature_note)
         SELECT c.new_id, $1, major, minor, patch, state, registration, active, description, metadata,
            tags, metrics, framework, environment, git, source_uri, run_id, dependencies,
            base_version, created_by, created_at, updated_at, published_at,
            training_dataset_id, holdout_dataset_id, signature, signature_note
         FROM versions v JOIN version_copy c ON c.old_id = v.id",
    )
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO version_files (version_id, path, sha256, size, content_type, created_at)
         SELECT c.new_id, f.path, f.sha256, f.size, f.content_type, f.created_at
         FROM version_files f JOIN version_copy c ON c.old_id = f.version_id",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO aliases (model_id, name, version_id, protected, updated_by, updated_at)
         SELECT $1, a.name, c.new_id, a.protected, $2, $3 FROM aliases a
         JOIN version_copy c ON c.old_id = a.version_id WHERE a.model_id = $4",
    )
    .bind(&id)
    .bind(&caller.user_id)
    .bind(&now)
    .bind(&source.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE models SET primary_version_id = (SELECT c.new_id FROM version_copy c
            WHERE c.old_id = (SELECT primary_version_id FROM models WHERE id = $1)) WHERE id = $2",
    )
    .bind(&source.id)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM version_copy")
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "model.copy",
        &format!("model:{id}"),
        json!({"name": name, "source": source.name, "source_id": source.id, "versions": copied}),
    )
    .await?;
    tx.commit().await?;
    models::get_model(&state.db, Some(caller), &id).await
}

/// Versions left pending by a process that died are marked failed, so they never become
/// primary and their owners can see what happened. Returns how many.
pub async fn fail_stale_pending(pool: &AnyPool, older_than: &str) -> AppResult<u64> {
    let done = sqlx::query(
        "UPDATE versions SET registration = 'failed' WHERE registration = 'pending' AND updated_at < $1",
    )
    .bind(older_than)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
