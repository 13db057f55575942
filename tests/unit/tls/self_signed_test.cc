// --auto-tls's certificate: generated once per directory, for the listen URLs' hosts, with a
// private key only its owner can read.
#include "tls/self_signed.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "test_pki.h"
#include "tls/server_context.h"

namespace regent::tls {
namespace {

using testing::fingerprint;
using testing::TempDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(SelfSigned, MakesAUsablePairOnceAndKeepsIt) {
  TempDir dir;
  const std::string fixtures = dir.path() + "/data/fixtures/client";
  auto made = self_signed_pair(fixtures, {"127.0.0.1", "node1.example"});
  ASSERT_TRUE(made.has_value()) << made.error();
  EXPECT_EQ(made->cert_file, fixtures + "/cert.pem");
  struct stat st {};
  ASSERT_EQ(::stat(made->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // A server context takes the pair (the key matches the certificate).
  auto context =
      build_server_context(TlsFlags{.cert_file = made->cert_file, .key_file = made->key_file});
  EXPECT_TRUE(context.has_value()) << context.error();

  const std::string pem = read_file(made->cert_file);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(cert, "node1.example", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(cert, "other.example", 0, 0, nullptr), 1);
  X509_free(cert);

  // A restarted member keeps the certificate its peers saw.
  auto again = self_signed_pair(fixtures, {"127.0.0.1"});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(fingerprint(read_file(again->cert_file)), fingerprint(pem));
}

TEST(SelfSigned, AnUnwritableDirectoryIsAnError) {
  auto made = self_signed_pair("/proc/regent-cannot-write-here", {"127.0.0.1"});
  ASSERT_FALSE(made.has_value());
  EXPECT_NE(made.error().find("/proc/regent-cannot-write-here"), std::string::npos) << made.error();
}

}  // namespace
}  // namespace regent::tls
