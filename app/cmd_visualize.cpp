// segmaker visualize: overlays, contact sheet and class statistics of a prepared data set.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "data/visualize.h"

namespace segmaker::app {

Command add_visualize_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("visualize", "Overlays, a contact sheet and class statistics of a prepared data set");
  auto opts = std::make_shared<data::VisualizeOptions>();
  sub->add_option("--data", opts->data, "Prepared folder (output of `segmaker prepare`)")->required();
  sub->add_option("--output", opts->output, "Folder for the PNGs and class_stats.json")->required();
  sub->add_option("--count", opts->count, "Samples in the contact sheet")->capture_default_str();
  sub->add_option("--seed", opts->seed, "Seed of the sample choice")->capture_default_str();
  sub->add_option("--masks", opts->masks, "Overlay these masks (<name>.png, e.g. predictions) instead of the annotations");
  return {sub, [opts, &global] {
            opts->threads = global.threads;
            auto s = data::visualize_dataset(*opts);
            std::fputs(s.table.c_str(), stdout);
            spdlog::info("visualize: {} overlays, contact_sheet.png, class_stats.{{json,png}} in {}", s.overlays,
                         opts->output.string());
            return 0;
          }};
}

}  // namespace segmaker::app
