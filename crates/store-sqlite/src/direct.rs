//! The writer's own connection: rusqlite on the writer's thread, so that a whole group
//! commit runs without leaving it (sqlx runs each SQLite connection on a thread of its
//! own and every statement is a round trip to it; the writer is the one place where
//! those round trips were the cost). Statements are cached per connection and take the
//! same `$1`-numbered SQL text as the sqlx side.

use std::path::Path;

use latchkey_store::{Result, StoreError};
use rusqlite::types::FromSql;
use rusqlite::{Connection, ToSql};

use crate::{other, unique_field};

/// Opens the writer's connection with the pool's settings (WAL, `synchronous = FULL`,
/// busy timeout, foreign keys).
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(db)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Maps a rusqlite error as the sqlx side maps its own: no row is `NotFound`, a unique
/// violation `Conflict` naming the field.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        rusqlite::Error::SqliteFailure(code, Some(message))
            if matches!(
                code.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ) =>
        {
            StoreError::Conflict(unique_field(&message))
        }
        e => other(e),
    }
}

/// `sql`, prepared (and cached) with `values` bound to its `$1`, `$2`, … parameters.
pub(crate) fn prepared<'c>(
    conn: &'c Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> Result<rusqlite::CachedStatement<'c>> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    for index in 1..=statement.parameter_count() {
        let number = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok());
        let value = number
            .and_then(|n| values.get(n.wrapping_sub(1)))
            .ok_or_else(|| {
                StoreError::Other(format!("parameter {index} of {sql:?} unbound").into())
            })?;
        statement.raw_bind_parameter(index, value).map_err(db)?;
    }
    Ok(statement)
}

/// Runs a statement with `values` bound to `$1`, `$2`, …; answers the rows changed.
pub(crate) fn run(conn: &Connection, sql: &str, values: &[&dyn ToSql]) -> Result<usize> {
    prepared(conn, sql, values)?.raw_execute().map_err(db)
}

/// The first column of the first row (`NotFound` without one).
pub(crate) fn one<T: FromSql>(conn: &Connection, sql: &str, values: &[&dyn ToSql]) -> Result<T> {
    let mut statement = prepared(conn, sql, values)?;
    let mut rows = statement.raw_query();
    match rows.next().map_err(db)? {
        Some(row) => row.get(0).map_err(db),
        None => Err(StoreError::NotFound),
    }
}

/// The first two columns of the first row (`NotFound` without one).
pub(crate) fn pair<A: FromSql, B: FromSql>(
    conn: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
) -> Result<(A, B)> {
    let mut statement = prepared(conn, sql, values)?;
    let mut rows = statement.raw_query();
    match rows.next().map_err(db)? {
        Some(row) => Ok((row.get(0).map_err(db)?, row.get(1).map_err(db)?)),
        None => Err(StoreError::NotFound),
    }
}
