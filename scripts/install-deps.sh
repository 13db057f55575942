#!/usr/bin/env bash
# Installs the Debian 12 packages Regent needs to build and test. Idempotent and quick when
# everything is present (it only asks dpkg), so `make build` runs it every time: a fresh machine
# or CI box gets what it needs, and nobody has to remember a manual install step.
#
#   scripts/install-deps.sh            what building and testing need (make deps, make build)
#   scripts/install-deps.sh GROUP...   only the named optional groups, below
#
# Optional groups are large and needed by one tool only, so the script that builds that tool asks
# for them when they are missing, and `make build` does not pull them in for everyone:
#   go   Go and etcd's own Go client with its dependencies, as sources for GOPATH mode (about 150
#        packages): tools/clientv3-load, built by scripts/build-clientv3-load for its e2e test and
#        for scripts/bench-vs-etcd.
set -euo pipefail

go_group=(golang-go golang-etcd-server-dev)

packages=(
  g++ make cmake ninja-build ccache pkg-config git  # toolchain
  libgtest-dev libgmock-dev                          # unit tests (GoogleTest, GoogleMock)
  libbenchmark-dev                                   # microbench/ (Google Benchmark)
  libfmt-dev                                         # formatting for logs and assertions
  libcli11-dev                                       # command-line flags of the tools
  libyaml-cpp-dev                                    # regentd --config-file (etcd's YAML keys)
  libsystemd-dev                                     # regentd's sd_notify (systemd Type=notify)
  clang libclang-rt-14-dev                           # libFuzzer targets (fuzz/)
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc  # the gRPC API
  libssl-dev                                         # TLS (src/tls) and SHA-256 of backups
  openssl                                            # e2e: test_tls.py makes its certificates
  libcpp-httplib-dev                                 # the HTTP face's HTTP/1.1 parser
  libcrypt-dev                                       # bcrypt password hashes (src/server/auth)
  etcd-client python3-etcd3                          # end-to-end tests: etcdctl, python etcd3
  python3-tooz python3-etcd3gw                       # e2e: OpenStack tooz over the JSON gateway
  patroni postgresql-15 python3-etcd                 # e2e: Patroni failover with Regent as its DCS
  prometheus                                         # e2e: promtool check metrics on /metrics
  chromium                                           # e2e: the status page in a real browser
  etcd-server                                        # regent-chaos --server etcd, make bench
  iptables                                           # regent-chaos: partitions inside namespaces
  faketime libfaketime                               # regent-chaos: clock skew of one member
  gnuplot-nox                                        # regent-chaos: the run's timeline (SVG)
)
if (( $# > 0 )); then
  packages=()
  for group in "$@"; do
    case "$group" in
      go) packages+=("${go_group[@]}") ;;
      *) echo "install-deps: unknown group '$group' (known: go)" >&2; exit 2 ;;
    esac
  done
fi

missing=()
for pkg in "${packages[@]}"; do
  # Exit status alone is not enough: a removed package keeps a "deinstall ok config-files" entry.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all dependencies present"
  exit 0
fi

if (( EUID == 0 )); then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-deps: missing ${missing[*]}, and not root and no sudo to install them" >&2
  exit 1
fi

# apt's progress output is silenced so the script ends in one line; its errors still reach stderr
# and, with set -e, stop the script.
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
