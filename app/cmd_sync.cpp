// segmaker sync: copy a folder to an S3 prefix or back (any mix of local paths, file:// and s3://),
// in parallel, through the download cache: `aws s3 sync` for segmaker's users without the AWS CLI.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.h"
#include "io/error.h"
#include "storage/transfer.h"

namespace segmaker::app {

Command add_sync_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("sync", "Copy a folder to an s3:// prefix, or a prefix to a folder");
  auto source = std::make_shared<std::string>();
  auto destination = std::make_shared<std::string>();
  auto no_progress = std::make_shared<bool>(false);
  sub->add_option("source", *source, "Local folder or s3://bucket/prefix")->required();
  sub->add_option("destination", *destination, "s3://bucket/prefix or local folder")->required();
  sub->add_flag("--no-progress", *no_progress, "Plain log lines instead of a progress bar");
  return {sub, [source, destination, no_progress, &global] {
            auto config = storage_config(global);
            config.progress = !*no_progress;
            const auto from = storage::parse_location(*source);
            const auto to = storage::parse_location(*destination);
            if (from.is_s3() && to.is_s3())
              throw UserError("sync copies between a local folder and S3; for S3 to S3 use aws s3 sync");
            const auto summary = from.is_s3() ? storage::download_prefix(*source, to.local, config)
                                              : storage::upload_folder(from.local, *destination, config);
            const double mb = static_cast<double>(summary.bytes) / 1e6;
            spdlog::info("sync: {} objects, {:.1f} MB in {:.2f} s ({:.1f} MB/s, {:.0f} objects/s{})", summary.objects, mb,
                         summary.seconds, summary.seconds > 0 ? mb / summary.seconds : 0.0,
                         summary.seconds > 0 ? static_cast<double>(summary.objects) / summary.seconds : 0.0,
                         summary.from_cache ? ", " + std::to_string(summary.from_cache) + " from the cache" : "");
            return 0;
          }};
}

}  // namespace segmaker::app
