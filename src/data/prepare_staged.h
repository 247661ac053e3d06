#pragma once
// prepare with --input and --output anywhere storage reaches (local folders, file://, s3://, any mix):
// the input is downloaded first, the channels are prepared in a local folder and uploaded when the
// job succeeded. An S3 output is refused when not empty unless `force`, which then replaces prepare's
// own outputs there (stale objects of an earlier run are deleted after the upload). `options.manifest_base`
// "-" writes the augmented manifests with the output's own URIs.
#include <string>

#include "data/prepare.h"
#include "storage/storage.h"

namespace segmaker::data {

PrepareSummary prepare_dataset(PrepareOptions options, const std::string& input_uri, const std::string& output_uri,
                               const storage::StorageConfig& config);

}  // namespace segmaker::data
