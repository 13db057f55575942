// Certificates for the TLS tests, made in the test with OpenSSL: a CA, and leaves it signs with a
// chosen Common Name, for 127.0.0.1 and localhost, usable as server and client certificates.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace regent::tls::testing {

struct Pem {
  std::string cert;
  std::string key;
};

class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return self_.cert; }
  Pem issue(const std::string& common_name) const;

 private:
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  Pem self_;
};

// A fresh directory under /tmp, removed with its files by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `text` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

// The SHA-256 of the DER of the certificate in `pem`, to tell two certificates apart.
std::string fingerprint(const std::string& pem);
std::string fingerprint(X509* cert);

}  // namespace regent::tls::testing
