// etcdctl's -w table layout (olekukonko/tablewriter as etcdctl configures it): a ruled box,
// headers centred, cells right-aligned.
#pragma once

#include <string>
#include <vector>

namespace regent::ctl {

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

}  // namespace regent::ctl
