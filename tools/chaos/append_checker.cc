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

namespace {

// One check of one history, in steps: what was written by whom, the version order of each key,
// the anomalies of single reads, then the dependency graph and its cycles.
class AppendAnalysis {
 public:
  explicit AppendAnalysis(const std::vector<AppendTxn>& txns) : txns_(txns) {}

  CheckResult run() {
    index_writers();
    find_version_orders();
    check_reads();
    choose_nodes();
    add_dependency_edges();
    add_real_time_edges();
    report_cycles();
    out_.notes.push_back(fmt::format("append: {} transactions in the graph, {} keys read",
                                     txn_of_.size(), longest_.size()));
    return std::move(out_);
  }

 private:
  using KeyElement = std::pair<std::string, uint64_t>;

  template <class F>
  void for_each_ok_read(F f) const {
    for (size_t i = 0; i < txns_.size(); ++i) {
      if (txns_[i].outcome != Outcome::kOk) continue;
      for (const auto& op : txns_[i].ops) {
        if (!op.append && op.read) f(i, op);
      }
    }
  }

  void flag(const std::string& kind, std::string what, std::vector<std::string> history) {
    if (shown_[kind]++ < kShownPerKind) {
      out_.violations.push_back({"append", std::move(what), std::move(history)});
    } else {
      out_.violations.push_back({"append", kind, {}, false, false});  // Counted, not printed.
    }
  }

  void index_writers() {
    for (size_t i = 0; i < txns_.size(); ++i) {
      for (const auto& op : txns_[i].ops) {
        if (op.append) writer_[{op.key, op.element}] = i;
      }
    }
  }

  // Each key's longest read: the order of the appends seen (all others must be its prefixes).
  void find_version_orders() {
    for_each_ok_read([&](size_t i, const MicroOp& op) {
      auto& l = longest_[op.key];
      if (op.read->size() > l.first.size()) l = {*op.read, i};
    });
  }

  void check_reads() {
    for_each_ok_read([&](size_t i, const MicroOp& op) {
      const auto& [list, reader] = longest_[op.key];
      if (!is_prefix(*op.read, list)) {
        flag("incompatible reads",
             fmt::format("key {}: reads {} and {} are not prefixes of one order", op.key,
                         show_list(*op.read), show_list(list)),
             {describe(txns_[i]), describe(txns_[reader])});
      }
      std::set<uint64_t> distinct(op.read->begin(), op.read->end());
      if (distinct.size() != op.read->size()) {
        flag("duplicate elements",
             fmt::format("key {}: an element appears twice in {}", op.key, show_list(*op.read)),
             {describe(txns_[i])});
      }
      for (uint64_t e : *op.read) check_element(i, op.key, e);
    });
  }

  void check_element(size_t reader, const std::string& key, uint64_t e) {
    auto w = writer_.find({key, e});
    if (w == writer_.end()) {
      flag("garbage read", fmt::format("key {}: element {} was never appended to it", key, e),
           {describe(txns_[reader])});
    } else if (txns_[w->second].outcome == Outcome::kFailed) {
      flag("aborted read",
           fmt::format("key {}: element {} comes from a transaction that failed", key, e),
           {describe(txns_[w->second]), describe(txns_[reader])});
    } else {
      observed_writers_.insert(w->second);
    }
  }

  // Nodes: ok transactions, and unknown ones known to have happened (an element of theirs was
  // read); then one time node per ok completion, in time order.
  void choose_nodes() {
    node_of_.assign(txns_.size(), -1);
    for (size_t i = 0; i < txns_.size(); ++i) {
      if (txns_[i].outcome == Outcome::kOk ||
          (txns_[i].outcome == Outcome::kUnknown && observed_writers_.count(i))) {
        node_of_[i] = static_cast<int>(txn_of_.size());
        txn_of_.push_back(i);
      }
    }
    for (size_t i = 0; i < txns_.size(); ++i) {
      if (txns_[i].outcome == Outcome::kOk) {
        completions_.push_back({txns_[i].complete_us, node_of_[i]});
      }
    }
    std::sort(completions_.begin(), completions_.end());
    graph_.out.resize(txn_of_.size() + completions_.size());
  }

