//! Opaque, self-describing folder and item ids and change keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Prefix of every item id, so that ids look like Exchange's and are easy to tell apart.
const ITEM_PREFIX: &str = "AAMkA";
/// Prefix of every folder id.
const FOLDER_PREFIX: &str = "AQMkA";

/// Encodes an item id from its mailbox and serial.
pub fn item_id(mailbox: u32, serial: u64) -> String {
    let mut bytes = [0u8; 13];
    bytes[0] = b'I';
    bytes[1..5].copy_from_slice(&mailbox.to_le_bytes());
    bytes[5..13].copy_from_slice(&serial.to_le_bytes());
    format!("{ITEM_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Decodes an item id into (mailbox, serial).
pub fn parse_item_id(id: &str) -> Option<(u32, u64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.strip_prefix(ITEM_PREFIX)?).ok()?;
    if bytes.len() != 13 || bytes[0] != b'I' {
        return None;
    }
    Some((
        u32::from_le_bytes(bytes[1..5].try_into().ok()?),
        u64::from_le_bytes(bytes[5..13].try_into().ok()?),
    ))
}

/// Encodes a folder id from its mailbox and folder number.
pub fn folder_id(mailbox: u32, folder: u16) -> String {
    let mut bytes = [0u8; 7];
    bytes[0] = b'F';
    bytes[1..5].copy_from_slice(&mailbox.to_le_bytes());
    bytes[5..7].copy_from_slice(&folder.to_le_bytes());
    format!("{FOLDER_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Decodes a folder id into (mailbox, folder number).
pub fn parse_folder_id(id: &str) -> Option<(u32, u16)> {
    let bytes = URL_SAFE_NO_PAD
        .decode(id.strip_prefix(FOLDER_PREFIX)?)
        .ok()?;
    if bytes.len() != 7 || bytes[0] != b'F' {
        return None;
    }
    Some((
        u32::from_le_bytes(bytes[1..5].try_into().ok()?),
        u16::from_le_bytes(bytes[5..7].try_into().ok()?),
    ))
}

/// A change key that changes with every version of an entity.
pub fn change_key(serial: u64, version: u32) -> String {
    let mut bytes = [0u8; 12];
    bytes[0..8].copy_from_slice(&serial.to_le_bytes());
    bytes[8..12].copy_from_slice(&version.to_le_bytes());
    format!("CQAAAB{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        assert_eq!(parse_item_id(&item_id(7, 123_456)), Some((7, 123_456)));
        assert_eq!(parse_folder_id(&folder_id(9, 4)), Some((9, 4)));
        assert_eq!(parse_item_id(&folder_id(9, 4)), None);
        assert_eq!(parse_item_id("AAMkA!!!"), None);
        assert_eq!(parse_folder_id(""), None);
        assert_ne!(change_key(1, 1), change_key(1, 2));
    }
}
