// Fuzz target: the text the Slurm scheduler of `segmaker api` reads (src/api): one record of
// `scontrol show job -o` (parse_scontrol_record, slurm_job_state) and the operator's instance-type
// mapping file (InstanceResourceTable::parse, resolve, known). The first byte chooses: even (seeds:
// 'J') a job record, odd (seeds: 'M') a mapping file; the rest is the text. Either way the text is
// also looked up as an instance type in the default table.
// Invariants besides "no crash, no sanitizer report":
//   - parse_scontrol_record never throws; its keys are non-empty, without '=' or white space, each
//     found as "Key=" in the line; its values hold no white space but single spaces; written back as
//     "Key=Value …" they parse to the same fields;
//   - slurm_job_state is present exactly when JobId has a non-empty value, and then holds the
//     record's JobId, JobState, Reason, ExitCode and NodeList; finished() implies a state, and is
//     false for PENDING and RUNNING;
//   - the mapping file gives a table or a UserError only (with a message); a table's known() are the
//     file's keys (sorted, unique, "ml." + at most 61 characters), each resolves to the file's values
//     within their bounds; an unknown type is an ApiError 400 ValidationException only, naming the
//     type and every known one (up to the type's first NUL: what() is a C string), whose body
//     serialises; the default table's types are whole nodes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/instance_resources.h"
#include "api/slurm_client.h"
#include "io/error.h"

namespace {

using json = nlohmann::json;
using namespace segmaker::api;

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz_slurm_text: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// The white space std::istream's >> splits words at (the "C" locale).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::map<std::string, std::string> fields_of(const std::string& line) {
  try {
    return parse_scontrol_record(line);
  } catch (const std::exception& e) {
    broken(std::string("parse_scontrol_record threw: ") + e.what());
  } catch (...) {
    broken("parse_scontrol_record threw a non-exception");
  }
}

void check_record(const std::string& line) {
  const auto fields = fields_of(line);
  std::string written;
  for (const auto& [key, value] : fields) {
    if (key.empty()) broken("an empty key");
    for (char c : key)
      if (c == '=' || is_space(c)) broken("key '" + key + "' with '=' or white space");
    if (line.find(key + "=") == std::string::npos) broken("key '" + key + "' is not in the line");
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (is_space(value[i]) && value[i] != ' ') broken("value of " + key + " with white space other than ' '");
      if (value[i] == ' ' && i + 1 < value.size() && value[i + 1] == ' ') broken("value of " + key + " with two spaces");
    }
    written += (written.empty() ? "" : " ") + key + "=" + value;
  }
  if (fields_of(written) != fields) broken("the fields written back parse differently: " + written);

  std::optional<SlurmJobState> s;
  try {
    s = slurm_job_state(line);
  } catch (...) {
    broken("slurm_job_state threw");
  }
  const auto get = [&](const char* key) {
    const auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  if (s.has_value() != !get("JobId").empty()) broken("a state without JobId, or none with one");
  if (!s) return;
  if (s->id.empty()) broken("an empty job id");
  if (s->id != get("JobId") || s->state != get("JobState") || s->reason != get("Reason") ||
      s->exit_code != get("ExitCode") || s->nodes != get("NodeList"))
    broken("the job state differs from the record's fields");
  const bool finished = s->finished();
  if (finished && s->state.empty()) broken("finished without a state");
  if (finished && (s->state == "PENDING" || s->state == "RUNNING")) broken(s->state + " is finished");
}

