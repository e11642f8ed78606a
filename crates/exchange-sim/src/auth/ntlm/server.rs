//! Server side of the connection-oriented NTLMv2 handshake (MS-NLMP 3.2.5).

use super::crypto;
use super::error::NtlmError;
use super::messages::{self, Authenticate, Negotiate, NtlmV2Response, av, flags};

/// Flags the server grants only when the client asked for them.
const ECHOED_FLAGS: u32 = flags::REQUEST_TARGET
    | flags::SIGN
    | flags::SEAL
    | flags::ALWAYS_SIGN
    | flags::KEY_128
    | flags::KEY_56
    | flags::KEY_EXCH;

/// Flags the server always sets in its CHALLENGE.
const SERVER_FLAGS: u32 = flags::UNICODE
    | flags::NTLM
    | flags::TARGET_TYPE_DOMAIN
    | flags::EXTENDED_SESSION_SECURITY
    | flags::TARGET_INFO
    | flags::VERSION;

/// A user authenticated by an NTLM handshake, exactly as the client named itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtlmIdentity {
    /// User name as sent (`alice`, or a UPN such as `alice@contoso.test`).
    pub user: String,
    /// Domain as sent (`CONTOSO`, or empty with a UPN).
    pub domain: String,
}

/// Server-side state of one NTLM handshake on one connection.
///
/// Call [`challenge`](Self::challenge) with the client's NEGOTIATE message,
/// then [`authenticate`](Self::authenticate) with its AUTHENTICATE message.
/// Each challenge is random and can be answered once: after a failed
/// `authenticate` the client must start over with a new NEGOTIATE.
#[derive(Debug)]
pub struct NtlmServer {
    netbios_domain: String,
    dns_domain: String,
    server_name: String,
    pending: Option<Pending>,
}

/// A CHALLENGE that was sent and awaits its AUTHENTICATE.
#[derive(Debug)]
struct Pending {
    negotiate: Vec<u8>,
    challenge: Vec<u8>,
    server_challenge: [u8; 8],
}

impl NtlmServer {
    /// `netbios_domain` e.g. "CONTOSO", `dns_domain` e.g. "contoso.test", `server_name` e.g. "EXCH01".
    pub fn new(netbios_domain: &str, dns_domain: &str, server_name: &str) -> Self {
        Self {
            netbios_domain: netbios_domain.to_owned(),
            dns_domain: dns_domain.to_owned(),
            server_name: server_name.to_owned(),
            pending: None,
        }
    }

    /// Consume a NEGOTIATE (type 1) message and return the CHALLENGE (type 2) to send.
    ///
    /// Always starts a fresh handshake, discarding any pending challenge.
    pub fn challenge(&mut self, negotiate: &[u8]) -> Result<Vec<u8>, NtlmError> {
        self.pending = None;
        let client_flags = Negotiate::parse(negotiate)?.flags;
        if client_flags & flags::UNICODE == 0 {
            return Err(NtlmError::UnicodeRequired);
        }
        let server_challenge: [u8; 8] = rand::random();
        let challenge = messages::encode_challenge(
            SERVER_FLAGS | (client_flags & ECHOED_FLAGS),
            &server_challenge,
            &messages::utf16le(&self.netbios_domain),
            &self.target_info()?,
        )?;
        self.pending = Some(Pending {
            negotiate: negotiate.to_vec(),
            challenge: challenge.clone(),
            server_challenge,
        });
        Ok(challenge)
    }

    /// Verify an AUTHENTICATE (type 3) message against the pending challenge.
    ///
    /// `password_for(domain, user)` returns the cleartext password of an
    /// existing account. A UPN logon (`alice@contoso.test` with an empty
    /// domain) is looked up as `password_for("contoso.test", "alice")`; any
    /// other logon with the domain and user exactly as sent. Only NTLMv2 is
    /// accepted; a MIC, when the client declares one, must be valid.
    pub fn authenticate(
        &mut self,
        authenticate: &[u8],
        password_for: impl Fn(&str, &str) -> Option<String>,
    ) -> Result<NtlmIdentity, NtlmError> {
        let pending = self.pending.take().ok_or(NtlmError::OutOfOrder)?;
        let message = Authenticate::parse(authenticate)?;
        match message.nt_response.len() {
            0 if message.user.is_empty() => return Err(NtlmError::Anonymous),
            0 | messages::NTLMV1_RESPONSE_LEN => return Err(NtlmError::NtlmV1Refused),
            _ => {}
        }
        let response = NtlmV2Response::parse(message.nt_response)?;
        let identity = NtlmIdentity {
            user: message.user.clone(),
            domain: message.domain.clone(),
        };

        let (lookup_domain, lookup_user) = account_name(&identity.domain, &identity.user);
        let Some(password) = password_for(lookup_domain, lookup_user) else {
            return Err(NtlmError::UnknownUser {
                user: identity.user,
                domain: identity.domain,
            });
        };
        let key = crypto::ntowf_v2(&password, &identity.user, &identity.domain);
        let proof_input: [&[u8]; 2] = [&pending.server_challenge, response.blob];
        if !crypto::hmac_md5_matches(&key, &proof_input, response.proof) {
            return Err(NtlmError::WrongPassword {
                user: identity.user,
                domain: identity.domain,
            });
        }

        if response.av_flags & av::FLAG_MIC_PRESENT != 0 {
            let session_base_key = crypto::hmac_md5(&key, &[response.proof]);
            if !mic_matches(&pending, authenticate, &message, &session_base_key)? {
                return Err(NtlmError::MicMismatch {
                    user: identity.user,
                    domain: identity.domain,
                });
            }
        }
        Ok(identity)
    }

