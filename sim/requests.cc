#include "sim/requests.h"

#include <variant>

namespace regent::sim {

regentpb::InternalRequest to_request(const Operation& op, size_t padding) {
  regentpb::InternalRequest request;
  etcdserverpb::TxnRequest* txn = request.mutable_txn();
  if (op.type == OpType::kCas) {
    etcdserverpb::Compare* c = txn->add_compare();
    c->set_key(op.key);
    c->set_result(etcdserverpb::Compare::EQUAL);
    if (op.expected) {
      c->set_target(etcdserverpb::Compare::VALUE);
      c->set_value(*op.expected);
    } else {
      c->set_target(etcdserverpb::Compare::VERSION);
      c->set_version(0);
    }
  }
  etcdserverpb::PutRequest* put = txn->add_success()->mutable_request_put();
  put->set_key(op.key);
  put->set_value(op.value);
  if (padding > 0) {
    etcdserverpb::RangeRequest* filler = txn->add_failure()->mutable_request_range();
    filler->set_key(std::string(padding, '.'));
  }
  return request;
}

bool swapped(const server::WriteResponse& response) {
  const auto* txn = std::get_if<kv::TxnResponse>(&response);
  return txn != nullptr && txn->succeeded;
}

std::optional<std::string> read_value(const server::StateMachine& machine, const std::string& key) {
  return machine.read([&](const kv::Store& store) -> std::optional<std::string> {
    auto got = store.range(kv::RangeRequest{.key = key});
    if (!got || got->kvs.empty()) return std::nullopt;
    return got->kvs.front().value;
  });
}

}  // namespace regent::sim
