#include "data/prepare.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "data/classes.h"
#include "data/dataset.h"
#include "data/image_header.h"
#include "data/image_io.h"
#include "data/pet_layout.h"
#include "data/split.h"
#include "io/durable_file.h"
#include "sagemaker/augmented_manifest.h"
#include "io/error.h"
#include "io/parallel.h"
#include "io/paths.h"
#include "io/progress.h"
#include "io/threads.h"

namespace fs = std::filesystem;

namespace segmaker::data {
namespace {

// What phase 1 learns about one pair; phase 2 writes it.
struct Checked {
  bool ok = false;
  std::string reason;         // why rejected
  std::string converted_from; // non-empty when the image is not a JPEG
  std::string image_jpeg;     // re-encoded bytes when converted; empty = copy the original file
  std::string mask_png;       // the class-id mask, encoded
  int width = 0, height = 0;
};

std::string describe_values(const cv::Mat& trimap) {
  int hist[256] = {0};
  for (int y = 0; y < trimap.rows; ++y) {
    const auto* row = trimap.ptr<std::uint8_t>(y);
    for (int x = 0; x < trimap.cols; ++x) ++hist[row[x]];
  }
  std::ostringstream out;
  out << "trimap values outside {1,2,3}:";
  int shown = 0;
  for (int v = 0; v < 256; ++v) {
    if (hist[v] == 0 || (v >= 1 && v <= 3)) continue;
    if (shown++ == 5) {
      out << " …";
      break;
    }
    out << " " << v << " (" << hist[v] << " px)";
  }
  return out.str();
}

Checked check_pair(const PetEntry& e, LabelMode mode, const ImageLimits& limits) {
  Checked c;
  std::string bytes;
  try {
    bytes = io::read_file(e.image);
  } catch (const std::exception& ex) {
    c.reason = ex.what();
    return c;
  }
  cv::Mat image;
  const ImageFormat format = sniff_format(bytes);
  try {
    image = decode_image_rgb(bytes, limits);
  } catch (const DataError& ex) {
    c.reason = ex.what();
    return c;
  }
  if (format != ImageFormat::Jpeg) {
    c.converted_from = std::string(format_name(format)) + " content in a ." + io::lower_extension(e.image).substr(1) +
                       " file, converted to RGB JPEG";
    c.image_jpeg = encode_jpeg(image, 95);
  }
  if (!fs::exists(e.trimap)) {
    c.reason = "missing trimap " + e.trimap.filename().string();
    return c;
  }
  cv::Mat trimap;
  try {
    trimap = decode_mask(io::read_file(e.trimap), limits);
  } catch (const std::exception& ex) {
    c.reason = "trimap " + e.trimap.filename().string() + ": " + ex.what();
    return c;
  }
  if (trimap.size() != image.size()) {
    std::ostringstream msg;
    msg << "size mismatch: image " << image.cols << "x" << image.rows << ", trimap " << trimap.cols << "x" << trimap.rows;
    c.reason = msg.str();
    return c;
  }
  cv::Mat bad = (trimap < 1) | (trimap > 3);
  if (cv::countNonZero(bad) > 0) {
    c.reason = describe_values(trimap);
    return c;
  }
  c.mask_png = encode_png(trimap_to_mask(trimap, mode, e.class_id, e.species));
  c.width = image.cols;
  c.height = image.rows;
  c.ok = true;
  return c;
}

std::string relative_name(const fs::path& file, const fs::path& root) {
  std::error_code ec;
  auto rel = fs::relative(file, root, ec);
  return ec ? file.string() : rel.string();
}

void link_or_copy(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// True when `inner` is `outer` or lies inside it.
bool lies_within(const fs::path& inner, const fs::path& outer) {
  const fs::path rel = inner.lexically_relative(outer);
  return !rel.empty() && *rel.begin() != "..";
}

// What the output folder allows, checked before any work: it is a folder (or absent), not the
// input, empty unless --force, and --force would not replace the input itself.
void check_output_folder(const PrepareOptions& o) {
  if (fs::exists(o.output) && !fs::is_directory(o.output))
    throw UserError("output '" + o.output.string() + "' exists and is not a folder");
  std::error_code ec;
  if (fs::exists(o.output) && fs::equivalent(o.output, o.input, ec))
    throw UserError("output folder must differ from the input folder");
  if (io::is_empty_dir(o.output)) return;
  if (!o.force)
    throw UserError("output folder '" + o.output.string() +
                    "' is not empty: choose another folder or pass --force to replace the prepared data there");
  const fs::path input = fs::weakly_canonical(o.input), output = fs::weakly_canonical(o.output);
  for (const auto& name : prepare_outputs())
    if (lies_within(input, output / name))
      throw UserError("--input '" + o.input.string() + "' lies inside '" + (o.output / name).string() +
                      "', which --force would replace: move the input elsewhere or choose another --output");
}

// The new data set is written into a hidden sibling of the output folder and swapped in at the
// end in one step (io::swap_directories): a crash or SIGKILL leaves the old data set or the new,
// never half of one. Its name carries the process id, so that a later run can remove what a
// killed run left behind.
constexpr const char* kStagingTag = ".segmaker-prepare-";

class Staging {
 public:
  explicit Staging(const fs::path& target) {
    const fs::path parent = target.parent_path();
    fs::create_directories(parent);
    remove_stale(parent, target.filename().string());
    const std::string unique = io::unique_temp_path("x").extension().string().substr(1);  // the random part
    path_ = parent / ("." + target.filename().string() + kStagingTag + std::to_string(::getpid()) + "-" + unique);
    fs::create_directories(path_);
  }
  ~Staging() {
    std::error_code ec;
    fs::remove_all(path_, ec);  // the unfinished new set, or after the swap the old one
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  const fs::path& path() const { return path_; }

 private:
  // Staging folders of runs that were killed (their process is gone).
  static void remove_stale(const fs::path& parent, const std::string& name) {
    const std::string prefix = "." + name + kStagingTag;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
      const std::string n = entry.path().filename().string();
      if (n.rfind(prefix, 0) != 0) continue;
      const long pid = std::strtol(n.c_str() + prefix.size(), nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
    }
  }
  fs::path path_;
};

// Links (or, across devices, copies) what else the output folder holds into the new data set, so
// that --force replaces only prepare's own folders and files.
void carry_over(const fs::path& from, const fs::path& to) {
  if (!fs::is_directory(from)) return;
  const auto& owned = prepare_outputs();
  for (const auto& entry : fs::directory_iterator(from)) {
    const std::string name = entry.path().filename().string();
    if (std::find(owned.begin(), owned.end(), name) != owned.end()) continue;
    const fs::path dst = to / name;
    if (entry.is_symlink()) {
      fs::copy_symlink(entry.path(), dst);
    } else if (entry.is_directory()) {
      fs::create_directory(dst);
      for (const auto& inner : fs::recursive_directory_iterator(entry.path())) {
        const fs::path target = dst / inner.path().lexically_relative(entry.path());
        if (inner.is_symlink()) fs::copy_symlink(inner.path(), target);
        else if (inner.is_directory()) fs::create_directories(target);
        else if (inner.is_regular_file()) link_or_copy(inner.path(), target);
      }
    } else if (entry.is_regular_file()) {
      link_or_copy(entry.path(), dst);
    }
  }
}

// train.manifest and validation.manifest: each kept pair as a Ground Truth line, the classes in its metadata.
void write_augmented_manifests(const PrepareOptions& o, const fs::path& root, const std::vector<PetEntry>& entries,
                               const std::vector<Checked>& checked, const std::vector<bool>& is_val) {
  nlohmann::json class_map = nlohmann::json::object();
  const auto names = class_names(o.labels);
  for (std::size_t c = 0; c < names.size(); ++c) class_map[std::to_string(c)] = names[c];
  const nlohmann::json metadata = {{"class-map", class_map}, {"label-mode", label_mode_name(o.labels)},
                                   {"type", "segmaker/prepare"}, {"human-annotated", "yes"}};
  std::string base = o.manifest_base;
  if (base.back() != '/') base += '/';
  std::string lines[2];
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!checked[i].ok) continue;
    const std::string split = is_val[i] ? "validation" : "train";
    lines[is_val[i]] += sagemaker::augmented_manifest_line(base + split + "/" + entries[i].stem + ".jpg",
                                                           base + split + "_annotation/" + entries[i].stem + ".png", "pets-ref",
                                                           metadata) + "\n";
  }
  io::write_file_atomic(root / "train.manifest", lines[0]);
  io::write_file_atomic(root / "validation.manifest", lines[1]);
}

void write_metadata(const PrepareOptions& o, const fs::path& root, const std::vector<PetEntry>& entries,
                    const std::vector<Checked>& checked, const std::vector<bool>& is_val, const PrepareSummary& summary) {
  const std::string label_map = R"({"scale": "1"})";
  io::write_file_atomic(root / "label_map" / "train_label_map.json", label_map + "\n");
  io::write_file_atomic(root / "label_map" / "validation_label_map.json", label_map + "\n");

  write_classes(root / "classes.json", ClassList{class_names(o.labels), label_mode_name(o.labels), kIgnoreLabel});

  std::ostringstream manifest;
  manifest << "name\tsplit\tbreed\tclass_id\tspecies\twidth\theight\tsource\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!checked[i].ok) continue;
    const auto& e = entries[i];
    manifest << e.stem << '\t' << (is_val[i] ? "validation" : "train") << '\t' << e.breed << '\t' << e.class_id << '\t'
             << e.species << '\t' << checked[i].width << '\t' << checked[i].height << '\t'
             << relative_name(e.image, o.input) << '\n';
  }
  io::write_file_atomic(root / "manifest.tsv", manifest.str());
  if (!o.manifest_base.empty()) write_augmented_manifests(o, root, entries, checked, is_val);

