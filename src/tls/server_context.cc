#include "tls/server_context.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <string_view>

namespace regent::tls {

namespace {

std::string openssl_error(std::string_view what) {
  char text[256] = "unknown error";
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  ERR_clear_error();
  return fmt::format("{}: {}", what, text);
}

// The protocol list `in` is wire format: a length byte, then that many bytes, repeated.
bool offers(const unsigned char* in, unsigned in_len, std::string_view protocol,
            const unsigned char** out, unsigned char* out_len) {
  for (unsigned i = 0; i < in_len;) {
    const unsigned len = in[i];
    if (i + 1 + len > in_len) return false;
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), len) == protocol) {
      *out = in + i + 1;
      *out_len = static_cast<unsigned char>(len);
      return true;
    }
    i += 1 + len;
  }
  return false;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned in_len, void*) {
  if (offers(in, in_len, "http/1.1", out, out_len) || offers(in, in_len, "h2", out, out_len)) {
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

Expected<SslContextPtr, std::string> build_server_context(const TlsFlags& flags) {
  SslContextPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return unexpected(openssl_error("TLS context"));
  // etcd 3.4 serves TLS 1.2 and later.
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), flags.cert_file.c_str()) != 1) {
    return unexpected(openssl_error(flags.cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), flags.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      return unexpected(openssl_error(flags.key_file + " does not match " + flags.cert_file));
    }
    return unexpected(openssl_error(flags.key_file));
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return unexpected(openssl_error(flags.key_file + " does not match " + flags.cert_file));
  }
  if (!flags.trusted_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), flags.trusted_ca_file.c_str(), nullptr) != 1) {
      return unexpected(openssl_error(flags.trusted_ca_file));
    }
    // With --client-cert-auth a client must present a certificate from the CA; without it, a
    // certificate presented is still verified (etcd's VerifyClientCertIfGiven).
    int mode = SSL_VERIFY_PEER;
    if (flags.client_cert_auth) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);
  // The tunnel writes whatever part of its buffer SSL_write takes, and may retry from a moved
  // buffer.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

Expected<std::unique_ptr<ServerContext>, std::string> ServerContext::create(const TlsFlags& flags,
                                                                            Logger& logger) {
  if (flags.cert_file.empty() || flags.key_file.empty()) {
    return unexpected(std::string("TLS needs both a certificate file and a key file"));
  }
  if (flags.client_cert_auth && flags.trusted_ca_file.empty()) {
    return unexpected(std::string("client certificate authentication needs a trusted CA file"));
  }
  std::unique_ptr<ServerContext> c(new ServerContext(flags, logger));
  c->built_from_ = c->stamps();
  auto ctx = build_server_context(flags);
  if (!ctx) return unexpected(ctx.error());
  c->context_ = std::move(*ctx);
  return c;
}

std::vector<ServerContext::FileStamp> ServerContext::stamps() const {
  std::vector<FileStamp> out;
  for (const std::string* path : {&flags_.cert_file, &flags_.key_file, &flags_.trusted_ca_file}) {
    FileStamp s;
    struct stat st {};
    if (!path->empty() && ::stat(path->c_str(), &st) == 0) {
      s = FileStamp{.device = st.st_dev,
                    .inode = st.st_ino,
                    .size = static_cast<unsigned long long>(st.st_size),
                    .mtime_ns = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec};
    }
    out.push_back(s);
  }
  return out;
}

SslContextPtr ServerContext::current() {
  std::vector<FileStamp> now = stamps();
  std::lock_guard lock(mu_);
  if (now == built_from_) return context_;
  built_from_ = std::move(now);
  auto ctx = build_server_context(flags_);
  if (!ctx) {
    logger_.warn("TLS files changed but cannot be used, keeping the previous certificate: {}",
                 ctx.error());
    return context_;
  }
  logger_.info("TLS files changed: new connections get {}", flags_.cert_file);
  context_ = std::move(*ctx);
  return context_;
}

}  // namespace regent::tls
