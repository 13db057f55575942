#include "server/server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>
#include <unistd.h>

#include <future>
#include <mutex>

#include "server/api/auth_service.h"
#include "server/api/call_counters.h"
#include "server/api/cluster_service.h"
#include "server/api/election_service.h"
#include "server/api/kv_service.h"
#include "server/api/lease_service.h"
#include "server/api/maintenance_service.h"
#include "server/api/service_context.h"
#include "server/api/watch_service.h"
#include "server/backup_restore.h"
#include "server/bootstrapped_check.h"
#include "server/election/candidate_queue.h"
#include "server/force_new_cluster.h"
#include "server/grpc_status.h"
#include "server/host/corruption_check.h"
#include "server/host/leader_change_log.h"
#include "server/host/peer_directory.h"
#include "server/host/peer_prober.h"
#include "server/host/raft_node.h"
#include "server/host/transport_taps.h"
#include "server/http/http_face.h"
#include "server/http/listener.h"
#include "server/join_cluster.h"
#include "server/lease/lease_forwarder.h"
#include "server/lease/lessor.h"
#include "server/member_identity.h"
#include "server/member_security.h"
#include "server/node/kv_convert.h"
#include "server/node/space_quota.h"
#include "server/node/state_machine.h"
#include "server/removed_check.h"
#include "server/watch/watch_hub.h"
#include "storage/disk_storage.h"
#include "storage/posix_fs.h"
#include "transport/members_query.h"
#include "transport/transport.h"

namespace regent::server {

namespace {

// etcd lets a gRPC message exceed --max-request-bytes by this much, so that an oversized request
// reaches the server's own check and gets its clear error instead of gRPC's.
constexpr uint64_t kGrpcOverheadBytes = 512 * 1024;
// How long a member about to bootstrap waits for each peer's answer (etcd's bootstrap timeout).
constexpr std::chrono::milliseconds kBootstrapCheckTimeout{1000};
// Written into the data directory when this member's removal from the cluster is applied: a
// removed member must never run again with its old identity (the cluster no longer counts it,
// and its votes and acknowledgements would count for a member that is not there).
constexpr const char* kRemovedFileName = "REMOVED";

class Member final : public Server {
 public:
  Member(const ServerOptions& options, Logger& logger) : options_(options), logger_(logger) {
    machine_.set_token_sink(&tokens_);
  }
  ~Member() override { shutdown(); }

  Expected<void, std::string> start();
  void shutdown() override;
  bool failed() const override { return (node_ && node_->failed()) || removed_.load(); }

 private:
  MemberIdentity identity() const;
  Expected<void, std::string> bootstrap_if_fresh(bool identity_recorded);
  // --initial-cluster-state existing: the identity recorded, else the cluster's answer.
  Expected<void, std::string> find_existing_identity(bool fresh);
  Expected<void, std::string> refuse_if_removed();
  void on_removed(raft::Index index);
  void on_removed_by(raft::NodeId peer);
  void mark_removed(const std::string& why);
  void hand_over_leadership();
  // Asks a peer (host:port) for its member table, over the peer TLS if there is one.
  std::function<Expected<regentpb::MembersResponse, std::string>(const std::string&)> ask_peer()
      const;

