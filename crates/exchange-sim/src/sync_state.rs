//! Opaque, tamper-evident sync states: a watermark signed with the simulator's key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::sync::RwLock;

/// What a sync state belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncTarget {
    /// The items of one folder of one mailbox.
    Items {
        /// Mailbox number.
        mailbox: u32,
        /// Folder number.
        folder: u16,
    },
    /// The folder tree of one mailbox.
    Hierarchy {
        /// Mailbox number.
        mailbox: u32,
    },
}

const VERSION: u8 = 1;
const MAC_LEN: usize = 16;
const BODY_LEN: usize = 16;

/// Signs sync states and checks them.
pub struct SyncStateKey(RwLock<[u8; 32]>);

impl std::fmt::Debug for SyncStateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncStateKey(..)")
    }
}

impl SyncStateKey {
    /// A fresh random key.
    pub fn random() -> Self {
        Self(RwLock::new(rand::random()))
    }

    /// Replaces the key: every state issued so far becomes invalid.
    pub fn rotate(&self) {
        *self.0.write().expect("sync key lock") = rand::random();
    }

    fn mac(&self, body: &[u8]) -> Hmac<Sha256> {
        let key = *self.0.read().expect("sync key lock");
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(body);
        mac
    }

    fn body(target: SyncTarget, watermark: u64) -> [u8; BODY_LEN] {
        let (kind, mailbox, folder) = match target {
            SyncTarget::Items { mailbox, folder } => (b'I', mailbox, folder),
            SyncTarget::Hierarchy { mailbox } => (b'H', mailbox, 0),
        };
        let mut body = [0u8; BODY_LEN];
        body[0] = VERSION;
        body[1] = kind;
        body[2..6].copy_from_slice(&mailbox.to_le_bytes());
        body[6..8].copy_from_slice(&folder.to_le_bytes());
        body[8..16].copy_from_slice(&watermark.to_le_bytes());
        body
    }

    /// Encodes a watermark for a target.
    pub fn encode(&self, target: SyncTarget, watermark: u64) -> String {
        let body = Self::body(target, watermark);
        let tag = self.mac(&body).finalize().into_bytes();
        let mut raw = body.to_vec();
        raw.extend_from_slice(&tag[..MAC_LEN]);
        STANDARD.encode(raw)
    }

    /// Decodes a state for the expected target; `None` if forged, corrupted or for another target.
    pub fn decode(&self, target: SyncTarget, state: &str) -> Option<u64> {
        let raw = STANDARD.decode(state.trim()).ok()?;
        if raw.len() != BODY_LEN + MAC_LEN {
            return None;
        }
        let (body, tag) = raw.split_at(BODY_LEN);
        self.mac(body).verify_truncated_left(tag).ok()?;
        let watermark = u64::from_le_bytes(body[8..16].try_into().ok()?);
        (body == Self::body(target, watermark)).then_some(watermark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_verify_and_refuse_tampering() {
        let key = SyncStateKey::random();
        let inbox = SyncTarget::Items {
            mailbox: 3,
            folder: 2,
        };
        let state = key.encode(inbox, 77);
        assert_eq!(key.decode(inbox, &state), Some(77));
        assert_eq!(
            key.decode(
                SyncTarget::Items {
                    mailbox: 3,
                    folder: 4
                },
                &state
            ),
            None
        );
        assert_eq!(
            key.decode(SyncTarget::Hierarchy { mailbox: 3 }, &state),
            None
        );
        assert_eq!(SyncStateKey::random().decode(inbox, &state), None);
        let mut raw = STANDARD.decode(&state).unwrap();
        raw[10] ^= 1;
        assert_eq!(key.decode(inbox, &STANDARD.encode(raw)), None);
        assert_eq!(key.decode(inbox, "not base64!"), None);
        key.rotate();
        assert_eq!(
            key.decode(inbox, &state),
            None,
            "rotation invalidates old states"
        );
    }
}
