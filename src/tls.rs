//! TLS set-up: operator PEM files, or a self-signed development certificate kept on disk.

use crate::config::TlsMode;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
/// The certificate or key could not be loaded or made.
pub enum TlsError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file holds no usable PEM item.
    #[error("{path} holds no usable PEM {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What the file should hold.
        what: &'static str,
    },
    #[error("generating the self-signed certificate: {0}")]
    /// The self-signed certificate could not be generated.
    Generate(#[from] rcgen::Error),
    #[error("TLS configuration: {0}")]
    /// rustls refused the certificate or key.
    Rustls(#[from] rustls::Error),
}

/// A ready TLS acceptor and the SHA-256 fingerprint of the leaf certificate, which clients
/// can pin (the bots' `--pin`).
#[derive(Clone)]
pub(crate) struct Tls {
    pub acceptor: TlsAcceptor,
    pub fingerprint: String,
}

/// Hex SHA-256 of a DER certificate, lowercase, colon-free: the form `--pin` takes.
pub(crate) fn fingerprint(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Build the acceptor for a mode; `None` for plain ws://.
pub(crate) fn load(mode: &TlsMode) -> Result<Option<Tls>, TlsError> {
    let (certs, key) = match mode {
        TlsMode::Plain => return Ok(None),
        TlsMode::Files { cert, key } => (read_certs(cert)?, read_key(key)?),
        TlsMode::SelfSigned { data_dir } => self_signed(data_dir)?,
    };
    let fingerprint = fingerprint(&certs[0]);
    // ring is chosen explicitly: no process-wide default provider is assumed.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    // Game messages are small; keep TLS session state lean and buffers bounded.
    cfg.send_tls13_tickets = 0;
    Ok(Some(Tls { acceptor: TlsAcceptor::from(Arc::new(cfg)), fingerprint }))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Io { path: path.into(), source })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(TlsError::Pem { path: path.into(), what: "certificate" });
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Io { path: path.into(), source })?;
    PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|_| TlsError::Pem { path: path.into(), what: "private key" })
}

/// Load the development certificate from `dir`, creating it on first use. The key file is
/// written with mode 0600; the directory is git-ignored.
fn self_signed(
    dir: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let cert_path = dir.join("dev-cert.pem");
    let key_path = dir.join("dev-key.pem");
    if cert_path.exists() && key_path.exists() {
        return Ok((read_certs(&cert_path)?, read_key(&key_path)?));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])?;
    write_private(&key_path, ck.signing_key.serialize_pem().as_bytes()).map_err(io(&key_path))?;
    std::fs::write(&cert_path, ck.cert.pem()).map_err(io(&cert_path))?;
    tracing::info!(cert = %cert_path.display(), "created a self-signed development certificate");
    Ok((read_certs(&cert_path)?, read_key(&key_path)?))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_is_reused_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let mode = TlsMode::SelfSigned { data_dir: dir.path().into() };
        let a = load(&mode).unwrap().unwrap().fingerprint;
        let b = load(&mode).unwrap().unwrap().fingerprint;
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }
}
