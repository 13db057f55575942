#include "tls/grpc_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "tls/server_context.h"

namespace regent::tls {

namespace {

namespace gx = grpc::experimental;

// Refuses a peer whose certificate's Common Name is not the allowed one (etcd's
// --peer-cert-allowed-cn). gRPC runs it after the chain was verified against the trusted CA.
class AllowedCommonName final : public gx::ExternalCertificateVerifier {
 public:
  explicit AllowedCommonName(std::string allowed) : allowed_(std::move(allowed)) {}

  bool Verify(gx::TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    const grpc::string_ref cn = request->common_name();
    if (std::string_view(cn.data(), cn.size()) == allowed_) {
      *sync_status = grpc::Status::OK;
    } else {
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  "peer certificate Common Name \"" +
                                      std::string(cn.data(), cn.size()) + "\" is not allowed");
    }
    return true;  // Decided synchronously.
  }
  void Cancel(gx::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::string allowed_;
};

}  // namespace

Expected<void, std::string> check_files(const std::string& cert_file, const std::string& key_file,
                                        const std::string& ca_file) {
  if (cert_file.empty() != key_file.empty()) {
    return unexpected(std::string("a certificate file and a key file go together: give both"));
  }
  TlsFlags flags{.cert_file = cert_file, .key_file = key_file, .trusted_ca_file = ca_file};
  if (cert_file.empty()) {
    // No pair to check: the CA file alone, loaded into a scratch context.
    SslContextPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    if (!ca_file.empty() &&
        SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
      return unexpected(ca_file + ": not a readable PEM file of CA certificates");
    }
    return {};
  }
  auto ctx = build_server_context(flags);
  if (!ctx) return unexpected(ctx.error());
  return {};
}

Expected<std::shared_ptr<grpc::ChannelCredentials>, std::string> channel_credentials(
    const ChannelTls& tls) {
  if (auto ok = check_files(tls.cert_file, tls.key_file, tls.skip_verify ? "" : tls.ca_file); !ok) {
    return unexpected(ok.error());
  }
  const std::string root = tls.skip_verify ? "" : tls.ca_file;
  gx::TlsChannelCredentialsOptions options;
  if (!tls.cert_file.empty() || !root.empty()) {
    options.set_certificate_provider(std::make_shared<gx::FileWatcherCertificateProvider>(
        tls.key_file, tls.cert_file, root, kRefreshSeconds));
  }
  if (!tls.cert_file.empty()) options.watch_identity_key_cert_pairs();
  if (!root.empty()) options.watch_root_certs();
  if (tls.skip_verify) {
    options.set_verify_server_certs(false);
    options.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
  }
  auto credentials = grpc::experimental::TlsCredentials(options);
  if (!credentials) return unexpected(std::string("gRPC refused the TLS channel settings"));
  return credentials;
}

Expected<std::shared_ptr<grpc::ServerCredentials>, std::string> server_credentials(
    const TlsFlags& flags) {
  if (flags.client_cert_auth && flags.trusted_ca_file.empty()) {
    return unexpected(std::string("client certificate authentication needs a trusted CA file"));
  }
  if (!flags.allowed_cn.empty() && flags.trusted_ca_file.empty()) {
    return unexpected(std::string("an allowed Common Name needs a trusted CA file"));
  }
  if (auto ok = check_files(flags.cert_file, flags.key_file, flags.trusted_ca_file); !ok) {
    return unexpected(ok.error());
  }
  gx::TlsServerCredentialsOptions options(std::make_shared<gx::FileWatcherCertificateProvider>(
      flags.key_file, flags.cert_file, flags.trusted_ca_file, kRefreshSeconds));
  options.watch_identity_key_cert_pairs();
  if (flags.trusted_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    // An allowed Common Name can only be checked on a certificate that must be there.
    const bool required = flags.client_cert_auth || !flags.allowed_cn.empty();
    options.set_cert_request_type(required
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  if (!flags.allowed_cn.empty()) {
    options.set_certificate_verifier(
        gx::ExternalCertificateVerifier::Create<AllowedCommonName>(flags.allowed_cn));
  }
  auto credentials = grpc::experimental::TlsServerCredentials(options);
  if (!credentials) return unexpected(std::string("gRPC refused the TLS server settings"));
  return credentials;
}

}  // namespace regent::tls
