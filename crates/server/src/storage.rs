//! Opens the store named by a database URL: `sqlite:` for the embedded default,
//! `postgres:`/`postgresql:` for PostgreSQL. Both apply their migrations.

use std::sync::Arc;

pub use latchkey_store::Store;
use latchkey_store_postgres::PostgresStore;
use latchkey_store_sqlite::SqliteStore;

/// Opens the database at `url` and brings its schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, String> {
    let scheme = url.split(':').next().unwrap_or_default();
    let store: Arc<dyn Store> = match scheme {
        "sqlite" => Arc::new(SqliteStore::connect(url).await.map_err(|e| e.to_string())?),
        "postgres" | "postgresql" => Arc::new(
            PostgresStore::connect(url)
                .await
                .map_err(|e| e.to_string())?,
        ),
        _ => {
            return Err(format!(
                "unsupported database URL scheme {scheme:?}: use sqlite://path or postgres://..."
            ));
        }
    };
    Ok(store)
}