// An ApiError of resolve(type) on a table whose known types are `known`.
// `names`: whether to look for every known type in the message and serialise the answer (the default
// table's list is the same for every input: checked on the first unknown type only, for speed).
void check_unknown(const ApiError& e, const std::string& type, const std::vector<std::string>& known, bool names) {
  if (e.status() != 400 || e.type() != "ValidationException") broken("resolve: " + std::to_string(e.status()) + " " + e.type());
  const std::string m = e.what();
  if (type.find('\0') != std::string::npos) {
    // what() is a C string: the message (and the answer's "message") ends at the type's first NUL.
    const std::string start = "'" + type.substr(0, type.find('\0'));
    if (m.find(start) == std::string::npos) broken("resolve's message does not name the type: " + m);
  } else {
    if (m.find("'" + type + "'") == std::string::npos) broken("resolve's message does not name the type: " + m);
    if (names)
      for (const auto& k : known)
        if (m.find(k) == std::string::npos) broken("resolve's message does not name " + k);
  }
  if (!names) return;
  const std::string body = e.body().dump(-1, ' ', false, json::error_handler_t::replace);
  const json back = json::parse(body, nullptr, false);
  if (!back.is_object() || back.value("__type", "") != "ValidationException" || !back["message"].is_string())
    broken("error body " + body);
}

// The table's answer for `type`: known types resolve, others are the one ApiError.
void check_resolve(const InstanceResourceTable& table, const std::vector<std::string>& known, const std::string& type,
                   bool is_known, bool names = true) {
  try {
    const InstanceResources& r = table.resolve(type);
    if (!is_known) broken("an unknown type resolved: " + type);
    if (r.cpus < 0 || r.cpus > 4096 || r.memory_mib < 0 || r.memory_mib > (1ll << 30) || r.gpus < 0 || r.gpus > 64)
      broken("resources out of bounds for " + type);
    if (r.partition.find_first_of(" \t\n,'\"\\$`") != std::string::npos) broken("partition '" + r.partition + "'");
  } catch (const ApiError& e) {
    if (is_known) broken("a known type did not resolve: " + type);
    check_unknown(e, type, known, names);
  }
}

void check_mapping(const std::string& text) {
  std::optional<InstanceResourceTable> table;
  try {
    table = InstanceResourceTable::parse(text, "mapping file 'f'");
  } catch (const segmaker::UserError& e) {
    if (std::string(e.what()).rfind("mapping file 'f'", 0) != 0) broken(std::string("a message without its file: ") + e.what());
    return;
  } catch (const std::exception& e) {
    broken(std::string("parse threw something other than UserError: ") + e.what());
  }
  // What parse accepted is a JSON object whose keys are the table's types.
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.empty()) broken("a table from no JSON object");
  const std::vector<std::string> known = table->known();
  if (known.size() != doc.size()) broken("known() has " + std::to_string(known.size()) + " types, the file " + std::to_string(doc.size()));
  std::size_t i = 0;
  for (const auto& [type, entry] : doc.items()) {  // nlohmann's object is a sorted map, as known() is
    if (known[i++] != type) broken("known() differs from the file's keys at " + type);
    if (type.rfind("ml.", 0) != 0 || type.size() > 64) broken("type '" + type + "' accepted");
    check_resolve(*table, known, type, true);
    const InstanceResources& r = table->resolve(type);
    if (r.partition != entry.value("partition", std::string()) || r.cpus != entry.value("cpus", 0) ||
        r.memory_mib != entry.value("memory_mib", 0ll) || r.gpus != entry.value("gpus", 0) ||
        r.exclusive != entry.value("exclusive", false))
      broken("resources of " + type + " differ from the file's " + entry.dump());
  }
  for (const std::string& other : {known.front() + "x", std::string("ml.unknown.type"), std::string(), text.substr(0, 80)})
    check_resolve(*table, known, other, doc.contains(other));
}

// The default table (every SageMaker instance type, a whole node each): `type` is one of them or refused.
void check_default(const std::string& type) {
  static const InstanceResourceTable table;
  static const std::vector<std::string> known = table.known();
  bool is_known = false;
  for (const auto& k : known) is_known = is_known || k == type;
  static bool names = true;
  check_resolve(table, known, type, is_known, names);
  names = names && is_known;
  if (is_known && !table.resolve(type).exclusive) broken(type + " is not a whole node by default");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0)
    check_record(text);
  else
    check_mapping(text);
  check_default(text.substr(0, 64));
  return 0;
}
