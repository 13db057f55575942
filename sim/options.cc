#include "sim/options.h"

#include <fmt/format.h>

#include "common/prng.h"

namespace regent::sim {

Options Options::from_seed(uint64_t seed, size_t members) {
  // A PRNG of its own, so that options do not shift when the world's draws change.
  Prng prng(seed ^ 0x5eedULL);
  Options o;
  o.seed = seed;
  o.members = members != 0 ? members : (prng.chance(1, 2) ? 3 : 5);
  o.pre_vote = prng.chance(3, 4);
  o.check_quorum = prng.chance(3, 4);
  o.max_msg_bytes = prng.chance(1, 2) ? 1 : 1 << 20;
  o.loss_percent = static_cast<uint32_t>(prng.chance(1, 2) ? prng.between(1, 20) : 0);
  o.duplicate_percent = static_cast<uint32_t>(prng.chance(1, 3) ? prng.between(1, 10) : 0);
  o.delay_max_us = prng.chance(1, 2) ? prng.between(1'000, 30'000) : 3'000;
  o.sync_max_us = prng.between(200, 20'000);
  o.torn_percent = static_cast<uint32_t>(prng.chance(1, 2) ? prng.between(10, 60) : 0);
  o.max_skew_percent = static_cast<uint32_t>(prng.between(0, 10));
  o.nemesis_interval_us = prng.between(50'000, 500'000);
  o.crashes = prng.chance(3, 4);
  o.partitions = prng.chance(3, 4);
  o.asymmetric = prng.chance(1, 3);
  o.bridges = prng.chance(1, 4);
  o.transfers = prng.chance(1, 3);
  o.churn = prng.chance(1, 3);
  o.spares = o.churn ? 1 : 0;
  o.flap_leaders = prng.chance(1, 4);
  o.flap_delay_max_us = prng.between(1'000, 60'000);
  o.clients = prng.between(2, 6);
  o.keys = prng.between(1, 5);
  // Drawn last, so that the options above stay what they were for each seed.
  // Log-uniform in [4 KiB, 256 KiB): a node writes tens of KiB in a run, so most worlds roll.
  o.wal_segment_bytes = prng.between(4 << 10, (8 << 10) - 1) << prng.uniform(6);
  o.wal_preallocate = prng.chance(1, 2);
  o.crash_in_sync_percent = static_cast<uint32_t>(prng.chance(1, 2) ? prng.between(25, 100) : 0);
  o.command_padding_bytes = static_cast<uint32_t>(prng.chance(1, 2) ? prng.between(200, 2000) : 0);
  o.snapshot_every = prng.chance(2, 3) ? prng.between(10, 300) : 0;
  o.snapshot_catch_up = prng.between(0, 50);
  o.campaign_on_leader_down = o.pre_vote && o.check_quorum && prng.chance(1, 2);
  o.damage_percent =
      static_cast<uint32_t>(!o.churn && prng.chance(1, 3) ? prng.between(10, 50) : 0);
  o.churn_with_records = o.churn && prng.chance(1, 2);
  o.strict_reconfig_check = o.churn_with_records && prng.chance(1, 2);
  return o;
}

Options& Options::aim_at(server::NodeFault fault) {
  node_fault = fault;
  if (fault == server::NodeFault::kNone) return *this;
  // Crashes land inside the window between a promise and the write that backs it; followers lag
  // (slow disks, slow links), so stale state is there to be read; snapshots are frequent.
  crashes = true;
  nemesis_interval_us = 20'000;
  sync_min_us = 5'000;
  sync_max_us = 30'000;
  crash_in_sync_percent = 50;
  if (snapshot_every == 0) snapshot_every = 20;
  return *this;
}

std::string Options::describe() const {
  return fmt::format(
      "seed={} members={} spares={} steps={} pre_vote={} check_quorum={} max_msg={}B loss={}% "
      "dup={}% "
      "delay={}-{}us sync={}-{}us torn={}% skew={}% nemesis_every={}us crashes={} "
      "partitions={} asymmetric={} bridges={} transfers={} churn={} flap_leaders={} clients={} "
      "keys={} wal_segment={}B wal_preallocate={} crash_in_sync={}% padding={}B snapshot_every={} "
      "catch_up={} campaign_on_leader_down={} damage={}% node_fault={} churn_with_records={} "
      "strict_reconfig_check={}",
      seed, members, spares, steps, pre_vote, check_quorum, max_msg_bytes, loss_percent,
      duplicate_percent, delay_min_us, delay_max_us, sync_min_us, sync_max_us, torn_percent,
      max_skew_percent, nemesis_interval_us, crashes, partitions, asymmetric, bridges, transfers,
      churn, flap_leaders, clients, keys, wal_segment_bytes, wal_preallocate, crash_in_sync_percent,
      command_padding_bytes, snapshot_every, snapshot_catch_up, campaign_on_leader_down,
      damage_percent, server::to_string(node_fault), churn_with_records, strict_reconfig_check);
}

}  // namespace regent::sim
