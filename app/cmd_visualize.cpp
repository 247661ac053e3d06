// segmaker visualize: overlays, contact sheet and class statistics of a prepared data set.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <array>
#include <memory>
#include <optional>

#include "commands.h"
#include "data/visualize.h"
#include "storage/stage.h"

namespace segmaker::app {

Command add_visualize_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("visualize", "Overlays, a contact sheet and class statistics of a prepared data set");
  auto opts = std::make_shared<data::VisualizeOptions>();
  auto paths = std::make_shared<std::array<std::string, 3>>();  // data, output, masks
  sub->add_option("--data", (*paths)[0], "Prepared folder or s3:// prefix (output of `segmaker prepare`)")->required();
  sub->add_option("--output", (*paths)[1], "Folder or s3:// prefix for the PNGs and class_stats.json")->required();
  sub->add_option("--count", opts->count, "Samples in the contact sheet")->capture_default_str();
  sub->add_option("--seed", opts->seed, "Seed of the sample choice")->capture_default_str();
  sub->add_option("--masks", (*paths)[2],
                  "Overlay these masks (<name>.png, e.g. predictions; a folder or s3:// prefix) instead of the annotations");
  return {sub, [opts, paths, &global] {
            using storage::StagedInput;
            const auto config = storage_config(global);
            StagedInput data((*paths)[0], StagedInput::Kind::Folder, config);
            std::optional<StagedInput> masks;
            if (!(*paths)[2].empty()) masks.emplace((*paths)[2], StagedInput::Kind::Folder, config);
            storage::StagedOutput output((*paths)[1], StagedInput::Kind::Folder, config);
            opts->data = data.path();
            opts->output = output.path();
            if (masks) opts->masks = masks->path();
            opts->threads = global.threads;
            auto s = data::visualize_dataset(*opts);
            output.commit();
            std::fputs(s.table.c_str(), stdout);
            spdlog::info("visualize: {} overlays, contact_sheet.png, class_stats.{{json,png}} in {}", s.overlays,
                         (*paths)[1]);
            return 0;
          }};
}

}  // namespace segmaker::app
