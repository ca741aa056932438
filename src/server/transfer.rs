//! Moving a whole registry between backends: `modelyard export` writes every row and every
//! stored file to a directory, `modelyard import` loads such a directory into an empty
//! registry (for example SQLite + local files → PostgreSQL + S3).
//!
//! The directory holds `manifest.json` (format, schema version, tables with their columns and
//! row counts), `tables/<table>.jsonl` (one JSON array of values per row, in the manifest's
//! column order) and `blobs/ab/<sha256>` (each stored file once, named by its SHA-256, which the
//! import checks). Rows go in within one transaction: an import that fails leaves the target
//! empty.

use crate::domain::error::ApiError;
use crate::domain::error::codes;
use crate::server::db::{self, Backend};
use crate::server::error::AppError;
use crate::server::storage::BlobStore;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::{AnyArguments, AnyTypeInfoKind};
use sqlx::{Any, AnyPool, Arguments, Column, Decode, Executor, Row, ValueRef};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

const FORMAT: &str = "modelyard-export";
const FORMAT_VERSION: u32 = 1;

/// Every table, parents before children, with the order rows are written in. `models` refers to
/// `versions` through `primary_version_id`, so that column is filled in after the versions.
const TABLES: [(&str, &str); 22] = [
    ("users", "id"),
    ("sessions", "id_hash"),
    ("api_tokens", "id"),
    ("setup_links", "token_hash"),
    ("login_failures", "failed_at, username"),
    ("blobs", "sha256"),
    ("datasets", "id"),
    ("models", "id"),
    ("model_grants", "model_id, user_id"),
    ("teams", "id"),
    ("team_members", "team_id, user_id"),
    ("model_team_grants", "model_id, team_id"),
    ("versions", "id"),
    ("version_files", "version_id, path"),
    ("aliases", "model_id, name"),
    ("alias_moves", "id"),
    ("audit_events", "id"),
    ("jobs", "id"),
    ("job_log", "id"),
    ("feature_impacts", "version_id"),
    ("model_checks", "sha256"),
    ("version_downloads", "version_id, day, kind"),
];

/// Tables whose integer ids the database hands out; PostgreSQL's counters move past the
/// imported ids.
const IDENTITY_TABLES: [&str; 3] = ["alias_moves", "audit_events", "job_log"];

#[derive(Serialize, Deserialize)]
pub struct Manifest {
    format: String,
    format_version: u32,
    /// The newest migration applied to the exported database.
    schema_version: i64,
    exported_at: String,
    tables: Vec<TableInfo>,
    blobs: u64,
}

#[derive(Serialize, Deserialize)]
struct TableInfo {
    name: String,
    columns: Vec<String>,
    rows: u64,
}

fn io(what: &str, path: &Path) -> impl Fn(std::io::Error) -> AppError {
    let message = format!("cannot {what} {}", path.display());
    move |e| AppError::Internal(format!("{message}: {e}"))
}

fn bad_export(message: String) -> AppError {
    ApiError::new(
        422,
        codes::BAD_EXPORT,
        message,
        "Give the directory `modelyard export --to DIR` wrote, complete and unchanged.",
    )
    .into()
}

/// The newest migration applied.
async fn schema_version(conn: &mut sqlx::AnyConnection) -> Result<i64, AppError> {
    let (version,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE",
    )
    .fetch_one(conn)
    .await?;
    Ok(version)
}

/// One column value as JSON (integers, reals, text or null: all the schema uses).
fn value_of(row: &sqlx::any::AnyRow, index: usize) -> Result<Value, AppError> {
    let raw = row.try_get_raw(index)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
            Value::from(<i64 as Decode<Any>>::decode(raw).map_err(sqlx::Error::Decode)?)
        }
        AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => {
            Value::from(<f64 as Decode<Any>>::decode(raw).map_err(sqlx::Error::Decode)?)
        }
        AnyTypeInfoKind::Bool => Value::from(i64::from(
            <bool as Decode<Any>>::decode(raw).map_err(sqlx::Error::Decode)?,
        )),
        AnyTypeInfoKind::Text => {
            Value::from(<String as Decode<Any>>::decode(raw).map_err(sqlx::Error::Decode)?)
        }
        other => {
            return Err(AppError::Internal(format!(
                "column {} holds a value of type {other:?}, which an export cannot carry",
                row.columns()[index].name()
            )));
        }
    })
}

