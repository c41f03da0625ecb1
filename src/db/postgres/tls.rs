//! TLS as libpq's `sslmode` asks for it, by rustls. No certificate store is read unless the mode
//! verifies against it: OpenSSL parses the system's whole store on every start (80 ms here).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, InconsistentKeys, RootCertStore,
    SignatureScheme,
};

use super::target::{SslMode, Tls};

/// The client's TLS configuration for the URL's mode, with the root certificates of its
/// `sslrootcert` (a PEM file, or `system` for the system's store) when the mode verifies the
/// server's certificate, and its client certificate when it has one.
pub(super) fn client_config(tls: &Tls) -> Result<ClientConfig, String> {
    let (mode, root_cert) = (tls.mode, tls.root_cert.as_deref());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // As libpq: `require` verifies the chain when a root certificate file is there.
    let chain = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        SslMode::Require => root_cert.is_some_and(|p| p.is_file() || p == Path::new("system")),
        _ => false,
    };
    let inner = if chain {
        let roots = Arc::new(roots(mode, root_cert)?);
        let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| format!("the root certificates cannot be used: {e}"))?;
        Some(verifier)
    } else {
        None
    };
    let verifier = Verifier {
        inner,
        check_name: mode == SslMode::VerifyFull,
        provider: provider.clone(),
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match &tls.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let (chain, key) = client_identity(cert, key)?;
            let signer = provider
                .key_provider
                .load_private_key(key)
                .map_err(|e| format!("the client key: {e}"))?;
            let identity = CertifiedKey::new(chain, signer);
            // A v1 certificate (what `openssl x509 -req` makes without extensions, as in
            // PostgreSQL's own instructions) cannot be parsed here; the server checks it.
            if let Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) =
                identity.keys_match()
            {
                return Err(format!(
                    "the client key does not belong to the client certificate {}",
                    cert.display()
                ));
            }
            builder.with_client_cert_resolver(Arc::new(ClientIdentity(Arc::new(identity))))
        }
    };
    config.enable_sni = tls.sni;
    Ok(config)
}

/// The one client certificate, offered to every server that asks.
#[derive(Debug)]
struct ClientIdentity(Arc<CertifiedKey>);

impl ResolvesClientCert for ClientIdentity {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The client certificate's chain and key, read as libpq reads them: PEM, and a key that
/// neither the group nor others can read (0640 allowed if root owns it).
fn client_identity(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    use std::os::unix::fs::MetadataExt;
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("cannot read the client certificate {}: {e}", cert.display()))?;
    let meta = std::fs::metadata(key)
        .map_err(|e| format!("cannot read the client key {}: {e}", key.display()))?;
    if !meta.is_file() {
        return Err(format!("the client key {} is not a file", key.display()));
    }
    let loose = if meta.uid() == 0 { 0o037 } else { 0o077 };
    if meta.mode() & loose != 0 {
        return Err(format!(
            "the client key {} can be read by others (mode {:o}): as libpq, authctl wants 0600 \
             or less (0640 if root owns it); chmod 600 it",
            key.display(),
            meta.mode() & 0o777
        ));
    }
    let text = std::fs::read(key)
        .map_err(|e| format!("cannot read the client key {}: {e}", key.display()))?;
    if text.windows(9).any(|w| w == b"ENCRYPTED") {
        return Err(format!(
            "the client key {} is encrypted, and authctl takes no sslpassword: decrypt it \
             (openssl pkey -in KEY -out KEY.plain) and keep it mode 0600",
            key.display()
        ));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&text)
        .map_err(|e| format!("the client key {} is not a PEM key: {e}", key.display()))?;
    Ok((chain, key_der))
}

fn roots(mode: SslMode, root_cert: Option<&Path>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let Some(path) = root_cert else {
        return Err(format!(
            "sslmode={} needs the root certificate that signed the server's: give \
             sslrootcert=FILE (or sslrootcert=system), PGSSLROOTCERT, or ~/.postgresql/root.crt",
            mode.name()
        ));
    };
    if path == Path::new("system") {
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        return Ok(roots);
    }
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read the root certificate {}: {e}", path.display()))?;
    for certificate in certificates {
        let certificate = certificate
            .map_err(|e| format!("the root certificate {} is not PEM: {e}", path.display()))?;
        roots
            .add(certificate)
            .map_err(|e| format!("the root certificate {}: {e}", path.display()))?;
    }
    Ok(roots)
}

/// The server's certificate checked as the mode says: not at all, its chain, or its chain and
/// name. The handshake's signatures are always checked.
#[derive(Debug)]
struct Verifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(inner) = &self.inner else {
            return Ok(ServerCertVerified::assertion());
        };
        match inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            verified => verified,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