    /// TargetInfo AV pairs describing this server, with the current time.
    fn target_info(&self) -> Result<Vec<u8>, NtlmError> {
        let dns_computer_name = if self.dns_domain.is_empty() {
            self.server_name.to_lowercase()
        } else {
            format!("{}.{}", self.server_name, self.dns_domain).to_lowercase()
        };
        messages::encode_av_pairs(&[
            (av::NB_DOMAIN_NAME, &messages::utf16le(&self.netbios_domain)),
            (av::NB_COMPUTER_NAME, &messages::utf16le(&self.server_name)),
            (av::DNS_DOMAIN_NAME, &messages::utf16le(&self.dns_domain)),
            (
                av::DNS_COMPUTER_NAME,
                &messages::utf16le(&dns_computer_name),
            ),
            (av::DNS_TREE_NAME, &messages::utf16le(&self.dns_domain)),
            (av::TIMESTAMP, &crypto::filetime_now().to_le_bytes()),
        ])
    }
}

/// The (domain, user) to look up: a UPN with an empty domain is split at its last `@`.
fn account_name<'a>(domain: &'a str, user: &'a str) -> (&'a str, &'a str) {
    match user.rsplit_once('@') {
        Some((name, suffix)) if domain.is_empty() => (suffix, name),
        _ => (domain, user),
    }
}

/// Check the MIC: HMAC-MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with MIC zeroed).
fn mic_matches(
    pending: &Pending,
    authenticate: &[u8],
    message: &Authenticate<'_>,
    session_base_key: &[u8; 16],
) -> Result<bool, NtlmError> {
    let exported_session_key = if message.flags & flags::KEY_EXCH != 0 {
        let encrypted =
            message
                .encrypted_session_key
                .try_into()
                .map_err(|_| NtlmError::Malformed {
                    message: "AUTHENTICATE",
                    reason: "key exchange negotiated but EncryptedRandomSessionKey is not 16 bytes"
                        .to_owned(),
                })?;
        crypto::rc4_decrypt(session_base_key, encrypted)
    } else {
        *session_base_key
    };
    let Some(mic) = Authenticate::mic(authenticate) else {
        return Ok(false);
    };
    let mut zeroed = authenticate.to_vec();
    zeroed[messages::MIC_OFFSET..messages::MIC_OFFSET + messages::MIC_LEN].fill(0);
    Ok(crypto::hmac_md5_matches(
        &exported_session_key,
        &[&pending.negotiate, &pending.challenge, &zeroed],
        mic,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_logons_are_split_for_lookup() {
        assert_eq!(
            account_name("", "alice@contoso.test"),
            ("contoso.test", "alice")
        );
        assert_eq!(account_name("CONTOSO", "alice"), ("CONTOSO", "alice"));
        assert_eq!(
            account_name("CONTOSO", "alice@contoso.test"),
            ("CONTOSO", "alice@contoso.test")
        );
        assert_eq!(account_name("", "alice"), ("", "alice"));
    }

    #[test]
    fn authenticate_without_challenge_is_out_of_order() {
        let mut server = NtlmServer::new("CONTOSO", "contoso.test", "EXCH01");
        let err = server.authenticate(b"NTLMSSP\0", |_, _| None).unwrap_err();
        assert!(matches!(err, NtlmError::OutOfOrder), "{err}");
    }

    #[test]
    fn challenge_describes_the_server() {
        let mut server = NtlmServer::new("CONTOSO", "contoso.test", "EXCH01");
        let negotiate = [
            b"NTLMSSP\0".as_slice(),
            &1u32.to_le_bytes(),
            &(flags::UNICODE | flags::KEY_EXCH | flags::SEAL).to_le_bytes(),
        ]
        .concat();
        let first = server.challenge(&negotiate).unwrap();
        let second = server.challenge(&negotiate).unwrap();
        assert_eq!(&first[..12], b"NTLMSSP\0\x02\0\0\0");
        assert_ne!(
            first[24..32],
            second[24..32],
            "server challenge must be random"
        );
        let flags = u32::from_le_bytes(first[20..24].try_into().unwrap());
        assert_eq!(
            flags,
            SERVER_FLAGS | flags::KEY_EXCH | flags::SEAL,
            "{flags:#x}"
        );
        let text = String::from_utf16_lossy(
            &first
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        );
        assert!(text.contains("exch01.contoso.test"), "{text:?}");
    }

    #[test]
    fn negotiate_without_unicode_is_refused() {
        let mut server = NtlmServer::new("CONTOSO", "contoso.test", "EXCH01");
        let negotiate = [b"NTLMSSP\0".as_slice(), &1u32.to_le_bytes(), &[2, 0, 0, 0]].concat();
        let err = server.challenge(&negotiate).unwrap_err();
        assert!(matches!(err, NtlmError::UnicodeRequired), "{err}");
    }
}
