//! Reads on the request's own thread, for an SQLite file.
//!
//! sqlx runs each SQLite connection on a thread of its own and sends every command and every row
//! over a channel, so a query costs two thread hand-offs and their wake-ups: on a small request,
//! half of the server's CPU. The few reads every request makes (who the caller is, which model
//! it names, a list page) run here instead, on read-only connections of the same file, with the
//! same SQLite library, and their rows go to the same decoders (`sqlx::FromRow` over `AnyRow`).
//!
//! These connections never wait for a lock: whatever this path cannot answer at once (the
//! database busy, an error of any kind) goes to the pool as before, which answers it or reports
//! the error as every other query does. Writes, transactions and PostgreSQL always use the pool.

use sqlx_core::any::{AnyColumn, AnyRow, AnyTypeInfo, AnyTypeInfoKind, AnyValue, AnyValueKind};
use sqlx_core::ext::ustr::UStr;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Read-only connections kept per file, beyond which a returned one is closed.
const KEPT: usize = 8;
/// Prepared statements kept per connection.
const STATEMENTS: usize = 64;

/// The read-only connections of one SQLite file.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// The readers of each database [`super::connect`] opened, by its URL.
static READERS: RwLock<Option<HashMap<String, Arc<Readers>>>> = RwLock::new(None);

/// Registers readers for the database at `url`, if it is an SQLite file, under the URL as the
/// pool keeps it (`key`).
pub(super) fn register(url: &str, key: &str) {
    let Some(path) = sqlite_file(url) else {
        return;
    };
    let readers = Arc::new(Readers {
        path,
        idle: Mutex::new(Vec::new()),
    });
    if let Ok(mut map) = READERS.write() {
        map.get_or_insert_with(HashMap::new)
            .insert(key.to_owned(), readers);
    }
}

/// The readers of `pool`'s database, if it has some.
pub(super) fn of(pool: &sqlx::AnyPool) -> Option<Arc<Readers>> {
    let options = pool.connect_options();
    let map = READERS.read().ok()?;
    map.as_ref()?.get(options.database_url.as_str()).cloned()
}

/// The file an `sqlite:` URL names, as sqlx reads it; none for an in-memory database or a URL
/// this path would have to interpret differently (percent-escapes, options that change how the
/// file is opened).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    let plain = options
        .split('&')
        .all(|kv| kv.is_empty() || kv == "mode=rwc" || kv == "mode=rw");
    (plain && !path.is_empty() && path != ":memory:" && !path.contains('%'))
        .then(|| PathBuf::from(path))
}

impl Readers {
    /// Runs `sql` with `args` and answers its rows, or `None` if it must go to the pool.
    pub(super) fn fetch(
        &self,
        sql: &str,
        args: &[AnyValueKind<'_>],
        limit: usize,
    ) -> Option<Vec<AnyRow>> {
        let conn = match self.idle.lock().ok()?.pop() {
            Some(conn) => conn,
            None => self.open()?,
        };
        let rows = query(&conn, sql, args, limit).ok();
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEPT
        {
            idle.push(conn);
        }
        rows
    }

    fn open(&self) -> Option<rusqlite::Connection> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        // Never wait: a busy database is the pool's to wait for.
        conn.busy_timeout(std::time::Duration::ZERO).ok()?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Some(conn)
    }
}

