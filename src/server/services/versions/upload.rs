//! The pending → ready protocol of a new version: its number and row first, then its files,
//! then ready (or abandoned), and the versions a crashed process left pending.
use super::*;
use crate::domain::error::codes;

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
            codes::DELETE_PATHS_WITHOUT_BASE,
            "delete_paths removes files inherited from a base version, but no base_version was given.",
            "Give base_version, or leave delete_paths out.",
        )
        .into());
    }
    if delete_paths.len() > version::MAX_DELETE_PATHS {
        return Err(ApiError::invalid(
            "delete_paths",
            codes::INVALID_FILE_PATH,
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
                codes::FILE_NOT_FOUND,
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
pub(super) async fn store_fields(
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

pub(super) async fn touch_model(
    conn: &mut AnyConnection,
    model_id: &str,
    now: &str,
) -> AppResult<()> {
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
        codes::TOO_MANY_FILES,
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
