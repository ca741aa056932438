//! Opening the database and running migrations; the helpers every query shares: time and ids,
//! write transactions, a query builder and flags.
//!
//! One SQL layer serves both backends through sqlx's `Any` driver: SQLite (the default, a file
//! under the data directory) and PostgreSQL (`DATABASE_URL=postgres://…`). The queries are
//! written once, with numbered placeholders (`$1`), which both understand. Where the two
//! dialects differ the PostgreSQL migrations fill the gap (see `migrations/postgres`), so the
//! queries need no second version; only what cannot be expressed that way (starting a write
//! transaction, claiming a job) asks [`Backend`].

use crate::server::error::AppError;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyTypeInfoKind};
use sqlx::migrate::MigrateDatabase;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{
    Any, AnyPool, Arguments, Decode, Encode, Executor, FromRow, Transaction, Type, ValueRef,
};
use std::fmt::Display;

/// Which database a pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `DATABASE_URL` names; `None` for anything else.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':').map(|(s, _)| s)?;
        match scheme {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }

    /// The backend of an open pool (which only opens for the URLs [`Backend::of_url`] knows).
    pub fn of(pool: &AnyPool) -> Self {
        Self::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Self::Sqlite)
    }

    /// A JSON object of `fields` (each a key and the SQL expression of its value), as SQL.
    pub fn json_object<K: Display, E: Display>(
        self,
        fields: impl IntoIterator<Item = (K, E)>,
    ) -> String {
        let function = match self {
            Self::Sqlite => "json_object",
            Self::Postgres => "json_build_object",
        };
        let args: Vec<String> = fields
            .into_iter()
            .map(|(key, expr)| format!("'{key}', {expr}"))
            .collect();
        format!("{function}({})", args.join(", "))
    }

    /// An aggregate, as SQL: the `object` of every row, in `order`, as the text of one JSON
    /// array (`[]` when there are none). A read of many rows that answers them this way costs
    /// one row of the database's answer instead of one per row (see [`json_rows`]).
    pub fn json_array(self, object: &str, order: &str) -> String {
        self.json_array_unordered(&format!("{object} ORDER BY {order}"))
    }

    /// [`Backend::json_array`] in no particular order, for the caller to sort: SQLite sorts an
    /// ordered aggregate in a temporary b-tree it creates for the purpose, which for a model's
    /// few aliases costs more than the rest of reading the model.
    pub fn json_array_unordered(self, object: &str) -> String {
        let function = match self {
            Self::Sqlite => "json_group_array",
            Self::Postgres => "json_agg",
        };
        format!("CAST(COALESCE({function}({object}), '[]') AS TEXT)")
    }
}

/// The rows of a [`Backend::json_array`] column.
pub fn json_rows<T: serde::de::DeserializeOwned>(text: &str) -> Result<Vec<T>, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("reading rows as JSON: {e}")))
}

/// Rows' values grouped by their key (a model's or a version's id), each group in the order the
/// rows came in.
pub fn group_by_key<T>(
    rows: impl IntoIterator<Item = (String, T)>,
) -> std::collections::HashMap<String, Vec<T>> {
    let mut out: std::collections::HashMap<String, Vec<T>> = Default::default();
    for (key, value) in rows {
        out.entry(key).or_default().push(value);
    }
    out
}

/// Reads a flag from JSON, where both backends write the integer they store (and a boolean
/// expression may give `true` or `false`).
pub fn json_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    // A visitor of its own rather than an untagged enum, which buffers the value and builds an
    // error for each variant it rules out: flags are read for every row of a list.
    struct Flag;
    impl serde::de::Visitor<'_> for Flag {
        type Value = bool;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a boolean or an integer")
        }

        fn visit_bool<E>(self, b: bool) -> Result<bool, E> {
            Ok(b)
        }

        fn visit_i64<E>(self, n: i64) -> Result<bool, E> {
            Ok(n != 0)
        }

        fn visit_u64<E>(self, n: u64) -> Result<bool, E> {
            Ok(n != 0)
        }
    }
    d.deserialize_any(Flag)
}

