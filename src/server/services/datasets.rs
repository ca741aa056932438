//! Datasets: CSV files kept in the blob store and read once, when uploaded, for their columns
//! (names, inferred types, missing values, ranges), row count and first rows; who may see and
//! delete them; and the training and holdout data assigned to versions.
//!
//! A dataset is seen by its uploader, by admins, and by everyone who can see a model with a
//! version that uses it. Anyone else gets "not found", so its existence does not leak.

use crate::domain::dataset::{
    ColumnStats, Dataset, DatasetDetail, DatasetQuery, DatasetRef, DatasetUse, PREVIEW_ROWS,
    TrainingDataRequest, check_column_count, check_column_names, dataset_name, preview_cell,
};
use crate::domain::error::ApiError;
use crate::domain::model::{Role, preview};
use crate::domain::paging::{MAX_LIMIT, Page, Paging};
use crate::domain::version::Version;
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::db::QueryBuilder;
use crate::server::error::{AppError, AppResult};
use crate::server::services::files::put_error;
use crate::server::services::models::{self, ModelRef, find_model};
use crate::server::services::sweep::discard_refused;
use crate::server::services::uploads::{drain_multipart, multipart_error, read_text};
use crate::server::services::versions::{VersionRow, find_version, record_blob, to_version};
use crate::server::state::AppState;
use crate::server::storage::StoredBlob;
use axum::extract::Multipart;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

/// The largest `name` form field read.
const MAX_NAME_FIELD_BYTES: usize = 4096;
/// A row (the header included) longer than this is refused: it bounds what one row holds in
/// memory while the file is read.
const MAX_ROW_BYTES: u64 = 16 * 1024 * 1024;
/// Preview rows stop once their cells add up to this many bytes (the first row is always kept).
const MAX_PREVIEW_BYTES: usize = 1024 * 1024;
/// At most this many versions are named when a dataset in use cannot be deleted.
const MAX_USES_NAMED: usize = 10;

const DATASET_COLUMNS: &str = "d.id, d.name, d.sha256, d.size, d.row_count, d.columns, d.preview,
    d.created_by AS creator_id, u.username AS created_by, d.created_at";

#[derive(sqlx::FromRow)]
struct DatasetRow {
    id: String,
    name: String,
    sha256: String,
    size: i64,
    row_count: i64,
    columns: String,
    preview: String,
    creator_id: String,
    created_by: String,
    created_at: String,
}

impl DatasetRow {
    fn into_dataset(self, with_preview: bool) -> Dataset {
        Dataset {
            columns: serde_json::from_str(&self.columns).unwrap_or_default(),
            preview: with_preview.then(|| serde_json::from_str(&self.preview).unwrap_or_default()),
            id: self.id,
            name: self.name,
            row_count: u64::try_from(self.row_count).unwrap_or_default(),
            size: u64::try_from(self.size).unwrap_or_default(),
            sha256: self.sha256,
            created_by: self.created_by,
            created_at: db::parse_time(&self.created_at),
        }
    }

    fn reference(&self) -> DatasetRef {
        DatasetRef {
            id: self.id.clone(),
            name: self.name.clone(),
        }
    }
}

fn select_datasets() -> QueryBuilder<'static> {
    QueryBuilder::new(format!(
        "SELECT {DATASET_COLUMNS} FROM datasets d JOIN users u ON u.id = d.created_by"
    ))
}

pub(crate) fn dataset_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        "DATASET_NOT_FOUND",
        format!("No dataset with the id '{}'.", preview(id)),
        "Check the id, or list the datasets you can see with GET /api/v1/datasets.",
    )
}

/// Restricts a query on `datasets d` to what the caller may see: their own, everything for an
/// admin, and whatever a version of a model they can see uses.
fn push_visible_to(q: &mut QueryBuilder<'_>, caller: &Caller) {
    if caller.is_admin {
        q.push(" 1 = 1 ");
        return;
    }
    q.push(" (d.created_by = ");
    q.push_bind(caller.user_id.clone());
    q.push(
        " OR EXISTS (SELECT 1 FROM versions uv JOIN models m ON m.id = uv.model_id
          WHERE (uv.training_dataset_id = d.id OR uv.holdout_dataset_id = d.id) AND ",
    );
    models::push_visible_to(q, Some(caller));
    q.push(")) ");
}

