// prepare through the storage layer (see prepare_staged.h).
#include "data/prepare_staged.h"

#include "io/error.h"
#include "storage/stage.h"

namespace segmaker::data {

namespace fs = std::filesystem;

PrepareSummary prepare_dataset(PrepareOptions options, const std::string& input_uri, const std::string& output_uri,
                               const storage::StorageConfig& config) {
  using storage::StagedInput;
  storage::StagedOutput output(output_uri, StagedInput::Kind::Folder, config);
  if (output.remote() && !options.force && !output.destination_empty())
    throw UserError("output '" + output.location().uri() +
                    "' is not empty: choose another prefix or pass --force to replace the prepared data there");
  StagedInput input(input_uri, StagedInput::Kind::Folder, config);
  options.input = input.path();
  options.output = output.path();
  if (options.manifest_base == "-")  // --manifest: the URIs the prepared files will have
    options.manifest_base = output.remote() ? output.location().uri() : "file://" + fs::absolute(output.location().local).string();
  auto summary = prepare_dataset(options);
  output.commit(output.remote() && options.force ? prepare_outputs() : std::vector<std::string>{});
  return summary;
}

}  // namespace segmaker::data