mod reads;

/// Every write transaction on PostgreSQL takes this advisory lock first, so writers that read
/// before they write (the next version number, the last owner of a model) are serialized as
/// SQLite's `BEGIN IMMEDIATE` serializes them.
const WRITE_LOCK: i64 = 0x6d6f_6465_6c79;

/// Opens (creating if needed) the database and brings its schema up to date.
///
/// SQLite runs in WAL mode with foreign keys on and a 10 s busy timeout. PostgreSQL databases
/// are created when missing (if the role may) and migrated under sqlx's advisory lock, so
/// several instances starting at once migrate once.
pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url).ok_or_else(|| {
        sqlx::Error::Configuration(
            "DATABASE_URL must start with sqlite:// or postgres://"
                .to_owned()
                .into(),
        )
    })?;
    if !Any::database_exists(url).await? {
        Any::create_database(url).await?;
    }
    let pool = match backend {
        Backend::Sqlite => {
            AnyPoolOptions::new()
                .max_connections(8)
                // A connection to a local file does not go stale: pinging it before every
                // query (sqlx's default) is a round trip to its worker thread per query.
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?
        }
        Backend::Postgres => {
            AnyPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?
        }
    };
    match backend {
        Backend::Sqlite => {
            sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            reads::register(url, pool.connect_options().database_url.as_str());
        }
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
    }
    Ok(pool)
}

/// Begins a transaction that reads before it writes.
///
/// On SQLite it begins with `BEGIN IMMEDIATE`: begun deferred, its first write fails at once with
/// "database is locked" whenever another connection wrote since its read, and the busy timeout
/// does not help with that. On PostgreSQL it takes [`WRITE_LOCK`].
pub async fn begin_write(pool: &AnyPool) -> Result<Transaction<'static, Any>, sqlx::Error> {
    match Backend::of(pool) {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// A yes/no column. Both backends store flags as integers (0 or 1); `Flag` also reads a boolean
/// expression's value, which PostgreSQL gives as a boolean and SQLite as an integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> Self {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(_: &sqlx::any::AnyTypeInfo) -> bool {
        true
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        if value.type_info().kind() == AnyTypeInfoKind::Bool {
            <bool as Decode<Any>>::decode(value).map(Flag)
        } else {
            <i64 as Decode<Any>>::decode(value).map(|n| Flag(n != 0))
        }
    }
}

/// A flag as the integer both backends store.
pub fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// Builds a query piece by piece, numbering placeholders (`$1`, `$2`, …) as values are bound.
/// (sqlx's own builder writes `?` for the `Any` driver, which PostgreSQL does not accept.)
pub struct QueryBuilder<'a> {
    sql: String,
    args: AnyArguments<'a>,
    count: usize,
}

impl<'a> QueryBuilder<'a> {
    pub fn new(init: impl Into<String>) -> Self {
        Self {
            sql: init.into(),
            args: AnyArguments::default(),
            count: 0,
        }
    }

