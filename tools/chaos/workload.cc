#include "workload.h"

#include "append_workload.h"
#include "lease_workload.h"
#include "lock_workload.h"
#include "register_workload.h"
#include "set_workload.h"
#include "watch_workload.h"

namespace regent::chaos {

std::unique_ptr<Workload> make_workload(const std::string& name, Cluster& cluster, OpLog& log) {
  if (name == "register") return std::make_unique<RegisterWorkload>(cluster, log);
  if (name == "set") return std::make_unique<SetWorkload>(cluster, log);
  if (name == "append") return std::make_unique<AppendWorkload>(cluster, log);
  if (name == "watch") return std::make_unique<WatchWorkload>(cluster, log);
  if (name == "lock") return std::make_unique<LockWorkload>(cluster, log);
  if (name == "lease") return std::make_unique<LeaseWorkload>(cluster, log);
  return nullptr;
}

}  // namespace regent::chaos