/// Writes the whole registry to `dir`, which must not exist yet or be empty.
pub async fn export(pool: &AnyPool, blobs: &BlobStore, dir: &Path) -> Result<Manifest, AppError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(io("read", dir))?
            .next()
            .is_some()
    {
        return Err(ApiError::new(
            409,
            codes::EXPORT_DIR_NOT_EMPTY,
            format!("{} is not empty.", dir.display()),
            "Export into a new directory.",
        )
        .into());
    }
    std::fs::create_dir_all(dir.join("tables")).map_err(io("create", dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Password hashes and session ids are in there: readable by the owner only.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io("protect", dir))?;
    }
    let mut conn = pool.acquire().await?;
    // One snapshot of every table, however long the export takes.
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let schema_version = schema_version(&mut tx).await?;
    let mut tables = Vec::new();
    let mut shas = Vec::new();
    for (table, order) in TABLES {
        let path = dir.join("tables").join(format!("{table}.jsonl"));
        let file = std::fs::File::create(&path).map_err(io("create", &path))?;
        let mut out = std::io::BufWriter::new(file);
        let columns: Vec<String> = column_kinds(&mut tx, table)
            .await?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let mut count = 0u64;
        let sql = format!("SELECT * FROM {table} ORDER BY {order}");
        let mut rows = sqlx::query(&sql).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            let values = (0..row.len())
                .map(|i| value_of(&row, i))
                .collect::<Result<Vec<_>, _>>()?;
            if let (true, Some(Value::String(sha))) = (table == "blobs", values.first()) {
                shas.push(sha.clone());
            }
            serde_json::to_writer(&mut out, &values)
                .map_err(|e| AppError::Internal(format!("cannot write {table}: {e}")))?;
            out.write_all(b"\n").map_err(io("write", &path))?;
            count += 1;
        }
        drop(rows);
        out.flush().map_err(io("write", &path))?;
        tables.push(TableInfo {
            name: table.to_owned(),
            columns,
            rows: count,
        });
    }
    tx.commit().await?;
    for sha in &shas {
        let target = blob_path(dir, sha);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        let mut reader = blobs
            .open_blob(sha)
            .await
            .map_err(|e| AppError::Internal(format!("stored file {sha} cannot be read: {e}")))?;
        let mut file = tokio::fs::File::create(&target)
            .await
            .map_err(io("create", &target))?;
        tokio::io::copy(&mut reader, &mut file)
            .await
            .map_err(io("write", &target))?;
        file.sync_all().await.map_err(io("write", &target))?;
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        schema_version,
        exported_at: db::now(),
        tables,
        blobs: shas.len() as u64,
    };
    let path = dir.join("manifest.json");
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| AppError::Internal(format!("cannot write the manifest: {e}")))?;
    std::fs::write(&path, text).map_err(io("write", &path))?;
    Ok(manifest)
}

fn blob_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join("blobs").join(&sha[..2.min(sha.len())]).join(sha)
}

/// A table's columns, in order, with their types, from the database's description of
/// `SELECT *` (the order every row is written and read in).
async fn column_kinds(
    conn: &mut sqlx::AnyConnection,
    table: &str,
) -> Result<Vec<(String, AnyTypeInfoKind)>, AppError> {
    let sql = format!("SELECT * FROM {table}");
    let described = (&mut *conn).describe(&sql).await?;
    Ok(described
        .columns()
        .iter()
        .map(|c| (c.name().to_owned(), c.type_info().kind()))
        .collect())
}

fn bind(args: &mut AnyArguments<'_>, value: &Value, kind: AnyTypeInfoKind) -> Result<(), AppError> {
    let added = match (kind, value) {
        (AnyTypeInfoKind::Text, Value::Null) => args.add(Option::<String>::None),
        (AnyTypeInfoKind::Real | AnyTypeInfoKind::Double, Value::Null) => {
            args.add(Option::<f64>::None)
        }
        (_, Value::Null) => args.add(Option::<i64>::None),
        (AnyTypeInfoKind::Real | AnyTypeInfoKind::Double, Value::Number(n)) => {
            args.add(n.as_f64().unwrap_or_default())
        }
        (_, Value::Number(n)) => match n.as_i64() {
            Some(i) => args.add(i),
            None => args.add(n.as_f64().unwrap_or_default()),
        },
        (_, Value::String(s)) => args.add(s.clone()),
        (_, other) => {
            return Err(bad_export(format!(
                "A row holds {other}, which is not a column value."
            )));
        }
    };
    added.map_err(|e| AppError::Internal(format!("cannot bind a value: {e}")))
}

fn read_manifest(dir: &Path) -> Result<Manifest, AppError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read(&path)
        .map_err(|e| bad_export(format!("{} cannot be read: {e}.", path.display())))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| bad_export(format!("{} is not a manifest: {e}.", path.display())))?;
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(bad_export(format!(
            "{} is not a Modelyard export of format {FORMAT_VERSION}.",
            path.display()
        )));
    }
    Ok(manifest)
}

