//! Reads on rusqlite connections of their own. sqlx runs each SQLite connection on a
//! thread of its own and hands every statement and every row across to the async side: a
//! page of 100 keys was over 100 thread hops, an unlock's reads several. Here a page is
//! one blocking call with all its rows (`Readers::page`), and a read of one row by key
//! runs where it is asked for, with no hop at all (`Readers::point`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use latchkey_store::Columns;
use latchkey_store::{Result, StoreError};
use rusqlite::types::FromSql;
use rusqlite::{Connection, ToSql};
use tokio::sync::Semaphore;

use crate::direct::{self, db};
use crate::other;

/// The reading connections, opened when first needed: at most `size` pages at once, and a
/// point read per async worker.
#[derive(Debug, Clone)]
pub(crate) struct Readers(Arc<Pool>);

#[derive(Debug)]
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    fn take(&self) -> Result<Connection> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(conn) = idle {
            return Ok(conn);
        }
        let conn = direct::open(&self.path)?;
        conn.execute_batch("PRAGMA query_only = ON").map_err(db)?;
        Ok(conn)
    }

    fn put(&self, conn: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

impl Readers {
    /// Read-only connections to the database file at `path`, at most `size` pages at once.
    pub(crate) fn new(path: &Path, size: usize) -> Readers {
        Readers(Arc::new(Pool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Semaphore::new(size),
        }))
    }

    /// Runs `read`, a read of at most one row by an indexed key, on an idle connection
    /// right here, on the async worker: such a read takes microseconds from the page
    /// cache, less than the two thread switches of a hop to a blocking thread (which cut
    /// `performUnlock` by a quarter to a third on two cores). Readers in WAL mode do not
    /// wait for the writer. At most one per worker runs at a time, beside `page`'s.
    pub(crate) fn point<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.0.take()?;
        let answer = read(&conn);
        self.0.put(conn);
        answer
    }

    /// Runs `read`, a read of many rows, on an idle connection on a blocking thread. A
    /// read that panics takes its connection with it; the next read opens another.
    pub(crate) async fn page<T, F>(&self, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self.0.permits.acquire().await.map_err(other)?;
        let pool = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let answer = read(&conn);
            pool.put(conn);
            answer
        })
        .await
        .map_err(other)?
    }
}

/// A rusqlite row read by column name, for the mappers of `latchkey_store::rows`.
pub(crate) struct Lite<'r, 's>(pub(crate) &'r rusqlite::Row<'s>);

impl Lite<'_, '_> {
    fn get<T: FromSql>(&self, column: &str) -> Result<T> {
        self.0.get(column).map_err(db)
    }
}

impl Columns for Lite<'_, '_> {
    fn text(&self, column: &str) -> Result<String> {
        self.get(column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>> {
        self.get(column)
    }

    fn int(&self, column: &str) -> Result<i64> {
        self.get(column)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        self.get(column)
    }

    fn flag(&self, column: &str) -> Result<bool> {
        self.get(column)
    }

    fn bytes(&self, column: &str) -> Result<Vec<u8>> {
        self.get(column)
    }

    fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>> {
        self.get(column)
    }
}

/// Every row of a statement with `values` bound to `$1`, `$2`, …, each mapped by `map`.
pub(crate) fn all<T>(
    conn: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
    map: impl Fn(&Lite) -> Result<T>,
) -> Result<Vec<T>> {
    let mut statement = direct::prepared(conn, sql, values)?;
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        out.push(map(&Lite(row))?);
    }
    Ok(out)
}

/// The first row, mapped by `map`, or `None`.
pub(crate) fn first<T>(
    conn: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
    map: impl Fn(&Lite) -> Result<T>,
) -> Result<Option<T>> {
    let mut statement = direct::prepared(conn, sql, values)?;
    let mut rows = statement.raw_query();
    rows.next()
        .map_err(db)?
        .map(|row| map(&Lite(row)))
        .transpose()
}

/// The first row, mapped by `map`; `NotFound` without one.
pub(crate) fn only<T>(
    conn: &Connection,
    sql: &str,
    values: &[&dyn ToSql],
    map: impl Fn(&Lite) -> Result<T>,
) -> Result<T> {
    first(conn, sql, values, map)?.ok_or(StoreError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("reads.db");
        let conn = direct::open(&path).expect("the database opens");
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER);
             INSERT INTO t VALUES (1, 'one', 1), (2, NULL, 0), (3, 'three', 1);",
        )
        .expect("the table is written");
        (dir, path)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_binds_numbered_parameters_and_maps_every_row() {
        let (_dir, path) = database();
        let readers = Readers::new(&path, 2);
        let rows = readers
            .page(|conn| {
                all(
                    conn,
                    "SELECT * FROM t WHERE flag = $2 AND id >= $1 ORDER BY id",
                    &[&1, &true],
                    |row| Ok((row.int("id")?, row.opt_text("name")?, row.flag("flag")?)),
                )
            })
            .await
            .expect("the read answers");
        assert_eq!(
            rows,
            [
                (1, Some("one".into()), true),
                (3, Some("three".into()), true)
            ]
        );
        let missing = readers.point(|conn| {
            only(conn, "SELECT id FROM t WHERE id = $1", &[&9], |row| {
                row.int("id")
            })
        });
        assert!(matches!(missing, Err(StoreError::NotFound)));
        let unbound = readers.point(|conn| {
            all(conn, "SELECT id FROM t WHERE id = $2", &[&1], |row| {
                row.int("id")
            })
        });
        assert!(
            unbound.is_err(),
            "a parameter without a value is an error, not NULL"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_cannot_write_and_a_panicking_read_does_not_cost_the_pool() {
        let (_dir, path) = database();
        let readers = Readers::new(&path, 1);
        let write = readers.point(|conn| direct::run(conn, "DELETE FROM t WHERE id = $1", &[&1]));
        assert!(write.is_err(), "a reading connection refuses writes");
        let panicked = readers
            .page(|_: &Connection| -> Result<()> { panic!("a read that panics") })
            .await;
        assert!(panicked.is_err());
        for _ in 0..3 {
            let count = readers
                .page(|conn| only(conn, "SELECT COUNT(*) AS n FROM t", &[], |row| row.int("n")))
                .await
                .expect("reads go on after the panic");
            assert_eq!(count, 3);
        }
    }
}
