//! Datasets: CSV files kept in the blob store and read once, when uploaded, for their columns
//! (names, inferred types, missing values, ranges), row count and first rows; who may delete
//! them; and the training and holdout data assigned to versions.
//!
//! Who may see a dataset is the rule of [`visibility`](crate::server::services::visibility): its
//! uploader, admins, and everyone who can see a model with a version that uses it. Anyone else
//! gets "not found", so its existence does not leak.

use crate::domain::dataset::{
    ColumnStats, Dataset, DatasetDetail, DatasetQuery, DatasetRef, DatasetUse, PREVIEW_ROWS,
    TrainingDataRequest, check_column_count, check_column_names, dataset_name, preview_cell,
};
use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::domain::model::{Role, preview};
use crate::domain::paging::{MAX_LIMIT, Page, Paging};
use crate::domain::version::Version;
use crate::server::audit;
use crate::server::auth::Caller;
use crate::server::db;
use crate::server::db::QueryBuilder;
use crate::server::error::{AppError, AppResult};
use crate::server::services::files::put_error;
use crate::server::services::form_parts::FormParts;
use crate::server::services::models::{ModelRef, find_model};
use crate::server::services::sweep::discard_refused;
use crate::server::services::versions::{
    VersionRow, find_version, record_blob, record_version_event, to_version,
};
use crate::server::services::visibility::{push_visible_datasets, push_visible_models};
use crate::server::state::AppState;
use crate::server::storage::StoredBlob;
use serde_json::json;
use sqlx::{AnyConnection, AnyPool};
use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

mod profile;
mod training;
mod upload;

pub(crate) use profile::*;
pub use training::*;
pub use upload::*;

/// The largest `name` form field read.
pub(super) const MAX_NAME_FIELD_BYTES: usize = 4096;
/// A row (the header included) longer than this is refused: it bounds what one row holds in
/// memory while the file is read.
pub(super) const MAX_ROW_BYTES: u64 = 16 * 1024 * 1024;
/// Preview rows stop once their cells add up to this many bytes (the first row is always kept).
pub(super) const MAX_PREVIEW_BYTES: usize = 1024 * 1024;
/// At most this many versions are named when a dataset in use cannot be deleted.
pub(super) const MAX_USES_NAMED: usize = 10;

pub(super) const DATASET_COLUMNS: &str =
    "d.id, d.name, d.sha256, d.size, d.row_count, d.columns, d.preview,
    d.created_by AS creator_id, u.username AS created_by, d.created_at";

#[derive(sqlx::FromRow)]
pub(super) struct DatasetRow {
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

pub(super) fn select_datasets() -> QueryBuilder<'static> {
    QueryBuilder::new(format!(
        "SELECT {DATASET_COLUMNS} FROM datasets d JOIN users u ON u.id = d.created_by"
    ))
}

pub(crate) fn dataset_not_found(id: &str) -> ApiError {
    ApiError::new(
        404,
        codes::DATASET_NOT_FOUND,
        format!("No dataset with the id '{}'.", preview(id)),
        "Check the id, or list the datasets you can see with GET /api/v1/datasets.",
    )
}

pub(super) async fn find_visible(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> AppResult<DatasetRow> {
    let mut q = select_datasets();
    q.push(" WHERE d.id = ");
    q.push_bind(id.to_owned());
    q.push(" AND ");
    push_visible_datasets(&mut q, caller);
    let row: Option<DatasetRow> = q.build_query_as().fetch_optional(conn).await?;
    row.ok_or_else(|| dataset_not_found(id).into())
}

/// A dataset named in a request body (`field`): missing or invisible is 422 naming the field.
pub(super) async fn find_named(
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

pub(super) fn page_url(base: &str, search: Option<&str>, offset: i64, limit: i64) -> String {
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
        push_visible_datasets(q, caller);
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
    push_visible_datasets(&mut q, caller);
    q.push(" ORDER BY d.created_at DESC, d.id LIMIT ");
    q.push_bind(MAX_LIMIT);
    let rows: Vec<(String, String)> = q.build_query_as().fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| DatasetRef { id, name })
        .collect())
}

/// The versions that use a dataset; with a caller, only those of models the caller can see.
pub(super) async fn uses_of(
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
        push_visible_models(&mut q, Some(caller));
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
            codes::FORBIDDEN,
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
            codes::DATASET_IN_USE,
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
