#include "server/http/status_page.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "common/json.h"
#include "server/http/held_candidacies.h"
#include "server/http/member_calls.h"

namespace regent::server::http {

namespace {

std::string hex_id(uint64_t id) { return fmt::format("{:x}", id); }

// Plain HTML, CSS and script; every value the script puts in the page goes in as text
// (textContent), never as markup.
constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Regent member</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:20px 0 6px}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:3px 10px;text-align:left}
th{background:#f2f2f2} .leader{font-weight:bold;color:#0a6} .bad{color:#c00} .muted{color:#888}
</style></head><body>
<h1>Regent member <span id="self">…</span></h1>
<div>leader: <span id="leader" class="leader">…</span> · term <span id="term">…</span> ·
commit <span id="commit">…</span> · applied <span id="applied">…</span> ·
revision <span id="revision">…</span> · leases <span id="leases">…</span>
<span id="leader-link"></span></div>
<div id="errors" class="bad"></div>
<h2>Members</h2>
<table id="members"><thead><tr><th>id</th><th>name</th><th>role</th><th>client URLs</th>
<th>lag (entries)</th><th>answering</th></tr></thead><tbody></tbody></table>
<h2>Elections and locks held</h2>
<table id="held"><thead><tr><th>kind</th><th>name</th><th>holder key</th><th>value</th>
<th>fencing token</th><th>lease</th><th>TTL left (s)</th><th>candidates</th></tr></thead>
<tbody></tbody></table>
<h2>Alarms</h2>
<div id="alarms">…</div>
<h2>Leader changes seen by this member</h2>
<table id="history"><thead><tr><th>when (UTC)</th><th>term</th><th>leader</th>
<th>previous</th><th>cause</th><th>elected after</th></tr></thead>
<tbody></tbody></table>
<p class="muted">Updated <span id="updated">never</span>; refreshed every second.</p>
<script>
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text;
  if (cls) td.className = cls; return td; }
async function refresh() {
  try {
    const r = await fetch('/regent/status', {cache: 'no-store'});
    const s = await r.json();
    document.getElementById('self').textContent = s.name + ' (' + s.id + ')';
    document.getElementById('leader').textContent = s.leader || 'none';
    for (const k of ['term', 'commit', 'applied', 'revision', 'leases'])
      document.getElementById(k).textContent = s[k];
    const link = document.getElementById('leader-link'); link.textContent = '';
    const lm = s.members.find(m => m.id === s.leader);
    if (!s.is_leader && lm && lm.client_urls.length) {
      const a = document.createElement('a'); a.href = lm.client_urls[0] + '/';
      a.textContent = "· the leader's page (member lags)"; link.appendChild(a);
    }
    document.getElementById('errors').textContent = s.errors.join('; ');
    const body = document.querySelector('#members tbody'); body.textContent = '';
    for (const m of s.members) {
      const row = body.insertRow(); row.id = 'member-' + m.id;
      const f = s.followers.find(x => x.id === m.id);
      cell(row, m.id); cell(row, m.name);
      cell(row, m.id === s.leader ? 'leader' : (f && f.learner ? 'learner' : 'follower'),
           m.id === s.leader ? 'leader' : '');
      cell(row, m.client_urls.join(' '));
      cell(row, m.id === s.leader ? '' : (f ? String(f.lag) : '?'));
      cell(row, m.id === s.leader ? '' : (f ? (f.active ? 'yes' : 'no') : '?'),
           f && !f.active ? 'bad' : '');
    }
    const held = document.querySelector('#held tbody'); held.textContent = '';
    for (const c of s.held) {
      const row = held.insertRow(); row.id = 'held-' + c.name;
      cell(row, c.kind); cell(row, c.name); cell(row, c.holder_key); cell(row, c.holder_value);
      cell(row, c.fencing_token); cell(row, c.lease);
      cell(row, c.ttl_left === null ? 'unknown' : String(c.ttl_left));
      cell(row, String(c.candidates));
    }
    const alarms = document.getElementById('alarms');
    alarms.textContent = s.alarms_error ? 'cannot list: ' + s.alarms_error
        : (s.alarms.length ? s.alarms.map(a => a.alarm + ' on ' + a.member_id).join('; ')
                           : 'none');
    alarms.className = s.alarms.length || s.alarms_error ? 'bad' : '';
    const hist = document.querySelector('#history tbody'); hist.textContent = '';
    for (const h of s.leader_changes.slice().reverse()) {
      const row = hist.insertRow(); cell(row, h.at); cell(row, h.term);
      cell(row, h.leader || 'lost', h.leader ? '' : 'bad'); cell(row, h.previous || '');
      cell(row, h.detail).dataset.cause = h.cause;
      cell(row, h.elected_after_seconds === undefined ? ''
                : (h.elected_after_seconds * 1000).toFixed(0) + ' ms');
    }
    document.getElementById('updated').textContent = new Date().toISOString();
  } catch (e) {
    document.getElementById('errors').textContent = 'cannot reach this member: ' + e;
  }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>
)HTML";

