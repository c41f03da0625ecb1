//! TLS as libpq's `sslmode` asks for it, by rustls. No certificate store is read unless the mode
//! verifies against it: OpenSSL parses the system's whole store on every start (80 ms here).

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::target::SslMode;

/// The client's TLS configuration for `mode`, with the root certificates of `root_cert` (a PEM
/// file, or `system` for the system's store) when the mode verifies the server's certificate.
pub(super) fn client_config(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<ClientConfig, String> {
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
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
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
