// regent-crash-writer: the process the crash tests kill. It opens a data directory with
// DiskStorage over the real disk and persists the crash workload's batches from --start-batch on,
// printing "synced <b>" on stdout once batch b's save() (or create_snapshot()) has returned, so
// the test knows which batches it may demand back after a SIGKILL.
//
//   regent-crash-writer --dir D --seed S --start-batch B [--segment-bytes N] [--max-batches M]
//                       [--file-size-limit BYTES] [--no-preallocate]
//
// Exits 1 with the failure on stderr if the storage refuses (a second writer on a locked
// directory, corruption, a disk error); otherwise runs until killed or until M batches are done.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "common/logger.h"
#include "crash/crash_workload.h"
#include "storage/disk_storage.h"
#include "storage/posix_fs.h"

namespace {

// Writes all of text to stdout with write(2): no stdio buffer may hold back a report when the
// process dies. Returns false if the reader is gone.
bool report(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int fail(std::string_view what, const regent::storage::Failure& f) {
  std::fprintf(stderr, "regent-crash-writer: %.*s: %.*s: %s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(to_string(f.kind).size()), to_string(f.kind).data(),
               f.message.c_str());
  return 1;
}

// Persists one batch the way a follower's host would.
regent::Expected<void, regent::storage::Failure> apply(regent::storage::DiskStorage& storage,
                                                       uint64_t seed,
                                                       const regent::crash::Batch& batch) {
  using regent::crash::BatchKind;
  if (batch.kind != BatchKind::kSnapshot) {
    return storage.save(batch.entries, batch.hard_state, std::nullopt);
  }
  // A restart redoes the first unreported batch; its snapshot may already be durable.
  auto current = storage.snapshot();
  if (current && current->metadata.index >= batch.snapshot_index) return {};
  return storage.create_snapshot(batch.snapshot_index, regent::crash::snapshot_conf_state(),
                                 regent::crash::snapshot_data(seed, batch.snapshot_index));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Persists the crash workload until killed; prints \"synced <batch>\" per batch"};
  std::string dir;
  uint64_t seed = 1;
  uint64_t start_batch = 0;
  uint64_t segment_bytes = 64 * 1024;
  uint64_t max_batches = 1'000'000;
  uint64_t file_size_limit = 0;
  bool no_preallocate = false;
  app.add_option("--dir", dir, "Data directory")->required();
  app.add_option("--seed", seed, "Workload seed")->required();
  app.add_option("--start-batch", start_batch, "First batch to persist")->required();
  app.add_option("--segment-bytes", segment_bytes, "WAL segment size")->capture_default_str();
  app.add_option("--max-batches", max_batches, "Stop after this many batches (a bound)")
      ->capture_default_str();
  app.add_option("--file-size-limit", file_size_limit,
                 "RLIMIT_FSIZE in bytes (0: none): the disk 'fills up' once a file would pass it");
  app.add_flag("--no-preallocate", no_preallocate, "Grow segments as written");
  CLI11_PARSE(app, argc, argv);
  if (file_size_limit > 0) {
    // Past the limit, writes and fallocate fail with EFBIG instead of raising SIGXFSZ: the same
    // path through the storage as ENOSPC on a full disk.
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{file_size_limit, file_size_limit};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 2;
  }

  regent::StderrLogger logger(regent::LogLevel::kWarning);
  regent::storage::PosixFs fs;
  regent::storage::Options options;
  options.segment_bytes = segment_bytes;
  options.preallocate = !no_preallocate;
  auto storage = regent::storage::DiskStorage::open(fs, dir, options, logger);
  if (!storage) return fail("open " + dir, storage.error());

  regent::crash::Workload workload(seed);
  while (workload.next_number() < start_batch) workload.next();
  for (uint64_t done = 0; done < max_batches; ++done) {
    const regent::crash::Batch batch = workload.next();
    auto saved = apply(**storage, seed, batch);
    if (!saved) return fail("batch " + std::to_string(batch.number), saved.error());
    if (!report("synced " + std::to_string(batch.number) + "\n")) return 1;
  }
  return 0;
}