void write_leader_changes(Json& j, const MemberView& member) {
  j.key("leader_changes").begin_array();
  if (member.leaders != nullptr) {
    for (const LeaderChangeLog::Change& c : member.leaders->history()) {
      j.begin_object().key("at").string(fmt::format(
          "{:%Y-%m-%d %H:%M:%S}", fmt::gmtime(std::chrono::system_clock::to_time_t(c.at))));
      j.key("term").unsigned_number(c.term);
      j.key("leader").string(c.leader != raft::kNone ? hex_id(c.leader) : "");
      j.key("previous").string(c.previous != raft::kNone ? hex_id(c.previous) : "");
      j.key("cause").string(c.cause).key("detail").string(c.detail);
      if (c.elected_after_seconds) {
        j.key("elected_after_seconds").fixed(*c.elected_after_seconds, 3);
      }
      j.end_object();
    }
  }
  j.end_array();
}

// Each holder's TTL is asked of the leader's lessor (member_calls.h): one call per holder.
void write_held(Json& j, const MemberView& member, grpc::Channel& channel) {
  j.key("held").begin_array();
  if (member.queues != nullptr) {
    for (const Candidacy& c : held_candidacies(*member.machine, *member.queues)) {
      j.begin_object().key("kind").string(c.is_lock ? "lock" : "election");
      j.key("name").string(c.name).key("holder_key").string(c.holder_key);
      j.key("holder_value").string(c.holder_value);
      j.key("fencing_token").number(c.fencing_token);
      j.key("lease").string(fmt::format("{:x}", c.lease)).key("granted_ttl").number(c.granted_ttl);
      j.key("ttl_left");
      const std::optional<int64_t> left = lease_ttl_left(channel, c.lease);
      left ? j.number(*left) : j.null();
      j.key("candidates").unsigned_number(c.candidates).end_object();
    }
  }
  j.end_array();
}

void write_alarms(Json& j, grpc::Channel& channel) {
  const auto alarms = list_alarms(channel);
  j.key("alarms").begin_array();
  if (alarms) {
    for (const Alarm& a : *alarms) {
      j.begin_object().key("member_id").string(a.member_id).key("alarm").string(a.alarm);
      j.end_object();
    }
  }
  j.end_array();
  if (!alarms) j.key("alarms_error").string(alarms.error());
}

}  // namespace

std::string_view status_page_html() { return kPage; }

std::string status_json(const MemberView& member, grpc::Channel& channel) {
  const NodeStatus s = member.node->status();
  Json j;
  j.begin_object().key("id").string(hex_id(s.id));
  std::string self_name;
  const std::vector<regentpb::Member> members = member.machine->members();
  for (const regentpb::Member& m : members) {
    if (m.id() == s.id) self_name = m.name();
  }
  j.key("name").string(self_name);
  j.key("leader").string(s.leader != raft::kNone ? hex_id(s.leader) : "");
  j.key("is_leader")
      .boolean(s.is_leader)
      .key("term")
      .unsigned_number(s.term)
      .key("commit")
      .unsigned_number(s.commit);
  j.key("applied").unsigned_number(s.applied).key("revision").number(member.machine->revision());
  j.key("leases").unsigned_number(
      member.machine->read([](const kv::Store& st) { return st.leases().size(); }));
  j.key("errors").begin_array();
  for (const std::string& e : s.errors) j.string(e);
  j.end_array();
  j.key("members").begin_array();
  for (const regentpb::Member& m : members) {
    j.begin_object().key("id").string(hex_id(m.id())).key("name").string(m.name());
    j.key("client_urls").begin_array();
    for (const std::string& url : m.client_urls()) j.string(url);
    j.end_array().end_object();
  }
  j.end_array();
  j.key("followers").begin_array();
  for (const NodeStatus::Follower& f : s.followers) {
    j.begin_object().key("id").string(hex_id(f.id)).key("match").unsigned_number(f.match);
    j.key("lag").unsigned_number(s.lag(f));
    j.key("active")
        .boolean(f.recently_active)
        .key("learner")
        .boolean(f.learner)
        .key("state")
        .string(f.state);
    j.end_object();
  }
  j.end_array();
  write_leader_changes(j, member);
  write_held(j, member, channel);
  write_alarms(j, channel);
  return j.end_object().str();
}

}  // namespace regent::server::http
