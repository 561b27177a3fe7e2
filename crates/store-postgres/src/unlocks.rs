//! Unlock requests: started with their one-time key consumed in one transaction, read
//! back by requestId. Their end is written by `apply` with its audit entry.

use latchkey_store::reads;
use latchkey_store::{Result, StoreError, UniqueField, UnlockRecord, UnlockStart};
use sqlx::PgConnection;

use crate::{PostgresStore, db};
use latchkey_store::rows::unlock_from_row;

impl PostgresStore {
    pub(crate) async fn insert_unlock(
        &self,
        request: &UnlockRecord,
        consume_key: Option<&str>,
    ) -> Result<UnlockStart> {
        if let Some(existing) = self.by_client_id(request).await? {
            return Ok(UnlockStart::Existing(Box::new(existing)));
        }
        let mut tx = self.pool.begin().await.map_err(db)?;
        if let Some(key_id) = consume_key {
            let done =
                sqlx::query("UPDATE keys SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
                    .bind(key_id)
                    .bind(request.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            if done.rows_affected() == 0 {
                return Ok(UnlockStart::KeyUsed);
            }
        }
        match write_unlock(&mut tx, request).await {
            Ok(()) => {}
            // The same client requestId arrived at the same time: the first one stands.
            Err(StoreError::Conflict(UniqueField::Other)) => {
                drop(tx);
                return match self.by_client_id(request).await? {
                    Some(existing) => Ok(UnlockStart::Existing(Box::new(existing))),
                    None => Err(StoreError::Conflict(UniqueField::Other)),
                };
            }
            Err(e) => return Err(e),
        }
        tx.commit().await.map_err(db)?;
        Ok(UnlockStart::Started)
    }

    async fn by_client_id(&self, request: &UnlockRecord) -> Result<Option<UnlockRecord>> {
        let Some(client_id) = &request.client_request_id else {
            return Ok(None);
        };
        let row = sqlx::query(reads::UNLOCK_BY_CLIENT_ID)
            .bind(&request.org_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(unlock_from_row).transpose()
    }

    pub(crate) async fn find_unlock(&self, org_id: &str, request_id: &str) -> Result<UnlockRecord> {
        let row = sqlx::query(reads::UNLOCK)
            .bind(org_id)
            .bind(request_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        unlock_from_row(&row)
    }
}

/// Inserts or updates a request as it is now.
pub(crate) async fn write_unlock(conn: &mut PgConnection, request: &UnlockRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO unlock_requests (id, org_id, lock_id, command, client_request_id,
                initiator_id, on_behalf_of, status, history, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, history = excluded.history,
            updated_at = excluded.updated_at",
    )
    .bind(&request.id)
    .bind(&request.org_id)
    .bind(&request.lock_id)
    .bind(&request.command)
    .bind(&request.client_request_id)
    .bind(&request.initiator_id)
    .bind(&request.on_behalf_of)
    .bind(request.status)
    .bind(&request.history)
    .bind(request.created_at)
    .bind(request.updated_at)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}
