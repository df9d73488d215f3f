#include "tools/lockstep/rank_agreement.h"

#include <unistd.h>

#include <utility>
#include <vector>

#include "core/error.h"
#include "cpu/parallel.h"
#include "cuda/device_facts.h"

namespace lockstep::cli {
namespace {

using nlohmann::json;

// "a.b.c" -> value, in the object's own key order (nlohmann orders keys alphabetically).
void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
  if (!j.is_object()) {
    out.emplace_back(prefix, j);
    return;
  }
  for (auto it = j.begin(); it != j.end(); ++it) flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
}

json value_at(const json& facts, const std::string& dotted) {
  const json* at = &facts;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(key)) return json();  // null: absent
    at = &(*at)[key];
    if (dot == std::string::npos) return *at;
    start = dot + 1;
  }
}

// The text of check_ranks_agree's error for the gathered facts, "" when they agree.
std::string first_disagreement(const std::vector<json>& facts_by_rank) {
  if (facts_by_rank.size() < 2) return "";
  std::vector<std::pair<std::string, json>> fields;
  flatten(facts_by_rank[0], "", fields);
  for (size_t r = 1; r < facts_by_rank.size(); ++r) {  // fields only another rank has
    std::vector<std::pair<std::string, json>> theirs;
    flatten(facts_by_rank[r], "", theirs);
    for (auto& f : theirs)
      if (value_at(facts_by_rank[0], f.first).is_null()) fields.emplace_back(f.first, json());
  }
  for (const auto& [name, mine] : fields)
    for (size_t r = 1; r < facts_by_rank.size(); ++r) {
      const json theirs = value_at(facts_by_rank[r], name);
      if (theirs != mine)
        return "ranks disagree on " + name + ": rank 0 has " + (mine.is_null() ? "nothing" : mine.dump()) + ", rank " +
               std::to_string(r) + " has " + (theirs.is_null() ? "nothing" : theirs.dump()) +
               "; every rank must train the same recipe on the same data with the same build";
    }
  return "";
}

}  // namespace

void check_ranks_agree(nn::Communicator& comm, const json& facts) {
  if (comm.size() == 1) return;
  std::vector<json> all;
  for (const std::string& text : comm.all_gather_text(facts.dump())) all.push_back(json::parse(text));
  if (const std::string why = first_disagreement(all); !why.empty()) throw Error("train: " + why);
}

json describe_ranks(nn::Communicator& comm, const std::string& device) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  json mine = {{"rank", comm.rank()}, {"host", host}, {"device", device}, {"threads", num_threads()}};
  if (device == "cuda") mine["gpu"] = cuda::device_facts().model;  // ranks may hold different GPUs
  json ranks = json::array();
  for (const std::string& text : comm.all_gather_text(mine.dump())) ranks.push_back(json::parse(text));
  return ranks;
}

}  // namespace lockstep::cli
