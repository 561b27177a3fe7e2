//! API keys as recently read, so that most calls skip one database read. Only keys found
//! (and not revoked) are kept, each for `TTL`. A secret that does not match the kept
//! record is checked against the database before it is refused (it may have been rotated
//! on another server); a rotation on this server forgets the key at once. The cost: on a
//! server that read the key just before, a key revoked elsewhere (another server, or
//! `latchkey` on the database), or a secret rotated elsewhere without grace, still opens
//! with the old secret for up to `TTL`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use latchkey_store::ApiKeyRecord;

/// How long a key read from the database is trusted.
pub const TTL: Duration = Duration::from_secs(2);
/// Beyond this many keys, the cache starts afresh.
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Default)]
pub struct ApiKeyCache {
    keys: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

impl ApiKeyCache {
    /// The key as read less than `TTL` ago.
    pub fn get(&self, api_key: &str) -> Option<ApiKeyRecord> {
        let keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.get(api_key)
            .filter(|(_, read)| read.elapsed() < TTL)
            .map(|(key, _)| key.clone())
    }

    pub fn put(&self, key: &ApiKeyRecord) {
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(key.api_key.clone(), (key.clone(), Instant::now()));
    }

    pub fn forget(&self, api_key: &str) {
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.remove(api_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> ApiKeyRecord {
        ApiKeyRecord {
            api_key: name.into(),
            org_id: "org".into(),
            virtual_user_id: "virtual".into(),
            secret_hash: [1; 32],
            previous_secret_hash: None,
            previous_valid_until: None,
            revoked_at: None,
            created_at: 0,
        }
    }

    #[test]
    fn keeps_a_key_until_forgotten() {
        let cache = ApiKeyCache::default();
        assert!(cache.get("lk_a").is_none());
        cache.put(&key("lk_a"));
        assert_eq!(cache.get("lk_a").map(|k| k.api_key), Some("lk_a".into()));
        assert!(cache.get("lk_b").is_none());
        cache.forget("lk_a");
        assert!(cache.get("lk_a").is_none());
    }
}
