//! NTLMv2 cryptography (MS-NLMP 3.3.2, 3.4.5.1, 3.1.5.1.2).

use hmac::{Hmac, KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;
use rc4::{Rc4, StreamCipher};

use super::messages::utf16le;

type HmacMd5 = Hmac<Md5>;

/// NTOWFv2 = HMAC-MD5(MD4(UTF16LE(password)), UTF16LE(UPPER(user) || domain)).
pub(crate) fn ntowf_v2(password: &str, user: &str, domain: &str) -> [u8; 16] {
    let nt_hash = Md4::digest(utf16le(password));
    hmac_md5(&nt_hash, &[&utf16le(&(user.to_uppercase() + domain))])
}

/// HMAC-MD5 over the concatenation of `parts`.
pub(crate) fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    mac(key, parts).finalize().into_bytes().into()
}

/// Constant-time check that `tag` is the HMAC-MD5 of the concatenation of `parts`.
pub(crate) fn hmac_md5_matches(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    mac(key, parts).verify_slice(tag).is_ok()
}

fn mac(key: &[u8], parts: &[&[u8]]) -> HmacMd5 {
    let mut mac =
        <HmacMd5 as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// RC4-decrypt an EncryptedRandomSessionKey with the key exchange key.
pub(crate) fn rc4_decrypt(key: &[u8; 16], encrypted: &[u8; 16]) -> [u8; 16] {
    let mut out = *encrypted;
    Rc4::new_from_slice(key)
        .expect("RC4 accepts 16-byte keys")
        .apply_keystream(&mut out);
    out
}

/// Current time as a Windows FILETIME (100 ns ticks since 1601-01-01 UTC).
pub(crate) fn filetime_now() -> u64 {
    const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let ticks = u64::try_from(since_unix.as_nanos() / 100).unwrap_or(u64::MAX);
    UNIX_EPOCH_AS_FILETIME.saturating_add(ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// MS-NLMP 4.2.4: NTLMv2 authentication test vectors.
    #[test]
    fn ms_nlmp_ntlmv2_vectors() {
        let key = ntowf_v2("Password", "User", "Domain");
        assert_eq!(key.to_vec(), hex("0c868a403bfd7a93a3001ef22ef02e3f"));

        let server_challenge = hex("0123456789abcdef");
        let av_pairs = hex("02000c0044006f006d00610069006e00\
             01000c0053006500720076006500720000000000");
        let blob = [
            hex("0101000000000000"),
            hex("0000000000000000"),
            hex("aaaaaaaaaaaaaaaa"),
            hex("00000000"),
            av_pairs,
            hex("00000000"),
        ]
        .concat();
        let proof = hmac_md5(&key, &[&server_challenge, &blob]);
        assert_eq!(proof.to_vec(), hex("68cd0ab851e51c96aabc927bebef6a1c"));
        assert!(hmac_md5_matches(&key, &[&server_challenge, &blob], &proof));
        assert!(!hmac_md5_matches(&key, &[&blob], &proof));

        let session_base_key = hmac_md5(&key, &[&proof]);
        assert_eq!(
            session_base_key.to_vec(),
            hex("8de40ccadbc14a82f15cb0ad0de95ca3")
        );

        let encrypted: [u8; 16] = hex("c5dad2544fc9799094ce1ce90bc9d03e").try_into().unwrap();
        assert_eq!(rc4_decrypt(&session_base_key, &encrypted), [0x55; 16]);
    }
}
