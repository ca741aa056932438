//! The two migration folders describe one schema: after migrating, SQLite and PostgreSQL have the
//! same tables (views aside), the same columns, of the same kinds, with the same nullability. Runs in the
//! PostgreSQL pass (it needs both databases); on SQLite alone it says so and passes.

mod common;

use common::{TestServer, backend_env};
use sqlx::Connection;
use std::collections::BTreeMap;

/// A column as both databases can say it: its kind and whether it may be NULL.
#[derive(Debug, PartialEq, Eq)]
struct Column {
    kind: &'static str,
    nullable: bool,
}

type Schema = BTreeMap<String, BTreeMap<String, Column>>;

/// What a declared type stores, so `INTEGER` and `BIGINT`, `REAL` and `DOUBLE PRECISION` agree.
fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real")
        || t.contains("double")
        || t.contains("float")
        || t.contains("numeric")
    {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else if t.contains("bool") {
        "integer"
    } else {
        "other"
    }
}

/// Tables that belong to the migration tool, not to the app.
fn is_app_table(name: &str) -> bool {
    !name.starts_with("_sqlx") && !name.starts_with("sqlite_")
}

async fn sqlite_schema(path: &std::path::Path) -> Schema {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::sqlite::SqliteConnection::connect(&url)
        .await
        .expect("open the SQLite database");
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .expect("list tables");
    let mut schema = Schema::new();
    for (table,) in tables.into_iter().filter(|(t,)| is_app_table(t)) {
        // (cid, name, type, notnull, default, pk)
        let columns: Vec<(i64, String, String, i64, Option<String>, i64)> =
            sqlx::query_as(&format!("PRAGMA table_info(\"{table}\")"))
                .fetch_all(&mut conn)
                .await
                .expect("columns");
        let columns = columns
            .into_iter()
            .map(|(_, name, declared, notnull, _, pk)| {
                let column = Column {
                    kind: kind(&declared),
                    // A primary key is never NULL, whatever SQLite's pragma says of it.
                    nullable: notnull == 0 && pk == 0,
                };
                (name, column)
            })
            .collect();
        schema.insert(table, columns);
    }
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let mut conn = sqlx::postgres::PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text
         FROM information_schema.columns c JOIN information_schema.tables t
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut conn)
    .await
    .expect("columns");
    let mut schema = Schema::new();
    for (table, column, declared, nullable) in rows {
        if !is_app_table(&table) {
            continue;
        }
        schema.entry(table).or_default().insert(
            column,
            Column {
                kind: kind(&declared),
                nullable: nullable == "YES",
            },
        );
    }
    schema
}

#[tokio::test]
async fn sqlite_and_postgresql_migrate_to_the_same_schema() {
    let Some(_) = std::env::var("MODELYARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("compares with PostgreSQL: runs in the PostgreSQL pass");
        return;
    };
    // One server on SQLite, one on PostgreSQL: each migrates its database at start.
    let local = TestServer::start_local().await;
    let shared = TestServer::start().await;
    let sqlite = sqlite_schema(&local.data_dir().join("modelyard.db")).await;
    let database_url = backend_env(&shared.data_dir())
        .into_iter()
        .find_map(|(k, v)| (k == "DATABASE_URL").then_some(v))
        .expect("the PostgreSQL server's database");
    let postgres = postgres_schema(&database_url).await;

    assert!(
        sqlite.len() > 10,
        "the SQLite schema has its tables: {sqlite:?}"
    );
    let tables = |s: &Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(tables(&sqlite), tables(&postgres), "the same tables");
    for (table, columns) in &sqlite {
        assert_eq!(
            Some(columns),
            postgres.get(table),
            "table {table}: SQLite (left) and PostgreSQL (right) differ"
        );
    }
}
