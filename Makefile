# Front door for developers and CI. CMake does the real work; this file only names the common
# commands so that `make run` and `make test` work on a fresh Debian 12 machine.
#
#   make deps        install missing Debian packages (scripts/install-deps.sh)
#   make build       Release build in build/release
#   make build-asan  Debug + ASan/UBSan build in build/asan
#   make build-fuzz  clang + libFuzzer build of fuzz/ only, in build/fuzz
#   make build-tsan  ThreadSanitizer build of the server's and the client's tests, in build/tsan
#   make test        all four builds, then every test in each, fuzzers 30 s (non-zero if any fails)
#   make bench       Regent against etcd, same machine and load (scripts/bench-vs-etcd BENCH_ARGS)
#   make microbench  Release benchmarks of raft, storage and kv (MICROBENCH_ARGS)
#   make fuzz-soak   each fuzz target for FUZZ_SECONDS (default 600)
#   make soak        fuzz-soak, then simulated worlds until interrupted (regent-sim --soak)
#   make chaos       regent-chaos for as long as asked (CHAOS_ARGS, e.g. --time 3600; needs root)
#   make run         the in-process demo (tools/demo), RUN_ARGS are passed to it
#   make format      clang-format -i over our sources; make format-check only reports
#   make clean       remove build/

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# Prerequisites run one after another: deps must finish before any compiler runs, and two
# concurrent Ninja builds would fight over 2 cores. Ninja parallelises inside each build.
.NOTPARALLEL:
.DEFAULT_GOAL := build

RELEASE_DIR := build/release
ASAN_DIR    := build/asan
TSAN_DIR    := build/tsan
# The threaded layers under ThreadSanitizer. Debian's gRPC is not instrumented, so what its unseen
# locks order is misread as races; the server's tests are clean with tests/tsan-suppressions.txt,
# while the transport's still report gRPC's own internals (docs/ARCHITECTURE.md, "Tests"). The
# client library's tests run instrumented against the release tree's regentd (a TSan regentd's
# transport reports those same gRPC internals at start-up); the load generator's still report
# its completion-queue handoffs, which gRPC orders out of TSan's sight, so they are not run here.
TSAN_TESTS  := ^(server|client)\.
TSAN_TARGETS := regent_server_test regent_client_test
# The ASan/UBSan tree builds the gRPC layers too and runs their unit tests; the tests that start
# member processes (client, loadgen, e2e, chaos, with its checkers' unit tests) run in the release
# tree only.
ASAN_TARGETS := regent_common_test regent_raft_test regent_storage_test regent_storage_crash_test \
                regent_kv_test regent_node_test regent_sim_test regent_sim_algos_test \
                regent_transport_test regent_server_test regent_regentd_test regent_tls_test \
                regent-sim regent-crash-writer regent-demo
ASAN_TESTS_EXCLUDED := ^(client|loadgen|e2e|chaos|chaos_checks)\.|^regent_(client|loadgen|chaos_checks)_test_NOT_BUILT$$
TSAN_ENV    := TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan-suppressions.txt" \
               REGENT_TEST_SERVER="$(CURDIR)/$(RELEASE_DIR)/regentd"
FUZZ_DIR    := build/fuzz
FUZZ_SECONDS ?= 600
BENCH_ARGS  ?=
MICROBENCH_ARGS ?=
RUN_ARGS    ?=
CHAOS_ARGS  ?= --time 600 --members 5 --nemesis all --workload all
CTEST_FLAGS := --output-on-failure --no-tests=error -j2

# halt_on_error: stop at the first report, so the failure is the one that matters.
SANITIZER_ENV := ASAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

