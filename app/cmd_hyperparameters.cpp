// segmaker hyperparameters: the algorithm's hyperparameters -- names, defaults, allowed values -- as a
// table or as JSON (what `segmaker api` checks a tuning job's ranges against).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "io/error.h"
#include "io/paths.h"
#include "train/hyperparameters.h"

namespace segmaker::app {

Command add_hyperparameters_command(CLI::App& app, const GlobalOptions&) {
  auto* sub = app.add_subcommand("hyperparameters", "List the algorithm's hyperparameters: names, defaults, allowed values");
  auto as_json = std::make_shared<bool>(false);
  auto check = std::make_shared<std::string>();
  sub->add_flag("--json", *as_json, "As a JSON array (name, type, default, required, min, max, values)");
  sub->add_option("--check", *check,
                  "A JSON file holding an array of hyperparameter objects: prints a JSON array with, for each, what is "
                  "wrong with it (\"\" when nothing)");
  return {sub, [as_json, check] {
            if (!check->empty()) {
              const nlohmann::json sets = nlohmann::json::parse(io::read_file(*check), nullptr, false);
              if (!sets.is_array()) throw UserError("--check: '" + *check + "' does not hold a JSON array of hyperparameter objects");
              nlohmann::json problems = nlohmann::json::array();
              for (const auto& set : sets) problems.push_back(train::hyperparameters_problem(set));
              std::cout << problems.dump() << "\n";
            } else if (*as_json) {
              std::cout << train::hyperparameter_table().dump(1) << "\n";
            } else {
              std::cout << train::describe_hyperparameters();
            }
            return 0;
          }};
}

}  // namespace segmaker::app