async fn find_visible(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> AppResult<DatasetRow> {
    let mut q = select_datasets();
    q.push(" WHERE d.id = ");
    q.push_bind(id.to_owned());
    q.push(" AND ");
    push_visible_to(&mut q, caller);
    let row: Option<DatasetRow> = q.build_query_as().fetch_optional(conn).await?;
    row.ok_or_else(|| dataset_not_found(id).into())
}

/// A dataset named in a request body (`field`): missing or invisible is 422 naming the field.
async fn find_named(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    field: &str,
) -> AppResult<DatasetRow> {
    find_visible(conn, caller, id).await.map_err(|e| {
        let mut e = e.into_api_error();
        if e.status == 404 {
            e.status = 422;
            e.field = Some(field.to_owned());
        }
        e.into()
    })
}

// ---------------------------------------------------------------------------------------------
// Reading a CSV file

/// What reading a CSV file found.
#[derive(Debug)]
pub(crate) struct CsvProfile {
    pub columns: Vec<crate::domain::dataset::Column>,
    pub row_count: u64,
    pub preview: Vec<Vec<String>>,
}

/// The marker of a row longer than the limit, carried through the CSV reader as an I/O error.
#[derive(Debug)]
struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a row is too long")
    }
}

impl std::error::Error for RowTooLong {}

/// Counts the bytes handed to the CSV reader since the last row it finished, and stops it when
/// one row grows past the limit (the reader would otherwise buffer it whole).
struct RowGuard<R> {
    inner: R,
    since_row: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for RowGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_row.get() > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                RowTooLong,
            ));
        }
        let n = self.inner.read(buf)?;
        self.since_row.set(self.since_row.get() + n as u64);
        Ok(n)
    }
}

fn invalid_file(code: &str, msg: String, solution: impl Into<String>) -> AppError {
    ApiError::invalid("file", code, msg, solution).into()
}

fn bad_encoding(line: u64, column: Option<&str>) -> AppError {
    let place = match column {
        Some(c) => format!(" (in the column '{}')", preview(c)),
        None => " (the header row)".to_owned(),
    };
    invalid_file(
        "DATASET_BAD_ENCODING",
        format!("Line {line} is not valid UTF-8 text{place}."),
        "Save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8'; in pandas: to_csv(..., encoding='utf-8')) and upload it again.",
    )
}

/// Reads the next record; false at the end of the input.
fn next_record<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    next_line: u64,
    limit: u64,
) -> AppResult<bool> {
    reader.read_byte_record(record).map_err(|e| match e.kind() {
        csv::ErrorKind::Io(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<RowTooLong>()) =>
        {
            invalid_file(
                "DATASET_ROW_TOO_LONG",
                format!(
                    "The row starting at line {next_line} is longer than {} MiB.",
                    limit / (1024 * 1024)
                ),
                "Check that the file is a CSV file with one row per line, and that quotes are closed.",
            )
        }
        _ => AppError::Internal(format!("reading a dataset: {e}")),
    })
}

