// segmaker prepare: Oxford-IIIT Pet folder → SageMaker channel layout.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.h"
#include "data/prepare_staged.h"

namespace segmaker::app {

// Exit code when the job finished but rejected some files (listed in prepare_report.json).
constexpr int kExitRejected = 3;

Command add_prepare_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("prepare", "Check an Oxford-IIIT Pet folder, split it and write SageMaker's channel layout");
  auto opts = std::make_shared<data::PrepareOptions>();
  auto labels = std::make_shared<std::string>("trimap");
  auto no_progress = std::make_shared<bool>(false);
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  sub->add_option("--input", *input,
                  "Oxford-IIIT Pet folder or s3:// prefix (images/, annotations/trimaps/, optional annotations/list.txt)")
      ->required();
  sub->add_option("--output", *output, "Folder or s3:// prefix to write train/, validation/, …, classes.json, manifest.tsv")
      ->required();
  sub->add_option("--validation-fraction", opts->validation_fraction,
                  "Share of each breed held out for validation (1.0: a pure test channel, 0.0: all train)")
      ->capture_default_str();
  sub->add_option("--seed", opts->seed, "Seed of the split")->capture_default_str();
  sub->add_option("--labels", *labels, "Label mode: trimap | binary | species | breed")
      ->check(CLI::IsMember({"trimap", "binary", "species", "breed"}))
      ->capture_default_str();
  sub->add_flag("--force", opts->force,
                "Replace the prepared data in a non-empty output folder (swapped in at the end: old or new, never half)");
  sub->add_option("--max-pixels", opts->max_pixels, "Image size limit, width x height (larger images are rejected)")
      ->capture_default_str();
  auto manifest = std::make_shared<bool>(false);
  sub->add_flag("--manifest", *manifest,
                "Also write train.manifest and validation.manifest: augmented manifests in Ground Truth's shape "
                "(source-ref, pets-ref) for AugmentedManifestFile channels or train --data");
  sub->add_flag("--strict", opts->strict, "Fail (and write nothing) if any file is rejected");
  sub->add_flag("--no-progress", *no_progress, "Plain log lines instead of a progress bar");
  return {sub, [opts, labels, no_progress, input, output, manifest, &global] {
            if (*manifest) opts->manifest_base = "-";
            opts->labels = data::parse_label_mode(*labels);
            opts->threads = global.threads;
            opts->progress = !*no_progress;
            auto s = data::prepare_dataset(*opts, *input, *output, storage_config(global));
            spdlog::info("prepare: {} found, {} train, {} validation, {} converted, {} rejected, {} non-image files skipped ({:.1f} s)",
                         s.found, s.train, s.validation, s.converted.size(), s.rejected.size(), s.skipped_non_images,
                         s.seconds);
            spdlog::info("prepare: wrote {} (report: prepare_report.json)", *output);
            return s.rejected.empty() ? 0 : kExitRejected;
          }};
}

}  // namespace segmaker::app