  ServerOptions options_;
  Logger& logger_;
  ClusterConfig cluster_;
  MemberSecurity security_;  // Outlives listener_ and transport_, which use it.
  storage::PosixFs fs_;
  std::unique_ptr<storage::DiskStorage> storage_;
  // Simple tokens, filled by the state machine's applies of Authenticate (outlives machine_'s
  // use of it); the auth checks of every service (context_.auth); bcrypt off gRPC's threads.
  SimpleTokens tokens_{options_.auth_token_ttl};
  StateMachine machine_;
  // Which client connection each gRPC call came on (the client port records them).
  http::ConnectionRegistry connections_;
  AuthGate auth_gate_{machine_, tokens_, &connections_, options_.security.client.client_cert_auth};
  PasswordWorker password_worker_;
  // Authenticate attempts per connection: 5 at once, then one a second (attempt_limiter.h).
  AttemptLimiter auth_attempts_{5, std::chrono::seconds(1)};
  std::unique_ptr<RaftNode> node_;
  // The leader changes and their causes (the status page, /metrics): told of leaders by the
  // loop, of messages and dead peers through tap_ on their way to node_, and of what node_
  // sends through sent_tap_.
  std::unique_ptr<LeaderChangeLog> leaders_;
  std::unique_ptr<HandlerTap> tap_;  // Outlives transport_, which reports to it.
  std::unique_ptr<transport::Transport> transport_;
  std::unique_ptr<TransportTap> sent_tap_;  // What node_ sends, through transport_.
  std::unique_ptr<CorruptionChecker> corruption_;
  std::unique_ptr<PeerProber> prober_;    // etcd_network_peer_round_trip_time_seconds
  std::unique_ptr<PeerDirectory> peers_;  // The transport's peers follow the member table.
  std::once_flag removed_by_peer_;
  std::atomic<bool> removed_{false};  // This member's removal applied: main() stops it.
  ServiceContext context_;
  std::unique_ptr<KvService> kv_;
  std::unique_ptr<MaintenanceService> maintenance_;
  std::unique_ptr<ClusterService> cluster_service_;
  std::unique_ptr<CandidateQueues> queues_;
  std::unique_ptr<ElectionService> election_;
  std::unique_ptr<LockService> lock_;
  std::unique_ptr<WatchHub> watch_hub_;  // Outlives grpc_: its streams' reactors use it.
  std::unique_ptr<WatchService> watch_;
  std::unique_ptr<Lessor> lessor_;  // Outlives grpc_: keep-alive streams use it.
  std::unique_ptr<LeaseForwarder> lease_forwarder_;
  std::unique_ptr<LeaseService> lease_;
  std::unique_ptr<AuthService> auth_;
  CallCounters calls_;  // Outlives grpc_: its interceptors record into it.
  std::unique_ptr<grpc::Server> grpc_;
  // The client port (listener.h): connections go to grpc_ or, speaking HTTP/1.1, to http_.
  std::unique_ptr<http::HttpFace> http_;
  std::unique_ptr<http::ClientListener> listener_;
  // --listen-metrics-urls: /metrics and /health only, over HTTP/1.1.
  std::unique_ptr<http::HttpFace> metrics_http_;
  std::unique_ptr<http::ClientListener> metrics_listener_;
  bool stopped_ = false;
};

Expected<void, std::string> Member::start() {
  auto cluster = resolve_cluster(options_.cluster);
  if (!cluster) return unexpected(cluster.error());
  cluster_ = std::move(*cluster);
  if (options_.data_dir.empty()) options_.data_dir = options_.cluster.name + ".regent";
  if (options_.election_timeout < 5 * options_.heartbeat_interval ||
      options_.heartbeat_interval.count() <= 0) {
    return unexpected(fmt::format(
        "--election-timeout ({} ms) must be at least 5 times --heartbeat-interval ({} ms)",
        options_.election_timeout.count(), options_.heartbeat_interval.count()));
  }
  logger_.info("member {} ({:x}) of cluster {:x}, data in {}", options_.cluster.name,
               cluster_.self_id, cluster_.cluster_id, options_.data_dir);

  // Before the data directory is opened, so that a TLS setting refused leaves no directory behind
  // (auto-TLS writes into <data-dir>/fixtures, as etcd does at start); before any peer is asked.
  auto security =
      make_member_security(options_.security, options_.cluster, options_.data_dir, logger_);
  if (!security) return unexpected(security.error());
  security_ = std::move(*security);

  storage::Options so;
  so.catch_up_entries = options_.snapshot_catchup_entries;
  auto opened = storage::DiskStorage::open(fs_, options_.data_dir, so, logger_);
  if (!opened) return unexpected(opened.error().message);
  storage_ = std::move(*opened);
  if (auto refused = refuse_if_removed(); !refused) return refused;
  if (options_.cluster.initial_cluster_state == "existing") {
    if (auto found = find_existing_identity(storage_->recovery().fresh); !found) return found;
  }
  auto recorded =
      establish_identity(fs_, options_.data_dir, identity(), !storage_->recovery().fresh,
                         storage_->initial_state().second.voters, logger_);
  if (!recorded) return unexpected(recorded.error());
  // A directory that knows whose it is but holds no log lost everything this member had
  // acknowledged (an emptied data dir whose IDENTITY survived): it votes again only once a
  // leader has caught it up (raft.h, "Lost log").
  const bool lost_everything = *recorded && storage_->recovery().fresh;
  if (options_.force_new_cluster) {
    if (storage_->recovery().fresh) {
      return unexpected(fmt::format(
          "--force-new-cluster: {} holds no member's state; start a new cluster without it",
          options_.data_dir));
    }
    // The survivor of a lost quorum: its peers are gone, so none is asked about it.
    if (auto forced = force_new_cluster(*storage_, cluster_.self_id, logger_); !forced) {
      return unexpected(forced.error());
    }
  }
  if (auto booted = bootstrap_if_fresh(*recorded); !booted) return booted;
  if (!storage_->recovery().fresh && !options_.force_new_cluster) {
    const auto ask = ask_peer();
    if (auto kept = check_not_removed(cluster_, options_.data_dir, ask, logger_); !kept) {
      // Marked, so that the next start refuses at once, peers up or not.
      mark_removed(kept.error());
      return kept;
    }
  }
  if (lost_everything) {
    logger_.warn(
        "{} holds this member's identity but no log: it lost what it had; it will not "
        "vote or serve reads until it has caught up from the leader",
        options_.data_dir);
  }

  NodeOptions no;
  no.id = cluster_.self_id;
  no.tick = options_.heartbeat_interval;
  no.election_ticks = static_cast<int>(options_.election_timeout / options_.heartbeat_interval);
  no.snapshot_count = options_.snapshot_count;
  no.campaign_on_leader_down = options_.campaign_on_leader_down;
  no.strict_reconfig_check = options_.strict_reconfig_check;
  no.quota_bytes = quota_from_flag(options_.quota_backend_bytes);
  no.lost_entries_up_to = lost_everything ? 1 : 0;
  no.fault = options_.node_fault;
  // etcd's request timeout: 5 s plus twice the election timeout.
  no.request_timeout = std::chrono::milliseconds(5000) + 2 * options_.election_timeout;
  regentpb::Member self;
  self.set_id(cluster_.self_id);
  self.set_name(options_.cluster.name);  // A member added by MemberAdd has none until now.
  for (const std::string& url : cluster_.advertise_client_urls) self.add_client_urls(url);
  no.publish = self;
  node_ = std::make_unique<RaftNode>(no, *storage_, machine_, logger_);

  transport::Options to;
  to.cluster_id = cluster_.cluster_id;
  to.self = cluster_.self_id;
  to.listen_address = cluster_.listen_peer_address;
  // One entry must always fit a batch: the transport drops a message larger than a batch.
  to.max_batch_bytes = std::max<size_t>(to.max_batch_bytes, options_.max_request_bytes + (1 << 20));
  for (const auto& [id, address] : cluster_.peer_addresses) to.peers.push_back({id, address});
  to.members = [this] { return machine_.members(); };
  to.hash_kv = [this](const etcdserverpb::HashKVRequest& request,
                      etcdserverpb::HashKVResponse* response) {
    auto result = machine_.read([&](const kv::Store& s) { return s.hash_kv(request.revision()); });
    if (!result) return to_grpc(from_kv(result.error()));
    etcdserverpb::ResponseHeader header;
    header.set_cluster_id(cluster_.cluster_id);
    header.set_member_id(cluster_.self_id);
    header.set_revision(machine_.revision());
    *response = to_proto(*result, header);
    return grpc::Status::OK;
  };
  to.server_credentials = security_.peer_port;
  to.channel_credentials = security_.peer_dial;
  to.read_snapshot =
      [this](const raft::SnapshotMetadata& metadata) -> Expected<std::string, std::string> {
    auto snapshot = storage_->read_snapshot(metadata);
    if (!snapshot) return unexpected(snapshot.error().message);
    return std::move(snapshot->data);
  };
  leaders_ = std::make_unique<LeaderChangeLog>(cluster_.self_id);
  node_->add_observer(*leaders_);
  to.is_removed = [this](raft::NodeId id) { return machine_.was_removed(id); };
  tap_ = std::make_unique<HandlerTap>(*node_, *leaders_,
                                      [this](raft::NodeId peer) { on_removed_by(peer); });
  auto transport = transport::Transport::start(to, *tap_, logger_);
  if (!transport) return unexpected("peer listener: " + transport.error());
  transport_ = std::move(*transport);
  prober_ = std::make_unique<PeerProber>(to.peers, security_.peer_dial);
  peers_ = std::make_unique<PeerDirectory>(
      cluster_.self_id, *transport_, [this](raft::Index index) { on_removed(index); }, logger_);
  node_->add_observer(*peers_);
  prober_->start();
  queues_ = std::make_unique<CandidateQueues>(machine_);
  node_->add_observer(*queues_);
  WatchOptions wo;
  wo.progress_interval = options_.watch_progress_notify_interval;
  wo.no_leader_timeout = 3 * options_.election_timeout;  // etcd's monitorLeader.
  wo.batch.max_bytes = options_.max_request_bytes + kGrpcOverheadBytes;
  watch_hub_ = std::make_unique<WatchHub>(
      machine_,
      [this](etcdserverpb::ResponseHeader* header, int64_t revision) {
        context_.fill(header, revision);
      },
      wo, logger_);
  node_->add_observer(*watch_hub_);
  LessorOptions lo;
  lo.election_timeout = options_.election_timeout;
  lo.checkpoint_interval = options_.lease_checkpoint_interval;
  lo.revoke_retry = no.request_timeout;
  lessor_ = std::make_unique<Lessor>(lo, machine_, [node = node_.get()](auto request) {
    node->propose(std::move(request), [](Expected<WriteResponse, Failure>) {});
  });
  node_->add_observer(*lessor_);
  sent_tap_ = std::make_unique<TransportTap>(*transport_, *leaders_);
  if (auto started = node_->start(*sent_tap_); !started) return started;
  watch_hub_->start();
  corruption_ = std::make_unique<CorruptionChecker>(cluster_.self_id, *node_, machine_,
                                                    security_.peer_dial, logger_);
  if (options_.initial_corrupt_check) {
    if (auto clean = corruption_->initial_check(5 * options_.election_timeout); !clean) {
      return unexpected(clean.error());
    }
  }
  corruption_->start(options_.corrupt_check_interval);

  context_.cluster_id = cluster_.cluster_id;
  context_.member_id = cluster_.self_id;
  context_.node = node_.get();
  context_.machine = &machine_;
  context_.max_request_bytes = options_.max_request_bytes;
  context_.max_txn_ops = options_.max_txn_ops;
  context_.data_dir = options_.data_dir;
  context_.cluster_token = options_.cluster.initial_cluster_token;
  context_.security = &security_;
  context_.auth = &auth_gate_;
  kv_ = std::make_unique<KvService>(context_);
  auth_ = std::make_unique<AuthService>(context_, tokens_, password_worker_, auth_attempts_,
                                        AuthService::Options{.bcrypt_cost = options_.bcrypt_cost});
  maintenance_ = std::make_unique<MaintenanceService>(context_, logger_);
  cluster_service_ = std::make_unique<ClusterService>(context_, no.request_timeout);
  lease_forwarder_ = std::make_unique<LeaseForwarder>(*node_, machine_, cluster_.self_id,
                                                      no.request_timeout, security_);
  lease_ =
      std::make_unique<LeaseService>(context_, *lessor_, *lease_forwarder_,
                                     min_lease_ttl(options_.heartbeat_interval, no.election_ticks));
  election_ = std::make_unique<ElectionService>(context_, *queues_);
  lock_ = std::make_unique<LockService>(context_, *queues_);

  // The client port is the member's own (http/listener.h): bound before the gRPC server is
  // built, so a port in use fails the start at once; gRPC gets its connections from the
  // listener (AddInsecureChannelFromFd) and listens on no port itself.
  http::ListenerOptions port_options;
  port_options.addresses = cluster_.listen_client_addresses;
  port_options.tls = security_.client_port.get();
  port_options.registry = &connections_;
  auto listener = http::ClientListener::bind(port_options, logger_);
  if (!listener) return unexpected(listener.error());
  listener_ = std::move(*listener);
  if (!options_.listen_metrics_urls.empty()) {
    http::ListenerOptions metrics_options;
    for (const std::string& url : options_.listen_metrics_urls) {
      auto address = url_to_address(url);
      if (!address) return unexpected("--listen-metrics-urls: " + address.error());
      if (url.starts_with("https://")) {
        return unexpected("--listen-metrics-urls: " + url + ": only http:// is served there");
      }
      metrics_options.addresses.push_back(*address);
    }
    auto bound = http::ClientListener::bind(metrics_options, logger_);
    if (!bound) return unexpected("--listen-metrics-urls: " + bound.error());
    metrics_listener_ = std::move(*bound);
  }

  grpc::ServerBuilder builder;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(make_counting_interceptor(calls_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(options_.max_request_bytes + kGrpcOverheadBytes));
  // etcdctl pings every 2 s while a call is open; never answer that with "too many pings".
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.RegisterService(kv_.get());
  builder.RegisterService(maintenance_.get());
  builder.RegisterService(cluster_service_.get());
  builder.RegisterService(lease_.get());
  watch_ = std::make_unique<WatchService>(*watch_hub_, &auth_gate_);
  builder.RegisterService(watch_.get());
  builder.RegisterService(election_.get());
  builder.RegisterService(lock_.get());
  builder.RegisterService(auth_.get());
  grpc_ = builder.BuildAndStart();
  if (!grpc_) return unexpected(std::string("cannot start the gRPC server"));

  // The gateway calls the same services through the server's in-process channel.
  grpc::ChannelArguments ca;
  ca.SetMaxReceiveMessageSize(-1);
  ca.SetMaxSendMessageSize(-1);
  http::HttpFaceOptions ho;
  // A JSON body is larger than the request it carries (base64 bytes, quoted numbers); one the
  // member would accept over gRPC must not be refused over HTTP, so the limit has the same margin
  // as gRPC's, on a third more than --max-request-bytes. The services check the request itself.
  ho.max_body_bytes = options_.max_request_bytes * 4 / 3 + kGrpcOverheadBytes;
  const http::MemberView view{.node = node_.get(),
                              .machine = &machine_,
                              .data_dir = options_.data_dir,
                              .quota_bytes = quota_from_flag(options_.quota_backend_bytes),
                              .calls = &calls_,
                              .leaders = leaders_.get(),
                              .prober = prober_.get(),
                              .watches = watch_hub_.get(),
                              .queues = queues_.get()};
  const std::shared_ptr<grpc::Channel> in_process = grpc_->InProcessChannel(ca);
  http_ = std::make_unique<http::HttpFace>(ho, view, in_process);
  listener_->start([server = grpc_.get()](int fd) { grpc::AddInsecureChannelFromFd(server, fd); },
                   [http = http_.get()](int fd) { http->serve(fd); });
  if (metrics_listener_) {
    ho.metrics_only = true;
    metrics_http_ = std::make_unique<http::HttpFace>(ho, view, in_process);
    // No gRPC there: an HTTP/2 client is closed (the listener's cap and timeouts still apply).
    metrics_listener_->start([](int fd) { ::close(fd); },
                             [http = metrics_http_.get()](int fd) { http->serve(fd); });
    logger_.info("serving /metrics and /health on {}",
                 fmt::join(options_.listen_metrics_urls, ", "));
  }
  logger_.info("serving clients on {}", fmt::join(cluster_.advertise_client_urls, ", "));
  return {};
}

std::function<Expected<regentpb::MembersResponse, std::string>(const std::string&)>
Member::ask_peer() const {
  return [credentials = security_.peer_dial](const std::string& address) {
    return transport::query_members(address, kBootstrapCheckTimeout, credentials);
  };
}

MemberIdentity Member::identity() const {
  return MemberIdentity{.member_id = cluster_.self_id,
                        .cluster_id = cluster_.cluster_id,
                        .name = options_.cluster.name};
}

Expected<void, std::string> Member::bootstrap_if_fresh(bool identity_recorded) {
  if (!storage_->recovery().fresh) return {};
  if (options_.cluster.initial_cluster_state == "existing") {
    // Joined (find_existing_identity): no first snapshot; the leader's brings everything.
    if (!identity_recorded) {
      if (auto written = write_identity(fs_, options_.data_dir, identity()); !written) {
        return unexpected(written.error());
      }
    }
    logger_.info("joining cluster {:x} as member {:x}: waiting for the leader's snapshot",
                 cluster_.cluster_id, cluster_.self_id);
    return {};
  }
  const auto ask = ask_peer();
  if (auto unknown = check_not_bootstrapped(cluster_, options_.data_dir, ask, logger_); !unknown) {
    return unknown;
  }
  // Recorded before any Raft state: a crash in between leaves a fresh directory that knows whose
  // it is.
  if (!identity_recorded) {
    if (auto written = write_identity(fs_, options_.data_dir, identity()); !written) {
      return unexpected(written.error());
    }
  }
  // Every member writes the same first snapshot: the cluster's members and an empty store.
  if (auto saved = save_first_snapshot(*storage_, cluster_, StateMachine(cluster_.members).image());
      !saved) {
    return saved;
  }
  logger_.info("bootstrapped a new cluster of {} members", cluster_.members.size());
  return {};
}

Expected<void, std::string> Member::refuse_if_removed() {
  const std::string path = options_.data_dir + "/" + kRemovedFileName;
  auto present = fs_.exists(path);
  if (!present)
    return unexpected(fmt::format("cannot read {}: {}", path, present.error().message()));
  if (!*present) return {};
  auto text = fs_.read_file(path);
  return unexpected(fmt::format(
      "this member was removed from its cluster ({}: {}); a removed member cannot run again with "
      "its old identity. To bring the machine back, move the data directory aside, add it again "
      "(etcdctl member add) and start it on an empty data directory with "
      "--initial-cluster-state existing",
      path, text ? *text : std::string("unreadable")));
}

Expected<void, std::string> Member::find_existing_identity(bool fresh) {
  auto recorded = read_identity(fs_, options_.data_dir);
  if (!recorded) return unexpected(recorded.error());
  if (*recorded) {
    // A member that joined (or any member, restarted): its ids are the recorded ones, not the
    // flags' (etcd ignores --initial-cluster once a member has data). The name must still agree.
    if ((*recorded)->name == options_.cluster.name) {
      cluster_.self_id = (*recorded)->member_id;
      cluster_.cluster_id = (*recorded)->cluster_id;
    }
    return {};
  }
  if (!fresh) return {};  // Data made before identity files: the flags' ids, checked as ever.
  const auto ask = ask_peer();
  auto joined = find_cluster_to_join(cluster_, options_.cluster.name, ask, logger_);
  if (!joined) return unexpected(joined.error());
  cluster_ = joined_config(std::move(cluster_), *joined);
  return {};
}

void Member::mark_removed(const std::string& why) {
  if (auto written =
          storage::write_file_atomically(fs_, options_.data_dir, kRemovedFileName, why + "\n");
      !written) {
    logger_.error("cannot mark {} as removed: {}", options_.data_dir, written.error().message());
  }
}

void Member::on_removed(raft::Index index) {
  // On the loop thread: the marker is written before main() is told, so no restart can miss it.
  mark_removed(fmt::format("member {:x} of cluster {:x} removed at log index {}", cluster_.self_id,
                           cluster_.cluster_id, index));
  logger_.warn(
      "this member ({:x}) was removed from cluster {:x} at log index {}: stopping. Its data "
      "directory {} is marked removed and will not start again",
      cluster_.self_id, cluster_.cluster_id, index, options_.data_dir);
  removed_ = true;
}

void Member::on_removed_by(raft::NodeId peer) {
  // A transport thread, and every peer may say it: once is enough. The marker is written before
  // main() is told, so no restart can miss it.
  std::call_once(removed_by_peer_, [&] {
    mark_removed(fmt::format("member {:x} of cluster {:x} removed (peer {:x} refused its stream)",
                             cluster_.self_id, cluster_.cluster_id, peer));
    logger_.warn(
        "this member ({:x}) was removed from cluster {:x}: peer {:x} refused its stream ({}); "
        "stopping. Its data directory {} is marked removed and will not start again",
        cluster_.self_id, cluster_.cluster_id, peer, transport::kRemovedMessage, options_.data_dir);
    removed_ = true;
  });
}

void Member::hand_over_leadership() {
  if (!node_ || !node_->status().is_leader || cluster_.members.size() < 2) return;
  // Shared: the loop may answer after this function gave up waiting.
  auto promise = std::make_shared<std::promise<Expected<void, Failure>>>();
  auto outcome = promise->get_future();
  node_->transfer_leadership(
      raft::kNone, [promise](Expected<void, Failure> r) { promise->set_value(std::move(r)); });
  const auto wait = 2 * options_.election_timeout + std::chrono::seconds(1);
  if (outcome.wait_for(wait) != std::future_status::ready) {
    logger_.warn("leadership transfer did not finish within {} ms; stopping anyway",
                 std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    return;
  }
  if (auto r = outcome.get(); !r) {
    logger_.warn("leadership transfer failed: {}; stopping anyway", r.error().message);
  }
}

void Member::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  hand_over_leadership();
  if (corruption_) corruption_->stop();
  // The loop stops first, answering every waiting client, so the gRPC server has no call left
  // that could hold up its own shutdown.
  if (node_) node_->stop();
  if (watch_hub_) watch_hub_->stop(stopped());  // Ends every watch stream; clients move on.
  if (queues_) queues_->fail_all(stopped());
  if (lease_forwarder_) lease_forwarder_->stop();  // Forwarded keep-alives end at once.
  if (lessor_) lessor_->end_streams(stopped());    // So do keep-alive streams.
  // HTTP clients next: their calls were just answered, and no new connection is taken.
  if (listener_) listener_->stop();
  if (metrics_listener_) metrics_listener_->stop();
  if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (prober_) prober_->stop();
  if (transport_) transport_->stop();
  if (storage_ && !storage_->failure()) {
    if (auto synced = storage_->sync(); !synced) logger_.error("{}", synced.error().message);
  }
  logger_.info("stopped");
}

}  // namespace

Expected<std::unique_ptr<Server>, std::string> Server::start(const ServerOptions& options,
                                                             Logger& logger) {
  auto member = std::make_unique<Member>(options, logger);
  if (auto started = member->start(); !started) {
    member->shutdown();
    return unexpected(started.error());
  }
  return std::unique_ptr<Server>(std::move(member));
}

}  // namespace regent::server
