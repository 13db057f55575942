// The poller threads: a fixed number of completion queues, each drained by one thread that hands
// every event to the reactor its tag names. No thread per client: thousands of clients share
// these few threads, which is what keeps the generator cheap next to the server it measures.
#pragma once

#include <grpcpp/completion_queue.h>

#include <memory>
#include <thread>
#include <vector>

namespace regent::loadgen {

class Pollers {
 public:
  explicit Pollers(int threads);
  ~Pollers();
  Pollers(const Pollers&) = delete;
  Pollers& operator=(const Pollers&) = delete;

  size_t size() const { return queues_.size(); }
  grpc::CompletionQueue* queue(size_t i) const { return queues_[i].get(); }

  // Shuts every queue down, lets the threads drain them and joins the threads. Call only when
  // nothing more will be started on the queues (every reactor retired). Idempotent.
  void shutdown();

 private:
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
};

}  // namespace regent::loadgen
