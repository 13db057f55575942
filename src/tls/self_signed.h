// The certificate --auto-tls and --peer-auto-tls serve: a self-signed ECDSA P-256 certificate for
// the hosts of the side's listen URLs, valid a year, written to <dir>/cert.pem and <dir>/key.pem
// (etcd writes <data-dir>/fixtures/client and .../peer). As etcd, a pair already in `dir` is kept,
// so a member restarted keeps the certificate its peers saw.
//
// Invariants: the key file is created mode 0600 before any key byte is written; both files are
// written whole to temporary names and renamed, so a crash never leaves half a pair behind.
#pragma once

#include <string>
#include <vector>

#include "common/expected.h"

namespace regent::tls {

struct KeyPairFiles {
  std::string cert_file;
  std::string key_file;
};

// `hosts`: IP addresses become IP subject alternative names, anything else a DNS name.
Expected<KeyPairFiles, std::string> self_signed_pair(const std::string& dir,
                                                     const std::vector<std::string>& hosts);

}  // namespace regent::tls
