// --force-new-cluster, as etcd's: disaster recovery when a cluster lost its quorum for good. One
// survivor restarts on its data dir as a cluster of one, with everything it had committed.
//
// What it does to the data dir, before the node starts: the entries after the commit index (never
// committed: they may be lost, as etcd discards them) are replaced by one membership change per
// other member removing it, at the member's current term, and the commit index moves past them.
// The node then applies them as it applies any committed entry, so the member table, the Raft
// configuration and the log agree, and the member elects itself. The cluster id stays; other
// members' data dirs are no longer of this cluster's history and must be emptied before they
// join again (member add). Only single-step configurations are forced (regentd makes no other);
// a joint one is refused.
#pragma once

#include <string>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/types.h"
#include "storage/disk_storage.h"

namespace regent::server {

// Rewrites the log of `storage` (a member's recovered data dir) as above; the number of members
// removed, or why it cannot.
Expected<size_t, std::string> force_new_cluster(storage::DiskStorage& storage, raft::NodeId self,
                                                Logger& logger);

}  // namespace regent::server
