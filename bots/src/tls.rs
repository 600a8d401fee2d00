//! Client TLS for talking to Tickwave servers, including development servers with a
//! self-signed certificate: verification off (`--insecure`) or pinned by SHA-256 (`--pin`).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// How the client checks the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertCheck {
    /// Accept any certificate (development only).
    Insecure,
    /// Accept only a leaf certificate whose SHA-256 (hex) is this, or one of these when the
    /// string is a comma-separated list (a cluster whose nodes have their own certificates).
    Pin(String),
}

/// Hex SHA-256 of a DER certificate (the form the server logs at start).
pub fn fingerprint(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Does the certificate's fingerprint match the pin, or one pin of a comma-separated list?
fn pin_matches(pins: &str, fp: &str) -> bool {
    pins.split(',').any(|p| fp.eq_ignore_ascii_case(p.trim()))
}

#[derive(Debug)]
struct Verifier {
    pin: Option<String>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.pin {
            None => Ok(ServerCertVerified::assertion()),
            Some(pins) if pin_matches(pins, &fingerprint(end_entity)) => {
                Ok(ServerCertVerified::assertion())
            }
            Some(_) => Err(rustls::Error::General("certificate does not match the pin".into())),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A rustls client configuration for the given check (ring provider, ALPN http/1.1).
pub fn client_config(check: &CertCheck) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let pin = match check {
        CertCheck::Insecure => None,
        CertCheck::Pin(p) => Some(p.clone()),
    };
    let mut cfg = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Verifier { pin, provider }))
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

#[cfg(test)]
mod tests {
    use super::pin_matches;

    #[test]
    fn a_pin_list_accepts_any_of_its_fingerprints() {
        assert!(pin_matches("ab12", "AB12"));
        assert!(pin_matches("cd34, ab12", "ab12"));
        assert!(!pin_matches("cd34,ef56", "ab12"));
        assert!(!pin_matches("", "ab12"));
    }
}
