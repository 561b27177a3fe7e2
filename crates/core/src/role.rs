//! Roles of a key on a lock, with Nexkey's numeric `roleID`.

use serde::{Deserialize, Serialize};

/// A key's role: `USER` = 0, `ADMIN` = 1, `OWNER` = 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    User,
    Admin,
    Owner,
}

impl Role {
    /// Nexkey's `roleID`.
    pub fn id(self) -> i64 {
        match self {
            Role::User => 0,
            Role::Admin => 1,
            Role::Owner => 2,
        }
    }

    /// The role with this `roleID`.
    pub fn from_id(id: i64) -> Option<Role> {
        match id {
            0 => Some(Role::User),
            1 => Some(Role::Admin),
            2 => Some(Role::Owner),
            _ => None,
        }
    }

    /// The role's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Admin => "ADMIN",
            Role::Owner => "OWNER",
        }
    }

    /// `ADMIN` or `OWNER`: may administer the lock.
    pub fn is_admin(self) -> bool {
        self >= Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_order_by_power() {
        for role in [Role::User, Role::Admin, Role::Owner] {
            assert_eq!(Role::from_id(role.id()), Some(role));
        }
        assert_eq!(Role::from_id(3), None);
        assert_eq!(
            serde_json::to_value(Role::Owner).unwrap(),
            Role::Owner.as_str()
        );
        assert!(!Role::User.is_admin());
        assert!(Role::Admin.is_admin() && Role::Owner.is_admin());
    }
}