/// Reads a whole CSV file: the header row names the columns (each once), every other row is
/// data with as many fields. Each column's type is inferred from all its values; the first
/// [`PREVIEW_ROWS`] rows are kept as text. Malformed input is a 422 naming the line.
pub(crate) fn profile_csv<R: Read>(input: R, max_row_bytes: u64) -> AppResult<CsvProfile> {
    let since_row = Rc::new(Cell::new(0u64));
    let guarded = RowGuard {
        inner: input,
        since_row: Rc::clone(&since_row),
        limit: max_row_bytes,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(guarded);
    let mut record = csv::ByteRecord::new();
    let line_of = |record: &csv::ByteRecord| record.position().map_or(0, csv::Position::line);

    if !next_record(&mut reader, &mut record, 1, max_row_bytes)? {
        return Err(invalid_file(
            "DATASET_EMPTY",
            "The file is empty.".to_owned(),
            "Upload a CSV file with a header row naming the columns and at least one data row.",
        ));
    }
    since_row.set(0);
    let header_line = line_of(&record);
    check_column_count(record.len())?;
    let mut names = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        // A UTF-8 byte order mark is not part of the first name (the reader usually drops it).
        let field = if i == 0 {
            field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
        } else {
            field
        };
        let name = std::str::from_utf8(field).map_err(|_| bad_encoding(header_line, None))?;
        names.push(name.to_owned());
    }
    check_column_names(&names)?;

    let mut stats: Vec<ColumnStats> = names.iter().map(|n| ColumnStats::new(n)).collect();
    let mut row_count = 0u64;
    let mut preview = Vec::new();
    let mut preview_bytes = 0usize;
    let mut next_line = reader.position().line();
    while next_record(&mut reader, &mut record, next_line, max_row_bytes)? {
        since_row.set(0);
        next_line = reader.position().line();
        let line = line_of(&record);
        if record.len() != names.len() {
            return Err(invalid_file(
                "DATASET_RAGGED_ROW",
                format!(
                    "Line {line} has {} field{}, the header has {}.",
                    record.len(),
                    if record.len() == 1 { "" } else { "s" },
                    names.len()
                ),
                format!(
                    "Every row needs as many fields as the header row. Check line {line} for a missing or extra comma, and quote values that contain commas."
                ),
            ));
        }
        let keep = preview.len() < PREVIEW_ROWS
            && (preview.is_empty() || preview_bytes < MAX_PREVIEW_BYTES);
        let mut cells = Vec::with_capacity(if keep { names.len() } else { 0 });
        for (i, field) in record.iter().enumerate() {
            let value =
                std::str::from_utf8(field).map_err(|_| bad_encoding(line, Some(&names[i])))?;
            stats[i].observe(value);
            if keep {
                let cell = preview_cell(value);
                preview_bytes += cell.len();
                cells.push(cell);
            }
        }
        if keep {
            preview.push(cells);
        }
        row_count += 1;
    }
    if row_count == 0 {
        return Err(invalid_file(
            "DATASET_EMPTY",
            "The file has a header row but no data rows.".to_owned(),
            "Upload a CSV file with at least one data row under the header row.",
        ));
    }
    Ok(CsvProfile {
        columns: stats.into_iter().map(ColumnStats::finish).collect(),
        row_count,
        preview,
    })
}

