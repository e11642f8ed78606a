//! The `X-Impersync-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256>` of
//! `"<t>.<body>"` under the webhook's secret.

use hmac::{Hmac, KeyInit, Mac};
use impersync_store::SecretString;
use sha2::Sha256;

/// The header naming the attempt (a fresh id per POST).
pub const DELIVERY_HEADER: &str = "X-Impersync-Delivery";

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Impersync-Signature";

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mac = hmac_sha256_hex(secret.expose().as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={mac}")
}

/// The lowercase hex HMAC-SHA256 of the concatenated `parts`.
fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_header_signs_timestamp_dot_body() {
        let secret = SecretString::new("Jefe");
        let header = signature(&secret, 1_700_000_000, b"{}");
        let expected = hmac_sha256_hex(b"Jefe", &[b"1700000000.{}"]);
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
    }
}