  int node_writing(const KeyElement& ke) const {
    auto w = writer_.find(ke);
    return w == writer_.end() ? -1 : node_of_[w->second];
  }

  void add_dependency_edges() {
    for (const auto& [key, lr] : longest_) {
      const auto& list = lr.first;
      for (size_t i = 1; i < list.size(); ++i) {
        const int a = node_writing({key, list[i - 1]}), b = node_writing({key, list[i]});
        if (a >= 0 && b >= 0) graph_.edge(a, b, 'w');
      }
    }
    for_each_ok_read([&](size_t i, const MicroOp& op) {
      const auto& list = longest_[op.key].first;
      if (!op.read->empty()) {
        if (const int w = node_writing({op.key, op.read->back()}); w >= 0) {
          graph_.edge(w, node_of_[i], 'r');
        }
      }
      if (op.read->size() < list.size() && is_prefix(*op.read, list)) {
        if (const int w = node_writing({op.key, list[op.read->size()]}); w >= 0) {
          graph_.edge(node_of_[i], w, 'a');
        }
      }
    });
  }

  // T1 completed before T2 was invoked: T1 -> its completion's time node -> later time nodes
  // -> T2, so the graph holds every real-time order with O(n) edges.
  void add_real_time_edges() {
    const int txn_nodes = static_cast<int>(txn_of_.size());
    for (size_t k = 0; k < completions_.size(); ++k) {
      const int tn = txn_nodes + static_cast<int>(k);
      graph_.edge(completions_[k].second, tn, 't');
      if (k + 1 < completions_.size()) graph_.edge(tn, tn + 1, 't');
    }
    for (int v = 0; v < txn_nodes; ++v) {
      const uint64_t invoke = txns_[txn_of_[static_cast<size_t>(v)]].invoke_us;
      auto it =
          std::lower_bound(completions_.begin(), completions_.end(), std::make_pair(invoke, -1));
      if (it != completions_.begin()) {
        graph_.edge(txn_nodes + static_cast<int>(it - completions_.begin()) - 1, v, 't');
      }
    }
  }

  // A component with two transactions or more holds a cycle; the shortest one through its first
  // transaction is shown.
  void report_cycles() {
    const int txn_nodes = static_cast<int>(txn_of_.size());
    int count = 0;
    const std::vector<int> comp = components(graph_, &count);
    std::vector<int> txns_in(static_cast<size_t>(count), 0);
    std::vector<int> first_in(static_cast<size_t>(count), -1);
    for (int v = 0; v < txn_nodes; ++v) {
      const auto c = static_cast<size_t>(comp[static_cast<size_t>(v)]);
      ++txns_in[c];
      if (first_in[c] < 0) first_in[c] = v;
    }
    for (size_t c = 0; c < static_cast<size_t>(count); ++c) {
      if (txns_in[c] < 2) continue;
      std::vector<std::string> history;
      std::string kinds;
      for (const auto& [v, kind] : cycle_through(graph_, comp, first_in[c])) {
        if (v >= txn_nodes) continue;  // Time nodes: the rt edge is named on the transaction.
        history.push_back(fmt::format("-{}-> {}", kind_name(kind),
                                      describe(txns_[txn_of_[static_cast<size_t>(v)]])));
        kinds += std::string(kinds.empty() ? "" : ",") + kind_name(kind);
      }
      // Formatted before the history is moved: argument order is unspecified.
      std::string what =
          fmt::format("dependency cycle of {} transactions ({}): no serial order in real time",
                      history.size(), kinds);
      flag("cycle", std::move(what), std::move(history));
    }
  }

  const std::vector<AppendTxn>& txns_;
  CheckResult out_;
  std::map<std::string, size_t> shown_;
  std::map<KeyElement, size_t> writer_;
  std::map<std::string, std::pair<std::vector<uint64_t>, size_t>> longest_;  // list, its reader
  std::set<size_t> observed_writers_;
  std::vector<int> node_of_;
  std::vector<size_t> txn_of_;
  std::vector<std::pair<uint64_t, int>> completions_;  // Of ok transactions: time, node.
  Graph graph_;
};

}  // namespace

CheckResult check_append(const std::vector<AppendTxn>& txns) { return AppendAnalysis(txns).run(); }

}  // namespace regent::chaos