  nlohmann::json report;
  report["input"] = fs::absolute(o.input).string();
  report["label_mode"] = label_mode_name(o.labels);
  report["validation_fraction"] = o.validation_fraction;
  report["seed"] = o.seed;
  report["summary"] = {{"found", summary.found},          {"train", summary.train},
                       {"validation", summary.validation}, {"converted", summary.converted.size()},
                       {"rejected", summary.rejected.size()}, {"skipped_non_images", summary.skipped_non_images}};
  report["converted"] = nlohmann::json::array();
  for (const auto& n : summary.converted) report["converted"].push_back({{"file", n.file}, {"reason", n.reason}});
  report["rejected"] = nlohmann::json::array();
  for (const auto& n : summary.rejected) report["rejected"].push_back({{"file", n.file}, {"reason", n.reason}});
  io::write_file_atomic(root / "prepare_report.json", report.dump(2) + "\n");
}

}  // namespace

const std::vector<std::string>& prepare_outputs() {
  static const std::vector<std::string> names = {"train",      "train_annotation", "validation", "validation_annotation",
                                                 "label_map",  "classes.json",     "manifest.tsv",
                                                 "prepare_report.json", "train.manifest", "validation.manifest"};
  return names;
}

PrepareSummary prepare_dataset(const PrepareOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  if (!(o.validation_fraction >= 0 && o.validation_fraction <= 1))
    throw UserError("--validation-fraction must be between 0 (all train) and 1 (all validation), got " +
                    std::to_string(o.validation_fraction));
  if (!fs::is_directory(o.input)) throw UserError("input folder '" + o.input.string() + "' does not exist");
  if (o.max_pixels <= 0) throw UserError("--max-pixels must be positive");
  check_output_folder(o);

  PetIndex index = index_pet_folder(o.input);
  PrepareSummary summary;
  summary.skipped_non_images = index.skipped_non_images;
  summary.found = index.entries.size() + index.problems.size();
  for (const auto& [file, reason] : index.problems) summary.rejected.push_back({"images/" + file, reason});

  const int threads = io::resolve_threads(o.threads);
  spdlog::info("prepare: {} images in {} ({}), {} threads", summary.found, o.input.string(),
               index.used_list ? "breeds from annotations/list.txt" : "breeds from file names", threads);

  // Phase 1: decode and check every pair (the expensive part), in parallel.
  std::vector<Checked> checked(index.entries.size());
  {
    io::Progress progress("checking", index.entries.size(), o.progress);
    io::parallel_for(index.entries.size(), threads, [&](std::size_t i) {
      checked[i] = check_pair(index.entries[i], o.labels, ImageLimits{o.max_pixels, "--max-pixels"});
      progress.advance();
    });
  }
  std::vector<std::string> groups, keys;
  std::vector<std::size_t> kept;
  for (std::size_t i = 0; i < index.entries.size(); ++i) {
    const auto& e = index.entries[i];
    const std::string file = relative_name(e.image, o.input);
    if (!checked[i].ok) {
      summary.rejected.push_back({file, checked[i].reason});
      continue;
    }
    if (!checked[i].converted_from.empty()) summary.converted.push_back({file, checked[i].converted_from});
    kept.push_back(i);
    groups.push_back(e.breed);
    keys.push_back(e.stem);
  }
  for (const auto& r : summary.rejected) spdlog::warn("rejected {}: {}", r.file, r.reason);
  for (const auto& c : summary.converted) spdlog::info("converted {}: {}", c.file, c.reason);
  if (o.strict && !summary.rejected.empty())
    throw DataError(std::to_string(summary.rejected.size()) + " file(s) rejected and --strict is set (first: " +
                    summary.rejected.front().file + ": " + summary.rejected.front().reason + "); nothing was written");
  if (kept.empty()) throw DataError("no usable image/trimap pair in " + o.input.string());

  // Phase 2: split the usable pairs, stratified by breed.
  const std::vector<bool> kept_val = stratified_split(groups, keys, o.validation_fraction, o.seed);
  std::vector<bool> is_val(index.entries.size(), false);
  for (std::size_t k = 0; k < kept.size(); ++k) is_val[kept[k]] = kept_val[k];

  // Phase 3: write the new data set next to the output folder, then swap it in.
  const fs::path target = fs::weakly_canonical(fs::absolute(o.output));
  Staging staging(target);
  const fs::path& root = staging.path();
  for (const char* dir : {"train", "train_annotation", "validation", "validation_annotation", "label_map"})
    fs::create_directories(root / dir);
  {
    io::Progress progress("writing", kept.size(), o.progress);
    io::parallel_for(kept.size(), threads, [&](std::size_t k) {
      const std::size_t i = kept[k];
      const auto& e = index.entries[i];
      const std::string split = is_val[i] ? "validation" : "train";
      const fs::path image_out = root / split / (e.stem + ".jpg");
      if (checked[i].image_jpeg.empty())
        fs::copy_file(e.image, image_out, fs::copy_options::overwrite_existing);
      else
        io::write_file_atomic(image_out, checked[i].image_jpeg);
      io::write_file_atomic(root / (split + "_annotation") / (e.stem + ".png"), checked[i].mask_png);
      progress.advance();
    });
  }
  for (std::size_t i : kept) (is_val[i] ? summary.validation : summary.train)++;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_metadata(o, root, index.entries, checked, is_val, summary);
  carry_over(target, root);
  io::sync_filesystem(root);  // every file on the disk before the swap makes them the data set
  io::swap_directories(root, target);
  return summary;
}

}  // namespace segmaker::data
