// segmaker hyperparameters: the algorithm's hyperparameters -- names, defaults, allowed values -- as a
// table or as JSON (what `segmaker api` checks a tuning job's ranges against).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "train/hyperparameters.h"

namespace segmaker::app {

Command add_hyperparameters_command(CLI::App& app, const GlobalOptions&) {
  auto* sub = app.add_subcommand("hyperparameters", "List the algorithm's hyperparameters: names, defaults, allowed values");
  auto as_json = std::make_shared<bool>(false);
  sub->add_flag("--json", *as_json, "As a JSON array (name, type, default, required, min, max, values)");
  return {sub, [as_json] {
            if (*as_json) std::cout << train::hyperparameter_table().dump(1) << "\n";
            else std::cout << train::describe_hyperparameters();
            return 0;
          }};
}

}  // namespace segmaker::app
