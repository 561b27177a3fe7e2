//! Unlock requests: started with their one-time key consumed in one transaction (of the
//! group-commit writer), read back by requestId. Their end is written by `apply` with its audit entry.

use latchkey_store::{Result, StoreError, UniqueField, UnlockRecord, UnlockStart};
use rusqlite::Connection;

use crate::reader::{first, only};
use crate::{SqliteStore, direct};
use latchkey_store::reads;
use latchkey_store::rows::unlock_from_row;

impl SqliteStore {
    pub(crate) async fn insert_unlock(
        &self,
        request: &UnlockRecord,
        consume_key: Option<&str>,
    ) -> Result<UnlockStart> {
        if let Some(existing) = self.by_client_id(request)? {
            return Ok(UnlockStart::Existing(Box::new(existing)));
        }
        match self.writer.start_unlock(request, consume_key).await {
            // The same client requestId arrived at the same time: the first one stands.
            Err(StoreError::Conflict(UniqueField::Other)) => match self.by_client_id(request)? {
                Some(existing) => Ok(UnlockStart::Existing(Box::new(existing))),
                None => Err(StoreError::Conflict(UniqueField::Other)),
            },
            started => started,
        }
    }

    fn by_client_id(&self, request: &UnlockRecord) -> Result<Option<UnlockRecord>> {
        let Some(client_id) = &request.client_request_id else {
            return Ok(None);
        };
        self.readers.point(|conn| {
            first(
                conn,
                reads::UNLOCK_BY_CLIENT_ID,
                &[&request.org_id, client_id],
                |row| unlock_from_row(row),
            )
        })
    }

    pub(crate) fn find_unlock(&self, org_id: &str, request_id: &str) -> Result<UnlockRecord> {
        self.readers.point(|conn| {
            only(conn, reads::UNLOCK, &[&org_id, &request_id], |row| {
                unlock_from_row(row)
            })
        })
    }
}

/// Consumes the one-time key (if any) and stores the new request, inside a transaction
/// that holds the write lock.
pub(crate) fn write_start(
    conn: &Connection,
    request: &UnlockRecord,
    consume_key: Option<&str>,
) -> Result<UnlockStart> {
    if let Some(key_id) = consume_key {
        let done = direct::run(
            conn,
            "UPDATE keys SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
            &[&key_id, &request.created_at],
        )?;
        if done == 0 {
            return Ok(UnlockStart::KeyUsed);
        }
    }
    write_unlock(conn, request)?;
    Ok(UnlockStart::Started)
}

/// Inserts or updates a request as it is now.
pub(crate) fn write_unlock(conn: &Connection, request: &UnlockRecord) -> Result<()> {
    direct::run(
        conn,
        "INSERT INTO unlock_requests (id, org_id, lock_id, command, client_request_id,
                initiator_id, on_behalf_of, status, history, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, history = excluded.history,
            updated_at = excluded.updated_at",
        &[
            &request.id,
            &request.org_id,
            &request.lock_id,
            &request.command,
            &request.client_request_id,
            &request.initiator_id,
            &request.on_behalf_of,
            &request.status,
            &request.history,
            &request.created_at,
            &request.updated_at,
        ],
    )?;
    Ok(())
}
