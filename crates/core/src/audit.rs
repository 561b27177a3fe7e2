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

/// Why a stored entry does not match the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("entry {found} follows entry {}: an entry is missing", expected - 1)]
    /// The entry's `seq` is not the one after the previous entry.
    Gap { expected: i64, found: i64 },
    /// The canonical JSON does not carry the entry's `seq`.
    #[error("entry {seq} carries another seq in its content")]
    SeqMismatch { seq: i64 },
    /// The stored hash is not the hash of the previous hash and the entry.
    #[error("entry {seq} does not match its hash: it or an earlier entry was changed")]
    Hash { seq: i64 },
}

/// Checks one organization's entries in order from the first, a page at a time.
#[derive(Debug, Clone)]
pub struct Verifier {
    previous: Digest32,
    next_seq: i64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            previous: GENESIS,
            next_seq: 1,
        }
    }
}

impl Verifier {
    /// Checks the next entry: its `seq`, the `seq` inside its canonical JSON, its hash.
    pub fn check(&mut self, seq: i64, entry: &str, hash: &Digest32) -> Result<(), Broken> {
        if seq != self.next_seq {
            return Err(Broken::Gap {
                expected: self.next_seq,
                found: seq,
            });
        }
        let sealed = entry.starts_with(&format!("{{\"seq\":{seq},"))
            || entry == format!("{{\"seq\":{seq}}}");
        if !sealed {
            return Err(Broken::SeqMismatch { seq });
        }
        if chain(&self.previous, entry) != *hash {
            return Err(Broken::Hash { seq });
        }
        self.previous = *hash;
        self.next_seq += 1;
        Ok(())
    }

    /// How many entries matched.
    pub fn checked(&self) -> i64 {
        self.next_seq - 1
    }
}

/// Checks entries `(seq, canonical JSON, stored hash)` of one organization, in order from
/// the first; answers how many matched, or the first entry that does not.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = (i64, &'a str, &'a Digest32)>,
) -> Result<i64, Broken> {
    let mut verifier = Verifier::default();
    for (seq, entry, hash) in entries {
        verifier.check(seq, entry, hash)?;
    }
    Ok(verifier.checked())
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

    #[test]
    fn verify_names_the_first_entry_that_does_not_match() {
        let e1 = seal(1, r#"{"type":"A"}"#);
        let e2 = seal(2, r#"{"type":"B"}"#);
        let h1 = chain(&GENESIS, &e1);
        let h2 = chain(&h1, &e2);
        assert_eq!(
            verify([(1, e1.as_str(), &h1), (2, e2.as_str(), &h2)]),
            Ok(2)
        );
        let forged = seal(2, r#"{"type":"C"}"#);
        assert_eq!(
            verify([(1, e1.as_str(), &h1), (2, forged.as_str(), &h2)]),
            Err(Broken::Hash { seq: 2 })
        );
        assert_eq!(
            verify([(2, e2.as_str(), &h2)]),
            Err(Broken::Gap {
                expected: 1,
                found: 2
            })
        );
        assert_eq!(
            verify([(1, e2.as_str(), &h1)]),
            Err(Broken::SeqMismatch { seq: 1 })
        );
    }
}
