// Runs the loop's answers to clients on a thread of their own.
//
// Answering a gRPC call (Finish on its reactor) may write to the client's socket on the calling
// thread; done on the Raft loop, that put every client write in series with the next round's
// fsync. The loop hands each round's answers over in one batch instead, and goes on.
//
// Invariants: batches run in the order given, each answer exactly once; stop() runs whatever
// was handed over before it returns, so no client is left without an answer.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace regent::server {

class Responder {
 public:
  using Answer = std::function<void()>;

  Responder();
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Queues the answers and clears `batch`; never blocks on a client.
  void hand_over(std::vector<Answer>& batch);
  // Runs everything handed over so far, then joins the thread. Idempotent.
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Answer> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace regent::server
