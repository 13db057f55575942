#include "server/member_security.h"

#include <fmt/format.h>

#include <algorithm>

#include "tls/grpc_credentials.h"
#include "tls/self_signed.h"

namespace regent::server {

namespace {

bool is_https(std::string_view url) { return url.starts_with("https://"); }

// True if every URL is https://, false if every one is http://; an error for a mix.
Expected<bool, std::string> one_scheme(const std::vector<std::string>& urls,
                                       std::string_view flag) {
  const auto https = std::count_if(urls.begin(), urls.end(), is_https);
  if (https != 0 && static_cast<size_t>(https) != urls.size()) {
    return unexpected(fmt::format("{}: all URLs must be http:// or all https://, not a mix", flag));
  }
  return https != 0;
}

// The hosts of `urls`, for the subject alternative names of a generated certificate.
std::vector<std::string> hosts_of(const std::vector<std::string>& urls) {
  std::vector<std::string> hosts;
  for (const std::string& url : urls) {
    auto address = url_to_address(url);
    if (!address) continue;
    std::string host = address->substr(0, address->rfind(':'));
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    hosts.push_back(host.empty() || host == "0.0.0.0" ? "localhost" : host);
  }
  return hosts;
}

// Resolves --auto-tls: a given certificate wins (etcd ignores auto-TLS then, with a warning).
Expected<tls::TlsFlags, std::string> resolve(tls::TlsFlags flags, const std::string& fixtures,
                                             const std::vector<std::string>& urls,
                                             std::string_view prefix, Logger& logger) {
  if (!flags.auto_tls) return flags;
  if (!flags.cert_file.empty() || !flags.key_file.empty()) {
    logger.warn("--{}auto-tls is ignored: --{}cert-file and --{}key-file are given", prefix, prefix,
                prefix);
    flags.auto_tls = false;
    return flags;
  }
  auto pair = tls::self_signed_pair(fixtures, hosts_of(urls));
  if (!pair) return unexpected(fmt::format("--{}auto-tls: {}", prefix, pair.error()));
  logger.info("--{}auto-tls: serving the self-signed certificate {}", prefix, pair->cert_file);
  flags.cert_file = pair->cert_file;
  flags.key_file = pair->key_file;
  return flags;
}

// Whether a side (its listen URLs, its flags) serves TLS; an error for a mix of schemes, https://
// without a certificate, or certificate flags with http://.
Expected<bool, std::string> serves_tls(const std::vector<std::string>& urls,
                                       const tls::TlsFlags& flags, std::string_view urls_flag,
                                       std::string_view prefix) {
  auto scheme = one_scheme(urls, urls_flag);
  if (!scheme) return unexpected(scheme.error());
  const bool https = *scheme;
  if (https && !flags.enabled()) {
    return unexpected(
        fmt::format("{}: https:// needs --{}cert-file and --{}key-file, or --{}auto-tls", urls_flag,
                    prefix, prefix, prefix));
  }
  if (!https && (flags.enabled() || flags.client_cert_auth || !flags.trusted_ca_file.empty())) {
    return unexpected(fmt::format(
        "--{}cert-file, --{}auto-tls and the like are given but {} are http://: use https:// "
        "URLs to serve TLS",
        prefix, prefix, urls_flag));
  }
  return https;
}

// Dialing with this side's certificate: verified against its trusted CA, or not verified at all
// under auto-TLS, whose certificates are self-signed (etcd does the same).
Expected<std::shared_ptr<grpc::ChannelCredentials>, std::string> dial_credentials(
    const tls::TlsFlags& flags) {
  return tls::channel_credentials(tls::ChannelTls{.ca_file = flags.trusted_ca_file,
                                                  .cert_file = flags.cert_file,
                                                  .key_file = flags.key_file,
                                                  .skip_verify = flags.auto_tls});
}

Expected<void, std::string> set_up_clients(const tls::SecurityFlags& flags,
                                           const ClusterFlags& cluster, const std::string& data_dir,
                                           Logger& logger, MemberSecurity& out) {
  auto https = serves_tls(cluster.listen_client_urls, flags.client, "--listen-client-urls", "");
  if (!https) return unexpected(https.error());
  if (!*https) return {};
  auto resolved =
      resolve(flags.client, data_dir + "/fixtures/client", cluster.listen_client_urls, "", logger);
  if (!resolved) return unexpected(resolved.error());
  auto context = tls::ServerContext::create(*resolved, logger);
  if (!context) return unexpected("client TLS: " + context.error());
  out.client_port = std::move(*context);
  auto dial = dial_credentials(*resolved);
  if (!dial) return unexpected("client TLS: " + dial.error());
  out.client_dial = std::move(*dial);
  return {};
}

Expected<void, std::string> set_up_peers(const tls::SecurityFlags& flags,
                                         const ClusterFlags& cluster, const std::string& data_dir,
                                         Logger& logger, MemberSecurity& out) {
  auto https = serves_tls(cluster.listen_peer_urls, flags.peer, "--listen-peer-urls", "peer-");
  if (!https) return unexpected(https.error());
  if (!*https) {
    out.peer_port = grpc::InsecureServerCredentials();
    out.peer_dial = grpc::InsecureChannelCredentials();
    return {};
  }
  auto resolved =
      resolve(flags.peer, data_dir + "/fixtures/peer", cluster.listen_peer_urls, "peer-", logger);
  if (!resolved) return unexpected(resolved.error());
  auto port = tls::server_credentials(*resolved);
  if (!port) return unexpected("peer TLS: " + port.error());
  auto dial = dial_credentials(*resolved);
  if (!dial) return unexpected("peer TLS: " + dial.error());
  out.peer_port = std::move(*port);
  out.peer_dial = std::move(*dial);
  return {};
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> MemberSecurity::dial_client_url(
    std::string_view url) const {
  if (is_https(url) && client_dial) return client_dial;
  // An https:// member while this one serves plain text has no certificate to offer: the
  // system's roots verify it, as any client's would.
  if (is_https(url)) return grpc::SslCredentials(grpc::SslCredentialsOptions());
  return grpc::InsecureChannelCredentials();
}

Expected<MemberSecurity, std::string> make_member_security(const tls::SecurityFlags& flags,
                                                           const ClusterFlags& cluster,
                                                           const std::string& data_dir,
                                                           Logger& logger) {
  MemberSecurity out;
  if (auto ok = set_up_clients(flags, cluster, data_dir, logger, out); !ok) {
    return unexpected(ok.error());
  }
  if (auto ok = set_up_peers(flags, cluster, data_dir, logger, out); !ok) {
    return unexpected(ok.error());
  }
  return out;
}

}  // namespace regent::server
