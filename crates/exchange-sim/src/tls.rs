//! TLS for the simulator: a generated CA and server certificate, or files given by the user.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// Certificate generation failed.
    #[error("cannot generate the simulator's certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// The certificate or key files are unusable.
    #[error("cannot use the certificate or key: {0}")]
    Files(String),
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Config(#[from] rustls::Error),
}

/// A server TLS configuration and what clients need to trust it.
#[derive(Debug, Clone)]
pub struct SimTls {
    /// The rustls server configuration.
    pub config: Arc<rustls::ServerConfig>,
    /// The issuing CA certificate in PEM, for clients' `--ca-file` (None for user-given files).
    pub ca_pem: Option<String>,
    /// SHA-256 of the server certificate (DER), lowercase hex, for `pin:`.
    pub fingerprint: String,
}

impl SimTls {
    /// A fresh CA and a server certificate for the given DNS names and IP addresses.
    pub fn generate(names: &[String]) -> Result<Self, TlsSetupError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Impersync simulator CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names.to_vec())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        let leaf = params.signed_by(&key, &ca)?;
        let key_der = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| TlsSetupError::Files(e.to_string()))?;
        Self::from_parts(vec![leaf.der().clone()], key_der, Some(ca.pem()))
    }

    /// A configuration from PEM files: the certificate chain and its private key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsSetupError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsSetupError::Files(format!("certificate file: {e}")))?;
        if chain.is_empty() {
            return Err(TlsSetupError::Files(
                "the certificate file holds no PEM certificate".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| TlsSetupError::Files(format!("key file: {e}")))?;
        Self::from_parts(chain, key, None)
    }

    fn from_parts(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        ca_pem: Option<String>,
    ) -> Result<Self, TlsSetupError> {
        let fingerprint = Sha256::digest(chain[0].as_ref())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
        Ok(Self {
            config: Arc::new(config),
            ca_pem,
            fingerprint,
        })
    }
}
