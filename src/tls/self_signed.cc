#include "tls/self_signed.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "tls/atomic_write.h"

namespace regent::tls {

namespace {

constexpr long kValiditySeconds = 365L * 24 * 3600;  // etcd's self-signed certificates: a year.

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

std::string openssl_error(std::string_view what) {
  char text[256] = "unknown error";
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  return fmt::format("{}: {}", what, text);
}

bool is_ip(const std::string& host) {
  unsigned char scratch[16];
  return ::inet_pton(AF_INET, host.c_str(), scratch) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), scratch) == 1;
}

// "IP:127.0.0.1,DNS:localhost": OpenSSL's configuration syntax for subjectAltName.
std::string alt_names(const std::vector<std::string>& hosts) {
  std::string names;
  for (const std::string& host : hosts) {
    if (host.empty()) continue;
    if (!names.empty()) names += ',';
    names += (is_ip(host) ? "IP:" : "DNS:") + host;
  }
  return names.empty() ? "DNS:localhost" : names;
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // A positive serial, as RFC 5280 asks.
  Owned<BIGNUM> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn != nullptr && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

Expected<Owned<X509>, std::string> make_certificate(EVP_PKEY* key,
                                                    const std::vector<std::string>& hosts) {
  Owned<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !set_random_serial(cert.get())) {
    return unexpected(openssl_error("self-signed certificate"));
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* organization = reinterpret_cast<const unsigned char*>("regent");
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, organization, -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  if (!add_extension(cert.get(), NID_subject_alt_name, alt_names(hosts)) ||
      !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return unexpected(openssl_error("self-signed certificate"));
  }
  return cert;
}

template <class Write>
Expected<std::string, std::string> to_pem(Write write) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return unexpected(openssl_error("PEM encoding"));
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

Expected<void, std::string> make_dirs(const std::string& dir) {
  // Bounded by the path's length: one mkdir per separator.
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string prefix = dir.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return unexpected(fmt::format("{}: {}", prefix, std::strerror(errno)));
    }
    if (slash == std::string::npos) return {};
  }
}

}  // namespace

Expected<KeyPairFiles, std::string> self_signed_pair(const std::string& dir,
                                                     const std::vector<std::string>& hosts) {
  KeyPairFiles files{.cert_file = dir + "/cert.pem", .key_file = dir + "/key.pem"};
  if (::access(files.cert_file.c_str(), R_OK) == 0 && ::access(files.key_file.c_str(), R_OK) == 0) {
    return files;
  }
  if (auto made = make_dirs(dir); !made) return unexpected(made.error());
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return unexpected(openssl_error("self-signed key"));
  auto cert = make_certificate(key.get(), hosts);
  if (!cert) return unexpected(cert.error());
  auto key_pem = to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  auto cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert->get()); });
  if (!key_pem) return unexpected(key_pem.error());
  if (!cert_pem) return unexpected(cert_pem.error());
  // The key first: a certificate without its key would be taken for a whole pair next time.
  if (auto w = write_file_atomically(files.key_file, *key_pem, 0600); !w)
    return unexpected(w.error());
  if (auto w = write_file_atomically(files.cert_file, *cert_pem, 0644); !w) {
    return unexpected(w.error());
  }
  return files;
}

}  // namespace regent::tls
