//! `latchkey audit verify [--org ID]`: walks each organization's audit log from its first
//! entry, checking `seq` and the hash chain, and names the first entry that does not
//! match.

use anyhow::Result;
use latchkey_core::audit::Verifier;
use latchkey_server::storage::Store;
use latchkey_store::{ActivityCursor, ActivityFilter};

/// Entries read per page.
const PAGE: i64 = 10_000;

/// Verifies the log of `org` (or of every organization); prints one line per
/// organization and answers whether every chain is intact.
pub async fn verify(store: &dyn Store, org: Option<String>) -> Result<bool> {
    let orgs = match org {
        Some(id) => {
            store
                .organization(&id)
                .await
                .map_err(|e| anyhow::anyhow!("organization {id}: {e}"))?;
            vec![id]
        }
        None => store.organization_ids().await?,
    };
    let mut intact = true;
    for org in orgs {
        match verify_one(store, &org).await? {
            Ok(count) => println!("organization {org}: {count} entries, chain intact"),
            Err(broken) => {
                println!("organization {org}: BROKEN: {broken}");
                intact = false;
            }
        }
    }
    Ok(intact)
}

async fn verify_one(
    store: &dyn Store,
    org: &str,
) -> Result<Result<i64, latchkey_core::audit::Broken>> {
    let mut verifier = Verifier::default();
    let mut after = 0;
    loop {
        let page = store
            .activity_page(
                org,
                &ActivityFilter::default(),
                ActivityCursor::After(after),
                PAGE,
            )
            .await?;
        let Some(last) = page.last() else {
            return Ok(Ok(verifier.checked()));
        };
        after = last.seq;
        for record in &page {
            if let Err(broken) = verifier.check(record.seq, &record.entry, &record.hash) {
                return Ok(Err(broken));
            }
        }
    }
}
