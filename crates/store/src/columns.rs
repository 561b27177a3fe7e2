//! Reading typed columns from a row of either database. The one generic impl below is
//! the only place that names sqlx's decoding traits, so that the row mappers in
//! [`crate::rows`] are written once for SQLite and PostgreSQL.

use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::{Result, StoreError};

/// The column types Latchkey's tables use.
pub trait Columns {
    fn text(&self, column: &str) -> Result<String>;
    fn opt_text(&self, column: &str) -> Result<Option<String>>;
    fn int(&self, column: &str) -> Result<i64>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>>;
    fn flag(&self, column: &str) -> Result<bool>;
    fn bytes(&self, column: &str) -> Result<Vec<u8>>;
    fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>>;
}

fn read<'r, R, T>(row: &'r R, column: &str) -> Result<T>
where
    R: Row,
    T: Decode<'r, R::Database> + Type<R::Database>,
    for<'c> &'c str: ColumnIndex<R>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Other(Box::new(e)))
}

impl<R> Columns for R
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, column: &str) -> Result<String> {
        read(self, column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>> {
        read(self, column)
    }

    fn int(&self, column: &str) -> Result<i64> {
        read(self, column)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        read(self, column)
    }

    fn flag(&self, column: &str) -> Result<bool> {
        read(self, column)
    }

    fn bytes(&self, column: &str) -> Result<Vec<u8>> {
        read(self, column)
    }

    fn opt_bytes(&self, column: &str) -> Result<Option<Vec<u8>>> {
        read(self, column)
    }
}
