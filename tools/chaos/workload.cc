#include "workload.h"

#include "register_workload.h"
#include "set_workload.h"

namespace regent::chaos {

std::unique_ptr<Workload> make_workload(const std::string& name, Cluster& cluster, OpLog& log) {
  if (name == "register") return std::make_unique<RegisterWorkload>(cluster, log);
  if (name == "set") return std::make_unique<SetWorkload>(cluster, log);
  return nullptr;
}

}  // namespace regent::chaos
