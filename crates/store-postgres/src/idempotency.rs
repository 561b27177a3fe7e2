//! `Idempotency-Key` claims: the first request with a key runs, later ones within 24
//! hours get its answer (or 422 with another body). Each claim first forgets the
//! organization's expired keys.

use latchkey_store::{Columns, Idempotency, IdempotencyClaim, Result};

use crate::{PostgresStore, db};

impl PostgresStore {
    pub(crate) async fn claim_key(&self, claim: &IdempotencyClaim) -> Result<Idempotency> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("DELETE FROM idempotency_keys WHERE org_id = $1 AND created_at <= $2")
            .bind(&claim.org_id)
            .bind(claim.fresh_after)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (org_id, scope, key, body_hash, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&claim.org_id)
        .bind(&claim.scope)
        .bind(&claim.key)
        .bind(&claim.body_hash[..])
        .bind(claim.now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let answer = if inserted.rows_affected() == 1 {
            Idempotency::Claimed
        } else {
            let row = sqlx::query(
                "SELECT body_hash, status, response FROM idempotency_keys
                 WHERE org_id = $1 AND scope = $2 AND key = $3",
            )
            .bind(&claim.org_id)
            .bind(&claim.scope)
            .bind(&claim.key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            if row.bytes("body_hash")? == claim.body_hash {
                match (row.opt_int("status")?, row.opt_text("response")?) {
                    (Some(status), Some(response)) => Idempotency::Replay { status, response },
                    _ => Idempotency::InProgress,
                }
            } else {
                Idempotency::Mismatch
            }
        };
        tx.commit().await.map_err(db)?;
        Ok(answer)
    }

    pub(crate) async fn finish_key(
        &self,
        claim: &IdempotencyClaim,
        status: i64,
        response: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $4, response = $5
             WHERE org_id = $1 AND scope = $2 AND key = $3",
        )
        .bind(&claim.org_id)
        .bind(&claim.scope)
        .bind(&claim.key)
        .bind(status)
        .bind(response)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(crate) async fn release_key(&self, claim: &IdempotencyClaim) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE org_id = $1 AND scope = $2 AND key = $3")
            .bind(&claim.org_id)
            .bind(&claim.scope)
            .bind(&claim.key)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}
