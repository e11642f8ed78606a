//! Newtype ids, so an organisation id cannot be passed where a user id is meant.
//!
//! Ids are random positive 63-bit integers made by the application, which keeps the
//! `INSERT` statements the same on SQLite and PostgreSQL (no `RETURNING`, no sequences).
//! In JSON an id is a decimal string, because JavaScript numbers hold only 53 bits.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A fresh random id in `1..=i64::MAX`.
pub(crate) fn random_id() -> i64 {
    loop {
        let id = (rand::random::<u64>() >> 1) as i64;
        if id != 0 {
            return id;
        }
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id, as read from a URL or a request.
            pub fn from_raw(raw: i64) -> Self {
                Self(raw)
            }

            /// The raw id, as stored.
            pub fn get(self) -> i64 {
                self.0
            }

            pub(crate) fn generate() -> Self {
                Self(random_id())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .map(Self)
                    .ok_or_else(|| format!(concat!("`{}` is not ", $what, ": give a positive integer"), s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Number(i64),
                    Text(String),
                }
                match Raw::deserialize(deserializer)? {
                    Raw::Number(n) => Ok(Self(n)),
                    Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
                }
            }
        }
    };
}

id_type!(
    /// An organisation (a tenant).
    OrgId,
    "an organisation id"
);
id_type!(
    /// A user of an organisation: one mailbox to check and sync.
    UserId,
    "a user id"
);
id_type!(
    /// A bulk access-check run.
    CheckRunId,
    "a check run id"
);
id_type!(
    /// An admin account of the panel.
    AdminId,
    "an admin id"
);
id_type!(
    /// An API token.
    TokenId,
    "a token id"
);
id_type!(
    /// An audit-log entry.
    AuditId,
    "an audit entry id"
);
id_type!(
    /// A webhook of an organisation: a receiver of its change feed.
    WebhookId,
    "a webhook id"
);
id_type!(
    /// One delivery attempt of a webhook (one POST).
    DeliveryId,
    "a delivery id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_and_round_trip_through_json_as_strings() {
        let id = OrgId::generate();
        assert!(id.get() > 0);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.get()));
        assert_eq!(serde_json::from_str::<OrgId>(&json).unwrap(), id);
        assert_eq!(
            serde_json::from_str::<OrgId>("42").unwrap(),
            OrgId::from_raw(42)
        );
        assert!("-1".parse::<UserId>().is_err());
        assert!("x".parse::<UserId>().unwrap_err().contains("a user id"));
    }
}
