//! TLS policy: verify (the default), pin a certificate's SHA-256, or ignore trust.

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// How the server's certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// Verify the chain against the system's roots (and any extra CA given).
    #[default]
    Verify,
    /// Accept exactly the certificate with this SHA-256 fingerprint.
    Pin([u8; 32]),
    /// Accept any certificate. Must be asked for explicitly; reported as a warning.
    IgnoreTrust,
}

/// Why a TLS policy could not be parsed or set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsPolicyError {
    /// Unknown policy text.
    #[error("`{0}` is not a TLS policy; use verify, pin:SHA256 (64 hex digits) or ignore-trust")]
    Unknown(String),
    /// A pin that is not 32 bytes of hex.
    #[error("`{0}` is not a SHA-256 fingerprint: give 64 hex digits (colons allowed)")]
    BadPin(String),
    /// The system roots could not be loaded.
    #[error("cannot load the system's trusted root certificates: {0}")]
    Roots(String),
}

impl FromStr for TlsPolicy {
    type Err = TlsPolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if lower == "verify" {
            return Ok(Self::Verify);
        }
        if lower == "ignore-trust" {
            return Ok(Self::IgnoreTrust);
        }
        let Some(hex) = lower.strip_prefix("pin:") else {
            return Err(TlsPolicyError::Unknown(s.to_string()));
        };
        let digits: String = hex.chars().filter(|c| *c != ':').collect();
        if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(TlsPolicyError::BadPin(hex.to_string()));
        }
        let mut pin = [0u8; 32];
        for (i, byte) in pin.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                .map_err(|_| TlsPolicyError::BadPin(hex.to_string()))?;
        }
        Ok(Self::Pin(pin))
    }
}

impl fmt::Display for TlsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verify => f.write_str("verify"),
            Self::Pin(p) => write!(f, "pin:{}", hex(p)),
            Self::IgnoreTrust => f.write_str("ignore-trust"),
        }
    }
}

impl TlsPolicy {
    /// The warning to show on every run, if this policy weakens TLS.
    pub fn warning(&self) -> Option<&'static str> {
        match self {
            Self::IgnoreTrust => Some(
                "TLS trust is ignored (ignore-trust): any certificate is accepted, so a man in the middle could read the service account's credentials. Use verify, or pin the certificate.",
            ),
            Self::Pin(_) => Some(
                "TLS uses a pinned certificate: it stops working when the server's certificate is renewed.",
            ),
            Self::Verify => None,
        }
    }

    /// A rustls client configuration enforcing this policy.
    pub fn client_config(
        &self,
        extra_roots: &[CertificateDer<'static>],
    ) -> Result<rustls::ClientConfig, TlsPolicyError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsPolicyError::Roots(e.to_string()))?;
        let config = match self {
            Self::Verify => {
                let mut roots = rustls::RootCertStore::empty();
                let native = rustls_native_certs::load_native_certs();
                for cert in native.certs {
                    let _ = roots.add(cert);
                }
                for cert in extra_roots {
                    roots
                        .add(cert.clone())
                        .map_err(|e| TlsPolicyError::Roots(e.to_string()))?;
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            Self::Pin(pin) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned {
                    pin: Some(*pin),
                    algorithms: provider.signature_verification_algorithms,
                }))
                .with_no_client_auth(),
            Self::IgnoreTrust => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned {
                    pin: None,
                    algorithms: provider.signature_verification_algorithms,
                }))
                .with_no_client_auth(),
        };
        Ok(config)
    }
}

/// The SHA-256 fingerprint of a DER certificate, as lowercase hex.
pub fn fingerprint(cert: &[u8]) -> String {
    hex(&Sha256::digest(cert))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Accepts the pinned certificate (or, without a pin, any), still checking handshake signatures.
#[derive(Debug)]
struct Pinned {
    pin: Option<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.pin {
            Some(pin) if Sha256::digest(end_entity.as_ref()).as_slice() != pin => {
                Err(rustls::Error::General(format!(
                    "the server certificate's SHA-256 is {}, not the pinned {}",
                    fingerprint(end_entity.as_ref()),
                    hex(&pin)
                )))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Makes sure rustls has a process-wide provider (ring), for code that builds configs without one.
pub fn install_default_provider() {
    let _ = CryptoProvider::install_default(rustls::crypto::ring::default_provider());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_policies() {
        assert_eq!("verify".parse::<TlsPolicy>().unwrap(), TlsPolicy::Verify);
        assert_eq!(
            "ignore-trust".parse::<TlsPolicy>().unwrap(),
            TlsPolicy::IgnoreTrust
        );
        let pin = format!("pin:{}", "ab".repeat(32));
        assert_eq!(pin.parse::<TlsPolicy>().unwrap().to_string(), pin);
        assert!("pin:abc".parse::<TlsPolicy>().is_err());
        assert!("trust-me".parse::<TlsPolicy>().is_err());
        assert!(TlsPolicy::IgnoreTrust.warning().is_some());
        assert!(TlsPolicy::Verify.warning().is_none());
    }
}
