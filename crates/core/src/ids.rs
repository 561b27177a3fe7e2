//! Object identifiers: 10 characters of `[A-Za-z0-9]`, in the style of the Parse backend
//! that Nexkey clients were written against.

use rand::Rng;
use rand::distr::Alphanumeric;

/// Length of every `objectId`.
pub const OBJECT_ID_LEN: usize = 10;

/// A new random `objectId` (about 59 bits of randomness).
pub fn new_object_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(OBJECT_ID_LEN)
        .map(char::from)
        .collect()
}

/// Whether `s` has the shape of an `objectId`.
pub fn is_object_id(s: &str) -> bool {
    s.len() == OBJECT_ID_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_have_the_object_id_shape_and_differ() {
        let a = new_object_id();
        let b = new_object_id();
        assert!(is_object_id(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn shape_check_rejects_wrong_length_and_symbols() {
        assert!(is_object_id("3l6FvM305C"));
        assert!(!is_object_id("3l6FvM305"));
        assert!(!is_object_id("3l6FvM305C1"));
        assert!(!is_object_id("3l6FvM30-C"));
        assert!(!is_object_id("3l6FvM30éC"));
    }
}
