#pragma once
// `segmaker prepare`: an Oxford-IIIT Pet folder → SageMaker's channel layout
//   train/ train_annotation/ validation/ validation_annotation/ label_map/{train,validation}_label_map.json
//   classes.json  manifest.tsv  prepare_report.json  (--manifest: train.manifest  validation.manifest)
// Bad input is never dropped silently: what can be read correctly is kept (non-JPEG images are
// converted to RGB JPEG), everything else is listed as rejected (file, reason).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/label_modes.h"

namespace segmaker::data {


struct PrepareOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  double validation_fraction = 0.25;
  std::uint64_t seed = 42;
  LabelMode labels = LabelMode::Trimap;
  // Write into a non-empty output, replacing prepare's folders and files there (prepare_outputs());
  // refused when the input lies inside one of them.
  bool force = false;
  bool strict = false;   // any rejected file is fatal (nothing is written)
  int threads = 0;       // 0 = all cores
  bool progress = true;
  // Images and trimaps over width × height are rejected from their header, never decoded.
  std::int64_t max_pixels = 4096LL * 4096LL;
  // Non-empty: also write train.manifest and validation.manifest, augmented manifests in Ground
  // Truth's shape ("source-ref", "pets-ref" and its metadata) whose URIs start with this (where the
  // output will be: "s3://bucket/prefix" or "file:///abs/folder").
  std::string manifest_base;
};

struct FileNote {
  std::string file;    // path relative to the input folder
  std::string reason;
};

struct PrepareSummary {
  std::size_t found = 0;       // image files considered
  std::size_t train = 0;       // pairs written to train/
  std::size_t validation = 0;  // pairs written to validation/
  std::vector<FileNote> converted;  // kept, re-encoded as RGB JPEG (e.g. a GIF named .jpg)
  std::vector<FileNote> rejected;   // not written
  std::size_t skipped_non_images = 0;
  double seconds = 0;
};

// Runs the whole job. Throws UserError for unusable options (output not empty without force,
// input not a Pet folder, …) and DataError in strict mode when a file is rejected. The new data
// set is written next to the output folder and swapped in at the end, in one step: an
// interrupted run (even SIGKILL) leaves the old data set or the new one, never a mix.
PrepareSummary prepare_dataset(const PrepareOptions& options);

// The channel folders and files prepare owns inside an output folder.
const std::vector<std::string>& prepare_outputs();

}  // namespace segmaker::data
