#include "append_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace regent::chaos {

namespace {

constexpr size_t kShownPerKind = 5;

std::string show_list(const std::vector<uint64_t>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) out += (i ? " " : "") + std::to_string(list[i]);
  return out + "]";
}

bool is_prefix(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Graph nodes: transactions first, then one time node per ok completion.
struct Graph {
  std::vector<std::vector<std::pair<int, char>>>
      out;  // (target, kind: 'w' ww, 'r' wr, 'a' rw, 't' rt)
  void edge(int from, int to, char kind) {
    if (from != to) out[static_cast<size_t>(from)].push_back({to, kind});
  }
};

// Tarjan's strongly connected components, iteratively (tens of thousands of nodes).
std::vector<int> components(const Graph& g, int* count) {
  const int n = static_cast<int>(g.out.size());
  std::vector<int> index(n, -1), low(n, 0), comp(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<int> stack;
  int next_index = 0, next_comp = 0;
  std::vector<std::pair<int, size_t>> call;  // (node, next edge)
  for (int root = 0; root < n; ++root) {
    if (index[root] >= 0) continue;
    call.push_back({root, 0});
    while (!call.empty()) {
      auto& [v, e] = call.back();
      if (e == 0 && index[v] < 0) {
        index[v] = low[v] = next_index++;
        stack.push_back(v);
        on_stack[v] = true;
      }
      const auto& edges = g.out[static_cast<size_t>(v)];
      if (e < edges.size()) {
        const int w = edges[e++].first;
        if (index[w] < 0) {
          call.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        for (;;) {
          const int w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          comp[w] = next_comp;
          if (w == v) break;
        }
        ++next_comp;
      }
      const int done = v;
      call.pop_back();
      if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
    }
  }
  *count = next_comp;
  return comp;
}

// A shortest cycle through `start` inside its component, as (node, kind of the edge into it).
std::vector<std::pair<int, char>> cycle_through(const Graph& g, const std::vector<int>& comp,
                                                int start) {
  std::map<int, std::pair<int, char>> parent;
  std::deque<int> queue{start};
  while (!queue.empty()) {
    const int v = queue.front();
    queue.pop_front();
    for (const auto& [w, kind] : g.out[static_cast<size_t>(v)]) {
      if (comp[static_cast<size_t>(w)] != comp[static_cast<size_t>(start)]) continue;
      if (w == start) {
        std::vector<std::pair<int, char>> path{{start, kind}};
        for (int x = v; x != start; x = parent[x].first) path.push_back({x, parent[x].second});
        std::reverse(path.begin(), path.end());
        return path;
      }
      if (parent.count(w) == 0) {
        parent[w] = {v, kind};
        queue.push_back(w);
      }
    }
  }
  return {};
}

const char* kind_name(char k) {
  switch (k) {
    case 'w':
      return "ww";
    case 'r':
      return "wr";
    case 'a':
      return "rw";
    default:
      return "rt";
  }
}

}  // namespace

std::string describe(const AppendTxn& t) {
  std::string ops;
  for (const auto& op : t.ops) {
    if (!ops.empty()) ops += ", ";
    if (op.append) {
      ops += fmt::format("append {} {}", op.key, op.element);
    } else {
      ops += fmt::format("read {} {}", op.key, op.read ? show_list(*op.read) : "?");
    }
  }
  return fmt::format("txn {} (worker {}) [{}, {}] {}: {}", t.id, t.worker, t.invoke_us,
                     t.complete_us, to_string(t.outcome), ops);
}

CheckResult check_append(const std::vector<AppendTxn>& txns) {
  CheckResult out;
  std::map<std::pair<std::string, uint64_t>, size_t> writer;
  for (size_t i = 0; i < txns.size(); ++i) {
    for (const auto& op : txns[i].ops) {
      if (op.append) writer[{op.key, op.element}] = i;
    }
  }
  std::map<std::string, std::pair<std::vector<uint64_t>, size_t>> longest;  // key -> list, reader
  std::set<size_t> observed_writers;
  for (size_t i = 0; i < txns.size(); ++i) {
    if (txns[i].outcome != Outcome::kOk) continue;
    for (const auto& op : txns[i].ops) {
      if (op.append || !op.read) continue;
      auto& l = longest[op.key];
      if (op.read->size() > l.first.size()) l = {*op.read, i};
    }
  }
  std::map<std::string, size_t> shown;
  auto flag = [&](const std::string& kind, std::string what, std::vector<std::string> history) {
    if (shown[kind]++ < kShownPerKind) {
      out.violations.push_back({"append", std::move(what), std::move(history)});
    } else {
      out.violations.push_back({"append", kind, {}, false, false});  // Counted, not printed.
    }
  };
  for (size_t i = 0; i < txns.size(); ++i) {
    if (txns[i].outcome != Outcome::kOk) continue;
    for (const auto& op : txns[i].ops) {
      if (op.append || !op.read) continue;
      const auto& [list, reader] = longest[op.key];
      if (!is_prefix(*op.read, list)) {
        flag("incompatible reads",
             fmt::format("key {}: reads {} and {} are not prefixes of one order", op.key,
                         show_list(*op.read), show_list(list)),
             {describe(txns[i]), describe(txns[reader])});
      }
      std::set<uint64_t> distinct(op.read->begin(), op.read->end());
      if (distinct.size() != op.read->size()) {
        flag("duplicate elements",
             fmt::format("key {}: an element appears twice in {}", op.key, show_list(*op.read)),
             {describe(txns[i])});
      }
      for (uint64_t e : *op.read) {
        auto w = writer.find({op.key, e});
        if (w == writer.end()) {
          flag("garbage read",
               fmt::format("key {}: element {} was never appended to it", op.key, e),
               {describe(txns[i])});
        } else if (txns[w->second].outcome == Outcome::kFailed) {
          flag("aborted read",
               fmt::format("key {}: element {} comes from a transaction that failed", op.key, e),
               {describe(txns[w->second]), describe(txns[i])});
        } else {
          observed_writers.insert(w->second);
        }
      }
    }
  }

  // Nodes: ok transactions, and unknown ones known to have happened.
  std::vector<int> node_of(txns.size(), -1);
  std::vector<size_t> txn_of;
  for (size_t i = 0; i < txns.size(); ++i) {
    if (txns[i].outcome == Outcome::kOk ||
        (txns[i].outcome == Outcome::kUnknown && observed_writers.count(i))) {
      node_of[i] = static_cast<int>(txn_of.size());
      txn_of.push_back(i);
    }
  }
  std::vector<std::pair<uint64_t, int>> completions;  // Of ok transactions.
  for (size_t i = 0; i < txns.size(); ++i) {
    if (txns[i].outcome == Outcome::kOk) completions.push_back({txns[i].complete_us, node_of[i]});
  }
  std::sort(completions.begin(), completions.end());
  const int txn_nodes = static_cast<int>(txn_of.size());
  Graph g;
  g.out.resize(txn_of.size() + completions.size());
  auto node = [&](const std::pair<std::string, uint64_t>& ke) {
    auto w = writer.find(ke);
    return w == writer.end() ? -1 : node_of[w->second];
  };
  for (const auto& [key, lr] : longest) {
    const auto& list = lr.first;
    for (size_t i = 1; i < list.size(); ++i) {
      const int a = node({key, list[i - 1]}), b = node({key, list[i]});
      if (a >= 0 && b >= 0) g.edge(a, b, 'w');
    }
  }
  for (size_t i = 0; i < txns.size(); ++i) {
    if (txns[i].outcome != Outcome::kOk) continue;
    for (const auto& op : txns[i].ops) {
      if (op.append || !op.read) continue;
      const auto& list = longest[op.key].first;
      if (!op.read->empty()) {
        if (const int w = node({op.key, op.read->back()}); w >= 0) g.edge(w, node_of[i], 'r');
      }
      if (op.read->size() < list.size() && is_prefix(*op.read, list)) {
        if (const int w = node({op.key, list[op.read->size()]}); w >= 0) {
          g.edge(node_of[i], w, 'a');
        }
      }
    }
  }
  for (size_t k = 0; k < completions.size(); ++k) {
    const int tn = txn_nodes + static_cast<int>(k);
    g.edge(completions[k].second, tn, 't');
    if (k + 1 < completions.size()) g.edge(tn, tn + 1, 't');
  }
  for (int v = 0; v < txn_nodes; ++v) {
    const uint64_t invoke = txns[txn_of[static_cast<size_t>(v)]].invoke_us;
    auto it = std::lower_bound(completions.begin(), completions.end(), std::make_pair(invoke, -1));
    if (it != completions.begin()) {
      g.edge(txn_nodes + static_cast<int>(it - completions.begin()) - 1, v, 't');
    }
  }
  int count = 0;
  const std::vector<int> comp = components(g, &count);
  std::vector<int> txns_in(static_cast<size_t>(count), 0), first_in(static_cast<size_t>(count), -1);
  for (int v = 0; v < txn_nodes; ++v) {
    ++txns_in[static_cast<size_t>(comp[static_cast<size_t>(v)])];
    if (first_in[static_cast<size_t>(comp[static_cast<size_t>(v)])] < 0) {
      first_in[static_cast<size_t>(comp[static_cast<size_t>(v)])] = v;
    }
  }
  for (int c = 0; c < count; ++c) {
    if (txns_in[static_cast<size_t>(c)] < 2) continue;
    const auto cycle = cycle_through(g, comp, first_in[static_cast<size_t>(c)]);
    std::vector<std::string> history;
    std::string kinds;
    for (const auto& [v, kind] : cycle) {
      if (v >= txn_nodes) continue;  // Time nodes: the rt edge is named on the next transaction.
      history.push_back(
          fmt::format("-{}-> {}", kind_name(kind), describe(txns[txn_of[static_cast<size_t>(v)]])));
      kinds += std::string(kinds.empty() ? "" : ",") + kind_name(kind);
    }
    flag("cycle",
         fmt::format("dependency cycle of {} transactions ({}): no serial order in real time",
                     history.size(), kinds),
         std::move(history));
  }
  out.notes.push_back(
      fmt::format("append: {} transactions in the graph, {} keys read", txn_nodes, longest.size()));
  return out;
}

}  // namespace regent::chaos
