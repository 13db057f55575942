#include "loadgen/pollers.h"

#include "common/assert.h"
#include "loadgen/reactor.h"

namespace regent::loadgen {

Pollers::Pollers(int threads) {
  REGENT_ASSERT(threads >= 1, "{} poller threads", threads);
  for (int i = 0; i < threads; ++i) queues_.push_back(std::make_unique<grpc::CompletionQueue>());
  for (auto& queue : queues_) {
    threads_.emplace_back([cq = queue.get()] {
      void* raw = nullptr;
      bool ok = false;
      // Ends when the queue is shut down and drained.
      while (cq->Next(&raw, &ok)) {
        auto* tag = static_cast<Tag*>(raw);
        tag->reactor->dispatch(tag->event, ok);
      }
    });
  }
}

Pollers::~Pollers() { shutdown(); }

void Pollers::shutdown() {
  if (threads_.empty()) return;
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace regent::loadgen
