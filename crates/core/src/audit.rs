//! The audit log's hash chain. Each entry is sealed with its organization's next `seq`
//! (the canonical JSON of the entry is its body with `seq` first), and its hash is
//! SHA-256 over the previous entry's hash and that JSON. The first entry of an
//! organization chains to 32 zero bytes.

use sha2::{Digest, Sha256};

use crate::secret::Digest32;

/// The "previous hash" of an organization's first entry.
pub const GENESIS: Digest32 = [0; 32];

/// The canonical JSON of an entry: `body` (a JSON object without `seq` and `hash`) with
/// `"seq": seq` put first.
pub fn seal(seq: i64, body: &str) -> String {
    let rest = body.trim().strip_prefix('{').unwrap_or(body).trim_start();
    if rest.starts_with('}') {
        format!("{{\"seq\":{seq}}}")
    } else {
        format!("{{\"seq\":{seq},{rest}")
    }
}

/// The hash of an entry whose canonical JSON is `entry`, after an entry hashed `previous`.
pub fn chain(previous: &Digest32, entry: &str) -> Digest32 {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(entry.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_puts_seq_first() {
        assert_eq!(
            seal(7, r#"{"type":"KEY_SENT"}"#),
            r#"{"seq":7,"type":"KEY_SENT"}"#
        );
        assert_eq!(seal(1, "{}"), r#"{"seq":1}"#);
    }

    #[test]
    fn the_chain_depends_on_every_previous_entry() {
        let a = chain(&GENESIS, &seal(1, r#"{"type":"A"}"#));
        let b = chain(&a, &seal(2, r#"{"type":"B"}"#));
        let a_changed = chain(&GENESIS, &seal(1, r#"{"type":"X"}"#));
        assert_ne!(b, chain(&a_changed, &seal(2, r#"{"type":"B"}"#)));
        assert_eq!(b, chain(&a, &seal(2, r#"{"type":"B"}"#)));
    }
}