/// At most `limit` rows of `sql`, its `$N` placeholders bound to `args`.
fn query(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[AnyValueKind<'_>],
    limit: usize,
) -> rusqlite::Result<Vec<AnyRow>> {
    use rusqlite::types::{Value, ValueRef};
    let mut stmt = conn.prepare_cached(sql)?;
    if !stmt.readonly() {
        return Err(rusqlite::Error::InvalidQuery);
    }
    for (n, arg) in args.iter().enumerate() {
        // SQLite numbers `$N` parameters by their first appearance, not by N.
        let Some(index) = stmt.parameter_index(&format!("${}", n + 1))? else {
            continue;
        };
        let value = match arg {
            AnyValueKind::Null(_) => Value::Null,
            AnyValueKind::Bool(b) => Value::Integer(i64::from(*b)),
            AnyValueKind::SmallInt(i) => Value::Integer(i64::from(*i)),
            AnyValueKind::Integer(i) => Value::Integer(i64::from(*i)),
            AnyValueKind::BigInt(i) => Value::Integer(*i),
            AnyValueKind::Real(f) => Value::Real(f64::from(*f)),
            AnyValueKind::Double(f) => Value::Real(*f),
            AnyValueKind::Text(t) => Value::Text(t.to_string()),
            AnyValueKind::Blob(b) => Value::Blob(b.to_vec()),
            _ => return Err(rusqlite::Error::InvalidQuery),
        };
        stmt.raw_bind_parameter(index, value)?;
    }
    let count = stmt.column_count();
    let mut columns = Vec::with_capacity(count);
    let mut names = sqlx_core::HashMap::with_capacity(count);
    for i in 0..count {
        let name = UStr::from(stmt.column_name(i)?.to_owned());
        names.insert(name.clone(), i);
        columns.push(AnyColumn {
            ordinal: i,
            name,
            type_info: AnyTypeInfo {
                kind: AnyTypeInfoKind::Null,
            },
        });
    }
    let names = Arc::new(names);
    let mut out = Vec::new();
    let mut rows = stmt.raw_query();
    while out.len() < limit
        && let Some(row) = rows.next()?
    {
        let mut values = Vec::with_capacity(count);
        for i in 0..count {
            // As sqlx's SQLite driver maps them: by the value's own type.
            let kind = match row.get_ref(i)? {
                ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
                ValueRef::Integer(i) => AnyValueKind::BigInt(i),
                ValueRef::Real(f) => AnyValueKind::Double(f),
                ValueRef::Text(t) => AnyValueKind::Text(Cow::Owned(
                    std::str::from_utf8(t)
                        .map_err(rusqlite::Error::Utf8Error)?
                        .to_owned(),
                )),
                ValueRef::Blob(b) => AnyValueKind::Blob(Cow::Owned(b.to_vec())),
            };
            values.push(AnyValue { kind });
        }
        out.push(AnyRow {
            column_names: names.clone(),
            columns: columns.clone(),
            values,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::{self, QueryBuilder};

    async fn database() -> (tempfile::TempDir, sqlx::AnyPool) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let pool = db::connect(&url).await.expect("database");
        sqlx::query(
            "CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL, x REAL, note TEXT)",
        )
        .execute(&pool)
        .await
        .expect("table");
        for (id, n, x, note) in [("a", 1, Some(0.5), None), ("b", 2, None, Some("é"))] {
            sqlx::query("INSERT INTO things (id, n, x, note) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(n)
                .bind(x)
                .bind(note)
                .execute(&pool)
                .await
                .expect("row");
        }
        (dir, pool)
    }

    type Thing = (String, i64, Option<f64>, Option<String>);

    #[tokio::test]
    async fn a_file_database_is_read_on_this_thread_with_the_pools_answers() {
        let (_dir, pool) = database().await;
        let readers = of(&pool).expect("readers for a database file");
        let sql =
            "SELECT id, n, x, note FROM things WHERE n >= $1 OR id = $2 OR note = $2 ORDER BY id";
        let here = readers
            .fetch(
                sql,
                &[
                    AnyValueKind::BigInt(2),
                    AnyValueKind::Text(Cow::Borrowed("a")),
                ],
                usize::MAX,
            )
            .expect("answered here");
        let here: Vec<Thing> = here
            .iter()
            .map(|row| sqlx::FromRow::from_row(row).expect("decoded"))
            .collect();
        let pooled: Vec<Thing> = sqlx::query_as(sql)
            .bind(2_i64)
            .bind("a")
            .fetch_all(&pool)
            .await
            .expect("pool");
        assert_eq!(here, pooled);
        assert_eq!(
            here,
            vec![
                ("a".to_owned(), 1, Some(0.5), None),
                ("b".to_owned(), 2, None, Some("é".to_owned())),
            ]
        );
        // The builder's reads go the same way and answer the same.
        let mut q = QueryBuilder::new("SELECT id, n, x, note FROM things WHERE id = ");
        q.push_bind("b".to_owned());
        let one: Option<Thing> = q.fetch_optional_as(&pool).await.expect("read");
        assert_eq!(one, Some(pooled[1].clone()));
    }

    #[tokio::test]
    async fn writes_and_memory_databases_are_left_to_the_pool() {
        let (_dir, pool) = database().await;
        let readers = of(&pool).expect("readers");
        assert!(
            readers
                .fetch("DELETE FROM things", &[], usize::MAX)
                .is_none()
        );
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM things")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(count, 2, "nothing was deleted");
        assert!(sqlite_file("sqlite::memory:").is_none());
        assert!(sqlite_file("sqlite://x.db?mode=memory").is_none());
        assert_eq!(
            sqlite_file("sqlite:///tmp/x.db?mode=rwc"),
            Some(PathBuf::from("/tmp/x.db"))
        );
    }
}