FORMAT_DIRS = $(wildcard src tests microbench tools sim fuzz)
FORMAT_FILES = $(if $(FORMAT_DIRS),$(shell find $(FORMAT_DIRS) -type f \
                 \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' -o -name '*.cpp' \)))

.PHONY: deps build build-asan build-fuzz build-tsan test bench microbench fuzz-soak soak chaos run format \
        format-check clean \
        help

deps:
	@bash scripts/install-deps.sh

# Configure only when the build tree is missing: afterwards Ninja re-runs CMake itself whenever a
# CMakeLists.txt changes or a globbed source appears, and a manual -D... choice is not undone.
build: deps
	@test -f $(RELEASE_DIR)/build.ninja || \
	  cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(RELEASE_DIR)

build-asan: deps
	@test -f $(ASAN_DIR)/build.ninja || \
	  cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	    -DREGENT_SANITIZE=ON -DREGENT_BUILD_MICROBENCH=OFF -DREGENT_BUILD_SERVER=ON
	cmake --build $(ASAN_DIR) --target $(ASAN_TARGETS)

# libFuzzer comes with clang only, so the fuzz targets get a build tree of their own; it builds
# the libraries they need and fuzz/, nothing else.
build-fuzz: deps
	@test -f $(FUZZ_DIR)/build.ninja || \
	  CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DREGENT_FUZZ=ON
	cmake --build $(FUZZ_DIR)

build-tsan: deps
	@test -f $(TSAN_DIR)/build.ninja || \
	  cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREGENT_TSAN=ON \
	    -DREGENT_BUILD_MICROBENCH=OFF
	cmake --build $(TSAN_DIR) --target $(TSAN_TARGETS)

# All suites always run, so one failure does not hide another; the target fails if any did.
# The names of the failed tests are printed again at the very end, where a log's tail shows them.
test: deps build build-asan build-fuzz build-tsan
	@rc=0; failed=""; \
	echo "=== ctest: release ($(RELEASE_DIR))"; \
	ctest --test-dir $(RELEASE_DIR) $(CTEST_FLAGS) || { rc=1; failed="$$failed $(RELEASE_DIR)"; }; \
	echo "=== ctest: asan+ubsan ($(ASAN_DIR))"; \
	$(SANITIZER_ENV) ctest --test-dir $(ASAN_DIR) $(CTEST_FLAGS) -E '$(ASAN_TESTS_EXCLUDED)' || { rc=1; failed="$$failed $(ASAN_DIR)"; }; \
	echo "=== ctest: tsan, the server's and the client's tests ($(TSAN_DIR))"; \
	$(TSAN_ENV) ctest --test-dir $(TSAN_DIR) $(CTEST_FLAGS) -R '$(TSAN_TESTS)' || { rc=1; failed="$$failed $(TSAN_DIR)"; }; \
	echo "=== ctest: fuzz ($(FUZZ_DIR))"; \
	ctest --test-dir $(FUZZ_DIR) $(CTEST_FLAGS) || { rc=1; failed="$$failed $(FUZZ_DIR)"; }; \
	for dir in $$failed; do \
	  echo "=== failed in $$dir:"; \
	  sed 's/^/  /' "$$dir/Testing/Temporary/LastTestsFailed.log" 2>/dev/null || echo "  (no list)"; \
	done; \
	if (( rc )); then echo "make test: FAILED (see the ctest summaries above)"; fi; \
	exit $$rc

# Regent against etcd on this machine: a 3-member cluster of each on 127.0.0.1, the same
# regent-bench workloads, medians of repeats, one table (installs etcd-server if missing). About
# 20 minutes with the defaults; BENCH_ARGS=--quick checks the script in about 3.
bench: build
	scripts/bench-vs-etcd $(BENCH_ARGS)

# The storage benchmark writes to REGENT_BENCH_DIR (default: under build/release, on the disk
# the log would use, not a tmpfs /tmp); it prints the directory and its file system.
BENCH_PROGRAMS := regent_raft_microbench regent_storage_microbench regent_kv_microbench
microbench: build
	@ran=0; \
	for program in $(BENCH_PROGRAMS); do \
	  if [[ -x $(RELEASE_DIR)/$$program ]]; then \
	    echo "+ $(RELEASE_DIR)/$$program $(MICROBENCH_ARGS)"; \
	    $(RELEASE_DIR)/$$program $(MICROBENCH_ARGS); \
	    ran=1; \
	  fi; \
	done; \
	if (( ! ran )); then \
	  echo "make microbench: no benchmark built (microbench/*.cc is empty or REGENT_BUILD_MICROBENCH=OFF)"; \
	  exit 1; \
	fi

# Each fuzz target for FUZZ_SECONDS, growing the same corpus `make test` uses; stops at the first
# target that finds something (the input is saved under $(FUZZ_DIR)/fuzz/artifacts/).
fuzz-soak: build-fuzz
	@for script in $(FUZZ_DIR)/fuzz/run-*.sh; do \
	  echo "+ $$script $(FUZZ_SECONDS)"; \
	  bash $$script $(FUZZ_SECONDS); \
	done

# The fuzzers for FUZZ_SECONDS each, then simulated worlds from SOAK_SEED (default 1) until
# interrupted, with progress every 100 seeds. FUZZ_SECONDS=0 skips straight to the worlds.
soak: build
	@if (( $(FUZZ_SECONDS) > 0 )); then $(MAKE) --no-print-directory fuzz-soak; fi
	$(RELEASE_DIR)/regent-sim --soak --seed $(or $(SOAK_SEED),1)

# Our own Jepsen (tools/chaos/main.cc): real members on network-namespace hosts under a nemesis
# for as long as CHAOS_ARGS says, every client history checked; report, timeline and logs under
# build/release/chaos-runs/. Exit status 0 only with no violation and no acknowledged write lost.
chaos: build
	cd $(RELEASE_DIR) && ./regent-chaos $(CHAOS_ARGS)

# A local 3-member cluster on 127.0.0.1 (client ports 2379, 22379, 32379), data under ./data,
# until Ctrl-C; see scripts/run-cluster.sh.
run: build
	@scripts/run-cluster.sh $(RELEASE_DIR)/regentd data

format:
	@command -v clang-format >/dev/null || { echo "install clang-format (apt-get install clang-format)"; exit 1; }
	$(if $(FORMAT_FILES),clang-format -i $(FORMAT_FILES),@echo "make format: no sources")

format-check:
	@command -v clang-format >/dev/null || { echo "install clang-format (apt-get install clang-format)"; exit 1; }
	$(if $(FORMAT_FILES),clang-format --dry-run --Werror $(FORMAT_FILES),@echo "make format-check: no sources")

clean:
	rm -rf build

help:
	@sed -n '/^#   make/s/^# *//p' Makefile
