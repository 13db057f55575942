// A snapshot's data written off the applying thread: StateMachine::begin_image() returns an
// ImageJob, and run() writes what StateMachine::image() returned at that moment while applies
// go on. kv/image_job.h does the work (and says why the image stays the one at its revision);
// this adds the member table and the state machine's lock.
//
// Contract:
//   - begin_image() is called on the thread that applies, between two applies. It takes the
//     state machine's lock exclusively for O(members + leases) work, not O(keys): it records
//     the revision R and copies the member table, the alarms, the removed ids and the lease table's
//     bytes.
//   - run() is called once, on any thread (a background one). It takes the state machine's
//     shared lock one chunk at a time, a chunk bounded by kv::ImageChunk, never by the store's
//     size, so an apply waits for at most one chunk. It returns exactly the bytes image()
//     returned at begin_image(): members that begin at the same applied index hold
//     byte-identical images, and restore() reads them.
//   - Applies go on meanwhile, compaction included: a compaction answers every read as
//     compacted at once; the records at or before R that it drops and that the job has yet to
//     write move into the job and are freed as the job writes them, or when it ends.
//   - If the state machine is restored (a snapshot from the leader) before run() is done, run()
//     fails and the image must be dropped: it would be a mix of two histories.
//   - The job may be destroyed at any time, run or not, on any thread, with no lock; that
//     releases everything compaction kept for it. It must not outlive its StateMachine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"
#include "kv/image_job.h"
#include "regentpb/request.pb.h"

namespace regent::server {

class StateMachine;

// What the state machine holds beside the store, as its image writes it.
struct MachineExtras {
  std::vector<regentpb::Member> members;
  std::vector<etcdserverpb::AlarmMember> alarms;
  std::vector<uint64_t> removed;  // Members removed for good, sorted.
  regentpb::AuthImage auth;
};

class ImageJob {
 public:
  ImageJob(ImageJob&&) noexcept = default;
  ImageJob& operator=(ImageJob&&) noexcept = default;

  // R: the store's revision the image is of.
  int64_t revision() const { return job_.revision(); }

  // The image (see the contract above), or why there is none.
  Expected<std::string, std::string> run(const kv::ImageChunk& chunk = {});

 private:
  friend class StateMachine;
  ImageJob(const StateMachine& machine, kv::ImageJob job, MachineExtras extras)
      : machine_(&machine), job_(std::move(job)), extras_(std::move(extras)) {}

  const StateMachine* machine_;
  kv::ImageJob job_;
  MachineExtras extras_;  // At R.
};

}  // namespace regent::server
