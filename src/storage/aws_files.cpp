// The AWS CLI's shared configuration files, read the way the CLI and SDKs read them: '#' and ';'
// comment lines, [section] headers, `key = value` lines; indented lines after `s3 =` form a nested
// block, read as "s3.<key>".
#include "storage/aws_files.h"

#include <cctype>
#include <cstdlib>
#include <fstream>

namespace segmaker::storage {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::filesystem::path aws_file(const char* variable, const char* name) {
  if (const char* v = std::getenv(variable); v && *v) return v;
  const char* home = std::getenv("HOME");
  if (!home || !*home) return {};
  return std::filesystem::path(home) / ".aws" / name;
}

}  // namespace

std::map<std::string, std::map<std::string, std::string>> read_ini(const std::filesystem::path& file) {
  std::map<std::string, std::map<std::string, std::string>> sections;
  std::ifstream in(file);
  if (!in) return sections;
  std::string line;
  std::string section;
  std::string parent;  // the key that opened a nested block
  bool have_section = false;
  while (std::getline(in, line)) {
    const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      section = trim(text.substr(1, text.size() - 2));
      have_section = true;
      parent.clear();
      sections[section];
      continue;
    }
    const auto eq = text.find('=');
    if (!have_section || eq == std::string::npos) continue;
    const std::string key = lower(trim(text.substr(0, eq)));
    const std::string value = trim(text.substr(eq + 1));
    if (indented) {  // a nested block: `s3 =` then `  addressing_style = virtual` -> "s3.addressing_style"
      if (!parent.empty()) sections[section][parent + "." + key] = value;
      continue;
    }
    parent = value.empty() ? key : "";
    sections[section][key] = value;
  }
  return sections;
}

std::map<std::string, std::string> read_aws_profile(const std::string& profile) {
  std::map<std::string, std::string> settings;
  const auto config = read_ini(aws_file("AWS_CONFIG_FILE", "config"));
  const std::string config_section = profile == "default" ? "default" : "profile " + profile;
  if (auto it = config.find(config_section); it != config.end()) settings = it->second;
  const auto credentials = read_ini(aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
  if (auto it = credentials.find(profile); it != credentials.end())
    for (const auto& [k, v] : it->second) settings[k] = v;
  return settings;
}

}  // namespace segmaker::storage
