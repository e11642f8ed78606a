//! Secret values and their encryption at rest (AES-256-GCM).
//!
//! A sealed secret is stored as `enc:v1:<key id>:<base64 of nonce and ciphertext>`. The
//! key id is derived from the master key, so a value sealed with another key is reported
//! as such instead of failing as "corrupt". Each value gets a fresh random 96-bit nonce,
//! and its place in the database (table, row, column) is bound as associated data, so a
//! sealed value copied to another organisation's row does not decrypt.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

use crate::error::StoreError;

const PREFIX: &str = "enc:v1:";
const NONCE_LEN: usize = 12;

/// A secret string (password, refresh token, client secret, API token).
/// `Debug` and `Display` print `***`; the memory is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The 32-byte master key that encrypts every secret. `Debug` prints only its id.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Self {
        Self(rand::random())
    }

    /// Parses the base64 of 32 bytes. `origin` names where the text came from
    /// (`IMPERSYNC_MASTER_KEY` or a file path), for the error message.
    pub fn from_base64(text: &str, origin: &str) -> Result<Self, StoreError> {
        let malformed = |reason: String| StoreError::MasterKeyMalformed {
            origin: origin.to_string(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(malformed("it is empty".into()));
        }
        let mut bytes = Zeroizing::new(
            STANDARD
                .decode(trimmed)
                .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed.trim_end_matches('=')))
                .map_err(|_| malformed("it is not valid base64".into()))?,
        );
        if bytes.len() != 32 {
            let n = bytes.len();
            bytes.zeroize();
            return Err(malformed(format!("it decodes to {n} bytes, not 32")));
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self(key))
    }

    /// The key as base64, to write into a key file or to show once to an operator.
    pub fn to_base64(&self) -> SecretString {
        SecretString::new(STANDARD.encode(self.0))
    }

    /// A short public id of the key (not secret): 8 hex digits of a hash of the key.
    pub fn id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"impersync master key id\0");
        hasher.update(self.0);
        hex(&hasher.finalize()[..4])
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(id {})", self.id())
    }
}

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Not in the `enc:v1:` format.
    #[error("it is not in the sealed-secret format")]
    Malformed,
    /// Sealed with another master key.
    #[error("it was encrypted with master key {stored}, but the current key is {current}")]
    OtherKey {
        /// The id in the sealed value.
        stored: String,
        /// The id of the current key.
        current: String,
    },
    /// The authentication tag does not match: the value was changed, or moved to another row.
    #[error("it was altered or does not belong to this row (authentication failed)")]
    Tampered,
}

/// Seals and opens secrets with one master key.
pub struct SecretBox {
    cipher: Aes256Gcm,
    key_id: String,
}

impl SecretBox {
    /// A box for this key.
    pub fn new(key: &MasterKey) -> Self {
        Self {
            cipher: Aes256Gcm::new(&key.0.into()),
            key_id: key.id(),
        }
    }

    /// The id of the key this box uses.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts `plaintext`, bound to `context` (where the value is stored).
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut raw = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}:{}", self.key_id, STANDARD.encode(raw))
    }

    /// Decrypts a value made by [`SecretBox::seal`] with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<SecretString, OpenError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(OpenError::Malformed)?;
        let (key_id, data) = rest.split_once(':').ok_or(OpenError::Malformed)?;
        if key_id != self.key_id {
            return Err(OpenError::OtherKey {
                stored: key_id.to_string(),
                current: self.key_id.clone(),
            });
        }
        let raw = STANDARD.decode(data).map_err(|_| OpenError::Malformed)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    &nonce.into(),
                    Payload {
                        msg: ciphertext,
                        aad: context.as_bytes(),
                    },
                )
                .map_err(|_| OpenError::Tampered)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| OpenError::Malformed)?;
        Ok(SecretString::new(text))
    }
}

/// The key id inside a sealed value, if it is one.
pub(crate) fn sealed_key_id(sealed: &str) -> Option<&str> {
    sealed
        .strip_prefix(PREFIX)?
        .split_once(':')
        .map(|(id, _)| id)
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBox(key id {})", self.key_id)
    }
}

/// Whether a secret is stored. The API reports this instead of the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SecretStatus {
    /// A value is stored.
    #[serde(rename = "set")]
    Set,
    /// No value is stored.
    #[serde(rename = "not set")]
    NotSet,
}

impl SecretStatus {
    /// `Set` when a value is present.
    pub fn of<T>(value: &Option<T>) -> Self {
        if value.is_some() {
            Self::Set
        } else {
            Self::NotSet
        }
    }

    /// Whether a value is stored.
    pub fn is_set(self) -> bool {
        self == Self::Set
    }
}

impl fmt::Display for SecretStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Set => "set",
            Self::NotSet => "not set",
        })
    }
}

/// A change to a write-only secret.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SecretUpdate {
    /// Keep the stored value (or none, if none is stored).
    #[default]
    Keep,
    /// Store this new value.
    Set(SecretString),
    /// Remove the stored value.
    Clear,
}

/// The SHA-256 of `data`, as lowercase hex.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_with_context() {
        let key = MasterKey::generate();
        let sb = SecretBox::new(&key);
        let sealed = sb.seal("hunter2", "ctx:a");
        assert!(sealed.starts_with(&format!("enc:v1:{}:", key.id())));
        assert!(!sealed.contains("hunter2"));
        assert_eq!(sb.open(&sealed, "ctx:a").unwrap().expose(), "hunter2");
        assert_eq!(sb.open(&sealed, "ctx:b").unwrap_err(), OpenError::Tampered);
        // Two seals of the same value differ (fresh nonce).
        assert_ne!(sealed, sb.seal("hunter2", "ctx:a"));
    }

    #[test]
    fn another_key_is_named_not_garbage() {
        let a = SecretBox::new(&MasterKey::generate());
        let b = SecretBox::new(&MasterKey::generate());
        let sealed = a.seal("x", "c");
        assert!(matches!(
            b.open(&sealed, "c"),
            Err(OpenError::OtherKey { .. })
        ));
        assert_eq!(a.open("plain", "c").unwrap_err(), OpenError::Malformed);
    }

    #[test]
    fn master_key_parsing_names_its_origin() {
        let key = MasterKey::generate();
        let b64 = key.to_base64();
        let parsed = MasterKey::from_base64(b64.expose(), "IMPERSYNC_MASTER_KEY").unwrap();
        assert_eq!(parsed.id(), key.id());
        let err = MasterKey::from_base64("c2hvcnQ=", "IMPERSYNC_MASTER_KEY").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("IMPERSYNC_MASTER_KEY") && text.contains("5 bytes"),
            "{text}"
        );
        assert!(MasterKey::from_base64("!!!", "X").is_err());
        assert!(!format!("{key:?}").contains(b64.expose()));
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_display() {
        let s = SecretString::new("topsecret");
        assert_eq!(format!("{s:?}"), "SecretString(***)");
        assert_eq!(format!("{s}"), "***");
        let u = SecretUpdate::Set(s);
        assert!(!format!("{u:?}").contains("topsecret"));
    }
}