/// Loads an export into this registry, which must be empty (no users, no models).
pub async fn import(pool: &AnyPool, blobs: &BlobStore, dir: &Path) -> Result<Manifest, AppError> {
    let manifest = read_manifest(dir)?;
    let ours = schema_version(&mut *pool.acquire().await?).await?;
    if manifest.schema_version != ours {
        return Err(ApiError::new(
            409,
            codes::SCHEMA_VERSION_DIFFERS,
            format!(
                "The export has schema version {}, this registry {ours}.",
                manifest.schema_version
            ),
            "Export and import with the same Modelyard release (upgrade the older side first).",
        )
        .into());
    }
    let (users, models): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM models)")
            .fetch_one(pool)
            .await?;
    if users > 0 || models > 0 {
        return Err(ApiError::new(
            409,
            codes::REGISTRY_NOT_EMPTY,
            format!("This registry already has {users} user(s) and {models} model(s)."),
            "Import into a new, empty database and storage (start from a fresh DATABASE_URL and \
             STORAGE_URL).",
        )
        .into());
    }
    // Files first: rows that name a file are only written once it is stored.
    let blob_rows = manifest
        .tables
        .iter()
        .find(|t| t.name == "blobs")
        .map_or(0, |t| t.rows);
    if blob_rows != manifest.blobs {
        return Err(bad_export(format!(
            "The manifest lists {} stored files but {blob_rows} blob rows.",
            manifest.blobs
        )));
    }
    for line in jsonl(dir, "blobs")? {
        let values = line?;
        let Some(Value::String(sha)) = values.first() else {
            return Err(bad_export("A blob row has no SHA-256.".to_owned()));
        };
        let path = blob_path(dir, sha);
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| bad_export(format!("{} is missing: {e}.", path.display())))?;
        let stream = tokio_util::io::ReaderStream::new(file);
        let stored = blobs
            .put_stream(stream, u64::MAX)
            .await
            .map_err(|e| AppError::Internal(format!("cannot store {}: {e}", path.display())))?;
        if &stored.sha256 != sha {
            return Err(bad_export(format!(
                "{} does not hold the content its name says (its SHA-256 is {}).",
                path.display(),
                stored.sha256
            )));
        }
    }
    let mut tx = db::begin_write(pool).await?;
    sqlx::query("DELETE FROM setup_links")
        .execute(&mut *tx)
        .await?;
    let mut primary_versions: Vec<(String, String)> = Vec::new();
    for (table, _) in TABLES {
        let Some(info) = manifest.tables.iter().find(|t| t.name == table) else {
            return Err(bad_export(format!("The manifest has no table {table}.")));
        };
        let kinds: HashMap<String, AnyTypeInfoKind> =
            column_kinds(&mut tx, table).await?.into_iter().collect();
        for column in &info.columns {
            if !kinds.contains_key(column) {
                return Err(bad_export(format!(
                    "Table {table} has no column {column} here."
                )));
            }
        }
        let placeholders: Vec<String> = (1..=info.columns.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            info.columns.join(", "),
            placeholders.join(", ")
        );
        let primary_index = (table == "models")
            .then(|| info.columns.iter().position(|c| c == "primary_version_id"))
            .flatten();
        let mut count = 0u64;
        for line in jsonl(dir, table)? {
            let mut values = line?;
            if values.len() != info.columns.len() {
                return Err(bad_export(format!(
                    "A row of {table} has {} values for {} columns.",
                    values.len(),
                    info.columns.len()
                )));
            }
            if let Some(i) = primary_index
                && let (Value::String(version), Some(Value::String(model))) =
                    (std::mem::take(&mut values[i]), values.first())
            {
                primary_versions.push((model.clone(), version));
            }
            let mut args = AnyArguments::default();
            for (column, value) in info.columns.iter().zip(&values) {
                bind(&mut args, value, kinds[column])?;
            }
            sqlx::query_with(&sql, args).execute(&mut *tx).await?;
            count += 1;
        }
        if count != info.rows {
            return Err(bad_export(format!(
                "{table}.jsonl has {count} rows, the manifest says {}.",
                info.rows
            )));
        }
    }
    for (model, version) in &primary_versions {
        sqlx::query("UPDATE models SET primary_version_id = $1 WHERE id = $2")
            .bind(version)
            .bind(model)
            .execute(&mut *tx)
            .await?;
    }
    if Backend::of(pool) == Backend::Postgres {
        for table in IDENTITY_TABLES {
            sqlx::query(&format!(
                "SELECT 1 FROM (SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                    COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)) AS s"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(manifest)
}

/// The rows of `tables/<table>.jsonl`, each an array of values.
fn jsonl(
    dir: &Path,
    table: &str,
) -> Result<impl Iterator<Item = Result<Vec<Value>, AppError>>, AppError> {
    let path = dir.join("tables").join(format!("{table}.jsonl"));
    let file = std::fs::File::open(&path)
        .map_err(|e| bad_export(format!("{} cannot be read: {e}.", path.display())))?;
    let shown = path.display().to_string();
    Ok(std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(move |(n, line)| {
            let line = line.map_err(|e| bad_export(format!("{shown} cannot be read: {e}.")))?;
            serde_json::from_str(&line)
                .map_err(|e| bad_export(format!("Line {} of {shown} is not a row: {e}.", n + 1)))
        }))
}

/// A line for the command's output.
pub fn summary(manifest: &Manifest) -> String {
    let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
    let count = |name: &str| {
        manifest
            .tables
            .iter()
            .find(|t| t.name == name)
            .map_or(0, |t| t.rows)
    };
    format!(
        "{rows} rows ({} users, {} models, {} versions, {} datasets) and {} stored files",
        count("users"),
        count("models"),
        count("versions"),
        count("datasets"),
        manifest.blobs
    )
}