/// Reads a stored blob as CSV, off the async threads.
async fn profile_blob(state: &AppState, sha256: &str) -> AppResult<CsvProfile> {
    let data = state
        .blobs
        .local_file(sha256)
        .await
        .map_err(|e| AppError::Internal(format!("reading dataset blob {sha256}: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let path = data.path();
        let file = std::fs::File::open(path)
            .map_err(|e| AppError::Internal(format!("opening {}: {e}", path.display())))?;
        profile_csv(file, MAX_ROW_BYTES)
    })
    .await
    .map_err(|e| AppError::Internal(format!("reading a dataset: {e}")))?
}

// ---------------------------------------------------------------------------------------------
// Creating, listing, reading and deleting

/// Creates a dataset from a `multipart/form-data` upload: a `file` part (the CSV) and an
/// optional `name` field (else the file's name without `.csv`). The file streams into the blob
/// store (bounded by the upload limit: 413 beyond), is then read whole, and the dataset exists
/// only if all of that succeeded.
pub async fn create_from_multipart(
    state: &AppState,
    caller: &Caller,
    mut multipart: Multipart,
) -> AppResult<Dataset> {
    let mut given_name: Option<String> = None;
    let mut upload: Option<(Option<String>, StoredBlob)> = None;
    let result: AppResult<()> = async {
        while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
            let field_name = field.name().unwrap_or_default().to_owned();
            match field_name.as_str() {
                "file" => {
                    let file_name = field.file_name().map(str::to_owned);
                    // A file input left empty is sent as a part with an empty file name.
                    if file_name.as_deref() == Some("") {
                        continue;
                    }
                    if upload.is_some() {
                        return Err(invalid_file(
                            "DATASET_ONE_FILE",
                            "The upload has more than one file.".to_owned(),
                            "Send one CSV file per dataset.",
                        ));
                    }
                    let shown = file_name.clone().unwrap_or_else(|| "file".to_owned());
                    let blob = state
                        .blobs
                        .put_stream(field, state.settings.max_upload_bytes)
                        .await
                        .map_err(|e| put_error(&shown, e))?;
                    upload = Some((file_name, blob));
                }
                "name" => {
                    let value = read_text(field, "name", MAX_NAME_FIELD_BYTES).await?;
                    // Checked at once, so a bad name is refused before a large file is stored.
                    if !value.trim().is_empty() {
                        dataset_name(Some(&value), None)?;
                    }
                    given_name = Some(value);
                }
                other => {
                    return Err(ApiError::invalid(
                        other,
                        "UNKNOWN_FIELD",
                        format!(
                            "The form field '{}' is not part of a dataset upload.",
                            preview(other)
                        ),
                        "Send the CSV file as the part 'file' and, if you like, a 'name'.",
                    )
                    .into());
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        drain_multipart(&mut multipart).await;
        if let Some((_, blob)) = upload {
            discard_refused(&state.db, &state.blobs, &[blob]).await;
        }
        return Err(e);
    }
    let Some((file_name, blob)) = upload else {
        return Err(invalid_file(
            "DATASET_FILE_MISSING",
            "The upload has no file.".to_owned(),
            "Choose a CSV file (the multipart part 'file').",
        ));
    };
    match dataset_name(given_name.as_deref(), file_name.as_deref()) {
        Ok(name) => create_from_blob(state, caller, &name, blob).await,
        Err(e) => {
            discard_refused(&state.db, &state.blobs, &[blob]).await;
            Err(e.into())
        }
    }
}

/// Reads a stored file as CSV and records the dataset. The bytes of a file that is not a valid
/// dataset are removed again (unless something else holds the same bytes).
pub(crate) async fn create_from_blob(
    state: &AppState,
    caller: &Caller,
    name: &str,
    blob: StoredBlob,
) -> AppResult<Dataset> {
    let created = record_dataset(state, caller, name, &blob).await;
    if created.is_err() {
        discard_refused(&state.db, &state.blobs, &[blob]).await;
    }
    created
}

async fn record_dataset(
    state: &AppState,
    caller: &Caller,
    name: &str,
    blob: &StoredBlob,
) -> AppResult<Dataset> {
    let profile = profile_blob(state, &blob.sha256).await?;
    let id = db::new_id();
    let now = db::now();
    let columns = serde_json::to_string(&profile.columns)
        .map_err(|e| AppError::Internal(format!("columns as JSON: {e}")))?;
    let preview_rows = serde_json::to_string(&profile.preview)
        .map_err(|e| AppError::Internal(format!("preview as JSON: {e}")))?;
    let mut tx = db::begin_write(&state.db).await?;
    record_blob(&mut tx, blob, &now).await?;
    sqlx::query(
        "INSERT INTO datasets (id, name, sha256, size, row_count, columns, preview, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(name)
    .bind(&blob.sha256)
    .bind(i64::try_from(blob.size).unwrap_or(i64::MAX))
    .bind(i64::try_from(profile.row_count).unwrap_or(i64::MAX))
    .bind(&columns)
    .bind(&preview_rows)
    .bind(&caller.user_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "dataset.create",
        &format!("dataset:{id}"),
        json!({
            "name": name,
            "rows": profile.row_count,
            "columns": profile.columns.len(),
            "size": blob.size,
            "sha256": blob.sha256,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Dataset {
        id,
        name: name.to_owned(),
        columns: profile.columns,
        row_count: profile.row_count,
        size: blob.size,
        sha256: blob.sha256.clone(),
        created_by: caller.username.clone(),
        created_at: db::parse_time(&now),
        preview: Some(profile.preview),
    })
}

fn page_url(base: &str, search: Option<&str>, offset: i64, limit: i64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    if let Some(search) = search {
        s.append_pair("search", search);
    }
    s.append_pair("offset", &offset.to_string());
    s.append_pair("limit", &limit.to_string());
    format!("{base}?{}", s.finish())
}

/// The datasets the caller can see, newest first; `search` matches the name ignoring case.
pub async fn list_datasets(
    pool: &AnyPool,
    caller: &Caller,
    query: &DatasetQuery,
    base_url: &str,
) -> AppResult<Page<Dataset>> {
    let paging = Paging::new(query.offset, query.limit)?;
    let search = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let filters = |q: &mut QueryBuilder<'_>| {
        q.push(" WHERE ");
        push_visible_to(q, caller);
        if let Some(search) = search {
            q.push(" AND instr(lower(d.name), ");
            q.push_bind(search.to_lowercase());
            q.push(") > 0");
        }
    };
    let mut count = QueryBuilder::new("SELECT COUNT(*) FROM datasets d");
    filters(&mut count);
    let (total,): (i64,) = count.build_query_as().fetch_one(pool).await?;
    let mut select = select_datasets();
    filters(&mut select);
    select.push(" ORDER BY d.created_at DESC, d.id LIMIT ");
    select.push_bind(paging.limit);
    select.push(" OFFSET ");
    select.push_bind(paging.offset);
    let rows: Vec<DatasetRow> = select.build_query_as().fetch_all(pool).await?;
    let data = rows.into_iter().map(|r| r.into_dataset(false)).collect();
    Ok(paging.page(data, total, |offset, limit| {
        page_url(base_url, search, offset, limit)
    }))
}

/// The datasets the caller can see, as names to choose from (newest first, at most
/// [`MAX_LIMIT`]).
pub async fn dataset_choices(pool: &AnyPool, caller: &Caller) -> AppResult<Vec<DatasetRef>> {
    let mut q = QueryBuilder::new("SELECT d.id, d.name FROM datasets d WHERE ");
    push_visible_to(&mut q, caller);
    q.push(" ORDER BY d.created_at DESC, d.id LIMIT ");
    q.push_bind(MAX_LIMIT);
    let rows: Vec<(String, String)> = q.build_query_as().fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| DatasetRef { id, name })
        .collect())
}

/// The versions that use a dataset; with a caller, only those of models the caller can see.
async fn uses_of(
    conn: &mut AnyConnection,
    dataset_id: &str,
    caller: Option<&Caller>,
) -> AppResult<Vec<DatasetUse>> {
    let mut q = QueryBuilder::new(
        "SELECT m.name, v.major || '.' || v.minor || '.' || v.patch,
            CASE WHEN v.training_dataset_id = ",
    );
    q.push_bind(dataset_id.to_owned());
    q.push(" THEN 1 ELSE 0 END, CASE WHEN v.holdout_dataset_id = ");
    q.push_bind(dataset_id.to_owned());
    q.push(
        " THEN 1 ELSE 0 END FROM versions v JOIN models m ON m.id = v.model_id
         WHERE (v.training_dataset_id = ",
    );
    q.push_bind(dataset_id.to_owned());
    q.push(" OR v.holdout_dataset_id = ");
    q.push_bind(dataset_id.to_owned());
    q.push(")");
    if let Some(caller) = caller {
        q.push(" AND ");
        models::push_visible_to(&mut q, Some(caller));
    }
    q.push(" ORDER BY m.name COLLATE NOCASE, v.major DESC, v.minor DESC, v.patch DESC LIMIT ");
    q.push_bind(MAX_LIMIT);
    let rows: Vec<(String, String, db::Flag, db::Flag)> =
        q.build_query_as().fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(model, version, training, holdout)| DatasetUse {
            model,
            version,
            training: training.0,
            holdout: holdout.0,
        })
        .collect())
}

/// One dataset with its preview and the versions (the caller can see) that use it.
pub async fn get_dataset(pool: &AnyPool, caller: &Caller, id: &str) -> AppResult<DatasetDetail> {
    let mut conn = pool.acquire().await?;
    let row = find_visible(&mut conn, caller, id).await?;
    let used_by = uses_of(&mut conn, &row.id, Some(caller)).await?;
    Ok(DatasetDetail {
        dataset: row.into_dataset(true),
        used_by,
    })
}

/// Deletes a dataset: its uploader or an admin, and only while no version uses it (409
/// `DATASET_IN_USE`, naming the versions the caller can see). Its file goes with the next sweep.
pub async fn delete_dataset(pool: &AnyPool, caller: &Caller, id: &str) -> AppResult<()> {
    let mut tx = db::begin_write(pool).await?;
    let row = find_visible(&mut tx, caller, id).await?;
    if !caller.is_admin && row.creator_id != caller.user_id {
        return Err(ApiError::new(
            403,
            "FORBIDDEN",
            format!(
                "Only {}, who uploaded the dataset '{}', or an admin may delete it.",
                row.created_by, row.name
            ),
            format!("Ask {} or an admin to delete it.", row.created_by),
        )
        .into());
    }
    let (in_use,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM versions WHERE training_dataset_id = $1 OR holdout_dataset_id = $2",
    )
    .bind(&row.id)
    .bind(&row.id)
    .fetch_one(&mut *tx)
    .await?;
    if in_use > 0 {
        let seen = uses_of(&mut tx, &row.id, Some(caller)).await?;
        let mut named: Vec<String> = seen
            .iter()
            .take(MAX_USES_NAMED)
            .map(DatasetUse::describe)
            .collect();
        let unnamed = usize::try_from(in_use)
            .unwrap_or_default()
            .saturating_sub(named.len());
        if unnamed > 0 {
            let hidden = usize::try_from(in_use)
                .unwrap_or_default()
                .saturating_sub(seen.len());
            named.push(if hidden == unnamed {
                format!(
                    "{unnamed} version{} of models you cannot see",
                    if unnamed == 1 { "" } else { "s" }
                )
            } else {
                format!("{unnamed} more")
            });
        }
        return Err(ApiError::new(
            409,
            "DATASET_IN_USE",
            format!(
                "The dataset '{}' is used by {}.",
                row.name,
                named.join(", ")
            ),
            "Give those versions other training or holdout data, or clear theirs (on the version page, or DELETE /api/v1/models/{model}/versions/{version}/training-data), then delete the dataset.",
        )
        .into());
    }
    sqlx::query("DELETE FROM datasets WHERE id = $1")
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "dataset.delete",
        &format!("dataset:{}", row.id),
        json!({"name": row.name, "sha256": row.sha256}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Training and holdout data

fn target_not_in(dataset: &DatasetRow, target: &str, field: &str) -> Option<ApiError> {
    let columns: Vec<crate::domain::dataset::Column> =
        serde_json::from_str(&dataset.columns).unwrap_or_default();
    if columns.iter().any(|c| c.name == target) {
        return None;
    }
    const SHOWN: usize = 8;
    let mut available: Vec<String> = columns
        .iter()
        .take(SHOWN)
        .map(|c| format!("'{}'", preview(&c.name)))
        .collect();
    if columns.len() > SHOWN {
        available.push(format!("and {} more", columns.len() - SHOWN));
    }
    let near = columns
        .iter()
        .find(|c| c.name.trim().eq_ignore_ascii_case(target.trim()))
        .map(|c| {
            format!(
                " Did you mean '{}'? Column names must match exactly.",
                c.name
            )
        })
        .unwrap_or_default();
    Some(ApiError::invalid(
        field,
        "TARGET_NOT_IN_DATASET",
        format!(
            "The dataset '{}' has no column '{}', the model's target. Its columns are {}.{near}",
            dataset.name,
            preview(target),
            available.join(", ")
        ),
        "Choose a dataset that has the target column, or change the model's target name on its Edit page (or with PATCH /api/v1/models/{model}).",
    ))
}

/// The version as it is now, after a change made through `model`.
async fn version_after(state: &AppState, model: &ModelRef, row: &VersionRow) -> AppResult<Version> {
    let row = find_version(&state.db, model, &row.number().to_string()).await?;
    to_version(state, row).await
}

/// Assigns a version's training data (and holdout data, if given). Editors and above; the
/// caller must be able to see the datasets, and the model's target column must be in each.
/// Published versions too: this is data to analyse the version with, not one of its files.
pub async fn set_training_data(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
    request: TrainingDataRequest,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's training data")?;
    let row = find_version(&state.db, &model, reference).await?;
    let training_id = request.dataset_id.trim();
    if training_id.is_empty() {
        return Err(ApiError::invalid(
            "dataset_id",
            "DATASET_REQUIRED",
            "No training dataset was chosen.",
            "Give the id of a dataset you can see (GET /api/v1/datasets lists them).",
        )
        .into());
    }
    let holdout_id = request
        .holdout_dataset_id
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty());
    if holdout_id == Some(training_id) {
        return Err(ApiError::invalid(
            "holdout_dataset_id",
            "HOLDOUT_IS_TRAINING_DATA",
            "The holdout data is the training data.",
            "Holdout data must be kept out of training: choose another dataset, or none.",
        )
        .into());
    }
    let mut tx = db::begin_write(&state.db).await?;
    let training = find_named(&mut tx, caller, training_id, "dataset_id").await?;
    let holdout = match holdout_id {
        Some(id) => Some(find_named(&mut tx, caller, id, "holdout_dataset_id").await?),
        None => None,
    };
    let target: Option<(String,)> = sqlx::query_as("SELECT target_name FROM models WHERE id = $1")
        .bind(&model.id)
        .fetch_optional(&mut *tx)
        .await?;
    let target = target.map(|(t,)| t).unwrap_or_default();
    if target.trim().is_empty() {
        return Err(ApiError::new(
            422,
            "MODEL_HAS_NO_TARGET",
            format!(
                "The model '{}' has no target column set, so its training data cannot be checked.",
                model.name
            ),
            format!(
                "Set the model's target name first: on its Edit page, or with PATCH /api/v1/models/{} and {{\"target_name\": \"<column>\"}}.",
                model.name
            ),
        )
        .into());
    }
    if let Some(e) = target_not_in(&training, &target, "dataset_id") {
        return Err(e.into());
    }
    if let Some(e) = holdout
        .as_ref()
        .and_then(|h| target_not_in(h, &target, "holdout_dataset_id"))
    {
        return Err(e.into());
    }
    sqlx::query(
        "UPDATE versions SET training_dataset_id = $1, holdout_dataset_id = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(&training.id)
    .bind(holdout.as_ref().map(|h| h.id.clone()))
    .bind(db::now())
    .bind(&row.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Some(&caller.user_id),
        "version.training_data",
        &format!("version:{}", row.id),
        json!({
            "model": model.name,
            "version": row.number().to_string(),
            "dataset": training.reference(),
            "holdout": holdout.as_ref().map(DatasetRow::reference),
        }),
    )
    .await?;
    tx.commit().await?;
    version_after(state, &model, &row).await
}

/// Removes a version's training and holdout data. Editors and above.
pub async fn clear_training_data(
    state: &AppState,
    caller: &Caller,
    model_key: &str,
    reference: &str,
) -> AppResult<Version> {
    let model = find_model(&state.db, Some(caller), model_key).await?;
    model.require(Role::Editor, "change this model's training data")?;
    let row = find_version(&state.db, &model, reference).await?;
    let mut tx = db::begin_write(&state.db).await?;
    let changed = sqlx::query(
        "UPDATE versions SET training_dataset_id = NULL, holdout_dataset_id = NULL, updated_at = $1
         WHERE id = $2 AND (training_dataset_id IS NOT NULL OR holdout_dataset_id IS NOT NULL)",
    )
    .bind(db::now())
    .bind(&row.id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() > 0 {
        audit::record(
            &mut tx,
            Some(&caller.user_id),
            "version.training_data",
            &format!("version:{}", row.id),
            json!({
                "model": model.name,
                "version": row.number().to_string(),
                "dataset": null,
                "holdout": null,
            }),
        )
        .await?;
    }
    tx.commit().await?;
    version_after(state, &model, &row).await
}

// ---------------------------------------------------------------------------------------------
// For jobs (no access check: the caller has already decided)

/// One dataset with its columns and `sha256` (its file is `state.blobs.local_file(&sha256)`);
/// without the preview. 404 `DATASET_NOT_FOUND` if there is none.
pub async fn load(pool: &AnyPool, id: &str) -> AppResult<Dataset> {
    let mut q = select_datasets();
    q.push(" WHERE d.id = ");
    q.push_bind(id.to_owned());
    let row: Option<DatasetRow> = q.build_query_as().fetch_optional(pool).await?;
    row.map(|r| r.into_dataset(false))
        .ok_or_else(|| dataset_not_found(id).into())
}

/// A version's training data, as [`load`] gives it; `None` when the version has none (or does
/// not exist).
pub async fn training_data_of(pool: &AnyPool, version_id: &str) -> AppResult<Option<Dataset>> {
    let id: Option<(Option<String>,)> =
        sqlx::query_as("SELECT training_dataset_id FROM versions WHERE id = $1")
            .bind(version_id)
            .fetch_optional(pool)
            .await?;
    match id.and_then(|(id,)| id) {
        Some(id) => load(pool, &id).await.map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dataset::ColumnType;

    fn profile(text: &[u8]) -> AppResult<CsvProfile> {
        profile_csv(text, MAX_ROW_BYTES)
    }

    fn error(text: &[u8]) -> ApiError {
        profile(text).expect_err("invalid").into_api_error()
    }

    #[test]
    fn columns_rows_and_preview_are_read() {
        let p = profile(
            b"\xEF\xBB\xBFage,colour,smoker,note\n1,red,yes,\"a, b\"\n2.5,blue,no,NA\n,red,yes,x\n",
        )
        .expect("valid");
        assert_eq!(p.row_count, 3);
        let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["age", "colour", "smoker", "note"]);
        assert_eq!(p.columns[0].column_type, ColumnType::Numeric);
        assert_eq!(p.columns[0].missing_count, 1);
        assert_eq!(p.columns[1].column_type, ColumnType::Categorical);
        assert_eq!(p.columns[2].column_type, ColumnType::Boolean);
        assert_eq!(p.columns[3].missing_count, 1);
        assert_eq!(p.preview[0], ["1", "red", "yes", "a, b"]);
        assert_eq!(p.preview.len(), 3);
    }

    #[test]
    fn the_preview_keeps_the_first_rows() {
        let mut text = String::from("n\n");
        for i in 0..100 {
            text.push_str(&format!("{i}\n"));
        }
        let p = profile(text.as_bytes()).expect("valid");
        assert_eq!(p.row_count, 100);
        assert_eq!(p.preview.len(), PREVIEW_ROWS);
        assert_eq!(
            p.preview[PREVIEW_ROWS - 1],
            [(PREVIEW_ROWS - 1).to_string()]
        );
    }

    #[test]
    fn ragged_rows_name_their_line() {
        let e = error(b"a,b,c\n1,2,3\n4,5\n");
        assert_eq!(e.error_code, "DATASET_RAGGED_ROW");
        assert_eq!(e.error_msg, "Line 3 has 2 fields, the header has 3.");
        // Lines inside quotes count.
        let e = error(b"a,b\n\"x\ny\",1\n1,2,3\n");
        assert!(
            e.error_msg.starts_with("Line 4 has 3 fields"),
            "{}",
            e.error_msg
        );
    }

    #[test]
    fn bad_encoding_names_its_line() {
        let e = error(b"a,b\n1,2\n3,caf\xe9\n");
        assert_eq!(e.error_code, "DATASET_BAD_ENCODING");
        assert!(
            e.error_msg.contains("Line 3") && e.error_msg.contains("'b'"),
            "{}",
            e.error_msg
        );
        assert!(e.solution_msg.contains("UTF-8"));
        let e = error(b"caf\xe9,b\n1,2\n");
        assert!(e.error_msg.contains("Line 1"), "{}", e.error_msg);
    }

    #[test]
    fn empty_files_and_header_rows_alone_are_refused() {
        for text in [&b""[..], b"\n\n", b"a,b\n", b"a,b"] {
            assert_eq!(error(text).error_code, "DATASET_EMPTY", "{text:?}");
        }
    }

    #[test]
    fn headers_need_names() {
        let e = error(b"a,,c\n1,2,3\n");
        assert_eq!(e.error_code, "DATASET_BAD_HEADER");
        let e = error(b"a,b,a\n1,2,3\n");
        assert!(e.error_msg.contains("'a'"), "{}", e.error_msg);
    }

    #[test]
    fn a_row_longer_than_the_limit_is_refused() {
        let mut text = b"a,b\n1,2\n\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 100_000));
        text.extend(b"\",3\n");
        let e = profile_csv(&text[..], 10_000)
            .expect_err("too long")
            .into_api_error();
        assert_eq!(e.error_code, "DATASET_ROW_TOO_LONG");
        assert!(e.error_msg.contains("line 3"), "{}", e.error_msg);
    }

    #[test]
    fn the_fixtures_read_as_expected() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feature_impact");
        let diabetes = std::fs::File::open(root.join("diabetes.csv")).expect("fixture");
        let p = profile_csv(diabetes, MAX_ROW_BYTES).expect("valid");
        assert_eq!(p.row_count, 442);
        assert_eq!(p.columns.len(), 11);
        assert!(
            p.columns
                .iter()
                .all(|c| c.column_type == ColumnType::Numeric)
        );
        let cancer = std::fs::File::open(root.join("breast_cancer.csv")).expect("fixture");
        let p = profile_csv(cancer, MAX_ROW_BYTES).expect("valid");
        assert_eq!(p.row_count, 569);
        assert_eq!(p.columns[0].name, "mean radius");
        assert_eq!(p.columns.len(), 31);
    }
}
