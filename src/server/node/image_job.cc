#include "server/node/image_job.h"

#include <mutex>
#include <shared_mutex>

#include "server/node/state_machine.h"

namespace regent::server {

Expected<std::string, std::string> ImageJob::run(const kv::ImageChunk& chunk) {
  for (;;) {
    job_.prepare_step(chunk);  // Its allocations stay out of the lock.
    kv::ImageJob::Progress progress;
    {
      // One chunk per lock: an apply waiting for the lock gets it before the next chunk (the
      // last reader out hands a waiting writer the lock).
      std::shared_lock lock(machine_->mu_);
      progress = job_.step(machine_->store_, chunk);
    }
    if (progress == kv::ImageJob::Progress::kStoreReplaced) {
      return unexpected(std::string("the state machine was restored while its image was written"));
    }
    if (progress == kv::ImageJob::Progress::kDone) break;
  }
  return StateMachine::encode_image(job_.take(), extras_);
}

}  // namespace regent::server