    /// `inner`, between `before` and `after`, with its values; more may be pushed after.
    pub fn wrap(before: &str, inner: QueryBuilder<'a>, after: &str) -> Self {
        Self {
            sql: format!("{before}{}{after}", inner.sql),
            args: inner.args,
            count: inner.count,
        }
    }

    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.sql, "{sql}");
        self
    }

    pub fn push_bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        use std::fmt::Write;
        // Encoding into the `Any` buffer only records the value; it cannot fail.
        let _ = self.args.add(value);
        self.count += 1;
        let _ = write!(self.sql, "${}", self.count);
        self
    }

    /// Binds each value, separated by commas (for `IN (…)`).
    pub fn push_binds<T, I>(&mut self, values: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        for (n, value) in values.into_iter().enumerate() {
            if n > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self
    }

    fn take_args(&mut self) -> AnyArguments<'a> {
        std::mem::take(&mut self.args)
    }

    /// The query; the builder's values move into it, so build once.
    pub fn build(&mut self) -> Query<'_, Any, AnyArguments<'_>> {
        let args = self.take_args();
        sqlx::query_with(&self.sql, args)
    }

    pub fn build_query_as<T>(&mut self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let args = self.take_args();
        sqlx::query_as_with(&self.sql, args)
    }

    /// The query's one row, read on this thread where it can be ([`reads`]), else by the pool.
    pub async fn fetch_one_as<T>(&mut self, pool: &AnyPool) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        match self.read_here(pool, 1) {
            Some(rows) => rows.into_iter().next().ok_or(sqlx::Error::RowNotFound),
            None => self.build_query_as().fetch_one(pool).await,
        }
    }

    /// The query's first row, if any, read on this thread where it can be ([`reads`]).
    pub async fn fetch_optional_as<T>(&mut self, pool: &AnyPool) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        match self.read_here(pool, 1) {
            Some(rows) => Ok(rows.into_iter().next()),
            None => self.build_query_as().fetch_optional(pool).await,
        }
    }

    /// The query's rows, read on this thread where it can be ([`reads`]).
    pub async fn fetch_all_as<T>(&mut self, pool: &AnyPool) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        match self.read_here(pool, usize::MAX) {
            Some(rows) => Ok(rows),
            None => self.build_query_as().fetch_all(pool).await,
        }
    }

    /// Up to `limit` rows decoded, or `None` if the pool must answer (see [`reads`]).
    fn read_here<T>(&self, pool: &AnyPool, limit: usize) -> Option<Vec<T>>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let rows = reads::of(pool)?.fetch(&self.sql, &self.args.values.0, limit)?;
        rows.iter().map(|row| T::from_row(row).ok()).collect()
    }

    pub fn build_query_scalar<T>(&mut self) -> QueryScalar<'_, Any, T, AnyArguments<'_>>
    where
        (T,): for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let args = self.take_args();
        sqlx::query_scalar_with(&self.sql, args)
    }
}

/// SQLite's plan for a query (`EXPLAIN QUERY PLAN`), one step a line, for tests that check a
/// query uses the indexes it should. The builder's values move into the query, as in `build`.
#[cfg(test)]
pub async fn query_plan(
    pool: &AnyPool,
    q: &mut QueryBuilder<'_>,
) -> Result<Vec<String>, sqlx::Error> {
    use sqlx::Row;
    let sql = format!("EXPLAIN QUERY PLAN {}", q.sql);
    let args = q.take_args();
    let rows = sqlx::query_with(&sql, args).fetch_all(pool).await?;
    rows.iter().map(|row| row.try_get::<String, _>(3)).collect()
}

/// Timestamps are stored as fixed-width RFC 3339 text so they sort as text.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn now() -> String {
    timestamp(Utc::now())
}

pub fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Days (of download counts) are stored as `YYYY-MM-DD` text, UTC.
pub const DAY_FORMAT: &str = "%Y-%m-%d";

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub fn day(d: NaiveDate) -> String {
    d.format(DAY_FORMAT).to_string()
}

pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, DAY_FORMAT).ok()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Row {
        #[serde(deserialize_with = "super::json_flag")]
        flag: bool,
    }

    #[test]
    fn flags_read_from_integers_and_booleans_and_nothing_else() {
        for (text, flag) in [
            (r#"{"flag": 1}"#, true),
            (r#"{"flag": 0}"#, false),
            (r#"{"flag": 2}"#, true),
            (r#"{"flag": true}"#, true),
            (r#"{"flag": false}"#, false),
        ] {
            let row: Result<Row, _> = serde_json::from_str(text);
            assert_eq!(row.ok(), Some(Row { flag }), "{text}");
        }
        for text in [r#"{"flag": "1"}"#, r#"{"flag": null}"#, r#"{"flag": []}"#] {
            assert!(serde_json::from_str::<Row>(text).is_err(), "{text}");
        }
    }
}
