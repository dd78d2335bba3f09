//! The two migration folders must build the same schema: a fresh SQLite file and a fresh
//! PostgreSQL database are migrated, read back from their catalogues, and compared table by
//! table — columns (types through the mapping below, nullability), primary keys, indexes,
//! uniqueness and foreign keys. CHECK constraints are not compared (neither catalogue gives them
//! in a comparable form).

use std::collections::BTreeSet;

use cofee_store::Store;
use cofee_store::db::Backend;
use cofee_store::testing::PgTestDatabase;
use sqlx::{PgPool, SqlitePool};

/// How each PostgreSQL type is stored on SQLite.
fn sqlite_type_of(pg_type: &str) -> &'static str {
    match pg_type {
        "uuid" | "text" | "jsonb" => "TEXT",
        "bigint" | "integer" | "boolean" => "INTEGER",
        "double precision" => "REAL",
        other => {
            panic!("no SQLite type is declared for PostgreSQL's {other:?}: add it to the mapping")
        }
    }
}

fn on_delete(action: &str) -> &'static str {
    match action {
        "c" | "CASCADE" => "CASCADE",
        "n" | "SET NULL" => "SET NULL",
        "r" | "RESTRICT" => "RESTRICT",
        "a" | "NO ACTION" => "NO ACTION",
        other => panic!("unknown ON DELETE action {other:?}"),
    }
}

/// Every fact of a schema as one line, so two schemas compare as sets.
type Schema = BTreeSet<String>;

async fn sqlite_schema(pool: &SqlitePool) -> Schema {
    let mut facts = Schema::new();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap();
    for table in tables {
        facts.insert(format!("table {table}"));
        let columns: Vec<(String, String, bool, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        let primary: Vec<String> =
            columns.iter().filter(|c| c.3 > 0).map(|c| c.0.clone()).collect();
        facts.insert(format!("primary key {table} ({})", primary.join(", ")));
        for (name, ty, not_null, pk) in columns {
            let null = if not_null || pk > 0 { "NOT NULL" } else { "NULL" };
            facts.insert(format!("column {table}.{name} {} {null}", ty.to_uppercase()));
        }
        let indexes: Vec<(String, bool, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                .bind(&table)
                .fetch_all(pool)
                .await
                .unwrap();
        for (index, unique, origin) in indexes {
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(pool)
                    .await
                    .unwrap();
            match origin.as_str() {
                "pk" => {}
                "u" => _ = facts.insert(format!("unique {table} ({})", columns.join(", "))),
                _ => {
                    _ = facts.insert(format!(
                        "index {index} on {table} ({}){}",
                        columns.join(", "),
                        if unique { " unique" } else { "" }
                    ))
                }
            }
        }
        let keys: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list($1)",
        )
        .bind(&table)
        .fetch_all(pool)
        .await
        .unwrap();
        for (from, to_table, to, action) in keys {
            facts.insert(format!(
                "foreign key {table}.{from} -> {to_table}.{to} on delete {}",
                on_delete(&action)
            ));
        }
    }
    facts
}

async fn postgres_schema(pool: &PgPool) -> Schema {
    let mut facts = Schema::new();
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, name, ty, nullable) in columns {
        facts.insert(format!("table {table}"));
        let null = if nullable == "NO" { "NOT NULL" } else { "NULL" };
        facts.insert(format!("column {table}.{name} {} {null}", sqlite_type_of(&ty)));
    }
    let indexes: Vec<(String, String, bool, bool, bool, String)> = sqlx::query_as(
        "SELECT ic.relname::text, t.relname::text, i.indisunique, i.indisprimary,
                EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype = 'u'),
                array_to_string(ARRAY(
                    SELECT COALESCE(a.attname::text, '<expression>')
                    FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    ORDER BY k.n), ', ')
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relnamespace = 'public'::regnamespace AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (index, table, unique, primary, constraint, columns) in indexes {
        facts.insert(match (primary, constraint) {
            (true, _) => format!("primary key {table} ({columns})"),
            (false, true) => format!("unique {table} ({columns})"),
            (false, false) => format!(
                "index {index} on {table} ({columns}){}",
                if unique { " unique" } else { "" }
            ),
        });
    }
    let keys: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text, ft.relname::text, fa.attname::text, c.confdeltype::text
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_class ft ON ft.oid = c.confrelid
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (table, from, to_table, to, action) in keys {
        facts.insert(format!(
            "foreign key {table}.{from} -> {to_table}.{to} on delete {}",
            on_delete(&action)
        ));
    }
    facts
}

/// Ids that are not UUIDs on PostgreSQL, each with its reason. The type mapping above cannot
/// tell a UUID from text (both are TEXT on SQLite), so every other `id` and `*_id` column must be
/// `uuid`.
const TEXT_IDS: &[(&str, &str, &str)] = &[
    (
        "jobs",
        "owner_id",
        "TEXT until a contracting migration: the previous release binds it as text",
    ),
    ("jobs", "worker_id", "names a worker process (`role-host-pid`), not a row"),
];

async fn ids_that_are_not_uuids(pool: &PgPool) -> Vec<String> {
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND (column_name = 'id' OR column_name LIKE '%\\_id') AND data_type <> 'uuid'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    columns
        .into_iter()
        .filter(|(t, c, _)| !TEXT_IDS.iter().any(|(tt, cc, _)| t == tt && c == cc))
        .map(|(t, c, ty)| format!("{t}.{c} is {ty}"))
        .collect()
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open_sqlite(&dir.path().join("cofee.db")).await.unwrap();
    let Backend::Sqlite(sqlite) = sqlite.pool() else { unreachable!("a SQLite store") };
    let pg_db = PgTestDatabase::create().await;
    let postgres = PgPool::connect(&pg_db.url()).await.unwrap();

    let (on_sqlite, on_postgres) = (sqlite_schema(sqlite).await, postgres_schema(&postgres).await);
    for fact in [
        "table jobs",
        "column jobs.project_id TEXT NULL",
        "index jobs_project on jobs (owner_id, project_id, created_at)",
        "unique users (email)",
    ] {
        assert!(
            on_sqlite.contains(fact) && on_postgres.contains(fact),
            "both schemas have {fact:?}"
        );
    }
    let not_uuids = ids_that_are_not_uuids(&postgres).await;
    assert!(not_uuids.is_empty(), "ids that are not UUIDs on PostgreSQL: {not_uuids:?}");
    let only_sqlite: Vec<_> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<_> = on_postgres.difference(&on_sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the schemas differ:\nonly on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_postgres:#?}"
    );
}
