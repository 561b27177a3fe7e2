//! Secrets: API secrets and session tokens are 32 random bytes, shown once, stored as
//! SHA-256 digests and compared in constant time.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in every API secret and session token.
pub const SECRET_BYTES: usize = 32;

/// A SHA-256 digest as stored in the database.
pub type Digest32 = [u8; 32];

/// A new secret: `prefix` followed by the hex of [`SECRET_BYTES`] random bytes.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The digest under which a secret is stored and looked up.
pub fn digest(secret: &str) -> Digest32 {
    Sha256::digest(secret.as_bytes()).into()
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_prefixed_and_unique() {
        let a = new_secret("r:");
        assert!(a.starts_with("r:"));
        assert_eq!(a.len(), 2 + 2 * SECRET_BYTES);
        assert_ne!(a, new_secret("r:"));
    }

    #[test]
    fn digest_is_sha256() {
        assert_eq!(
            hex::encode(digest("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"same", b"same"));
        assert!(!ct_eq(b"same", b"samf"));
        assert!(!ct_eq(b"same", b"sam"));
    }
}
