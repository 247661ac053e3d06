#pragma once
// Small shared vocabulary of the API: ARNs, timestamps, and the URIs a request may name.
#include <string>

#include "storage/local_access.h"

namespace segmaker::api {

class Validator;

// "arn:aws:sagemaker:<region>:<account>:<type>/<name in lower case>" (type: training-job, model,
// endpoint-config, endpoint, transform-job), as SageMaker spells them.
std::string make_arn(const std::string& region, const std::string& account, const std::string& type,
                     const std::string& name);

// Now, as epoch seconds with a fraction (the clients print them as ISO 8601).
double now_seconds();

// Checks an S3 URI field: s3://bucket/prefix (SageMaker's pattern), or, as a segmaker extension,
// file:///absolute/path or an absolute local path that `local` admits (the operator's
// --allow-local-path folders). https:// S3 URLs are refused with a hint. Records a violation on `v`
// and returns false when it is none of these.
bool check_uri(Validator& v, const std::string& value, const std::string& path, const storage::LocalAccess& local);

// A channel's URI as a folder: "s3://b/data/train" → "s3://b/data/train/". An S3 prefix without the
// slash would also match data/train_annotation/…; every channel of this algorithm is a folder.
std::string as_folder_uri(const std::string& uri);

// `prefix` + "/" + `relative` without doubling the slash ("s3://b/out/" + "job/output" → "s3://b/out/job/output").
std::string join_uri(const std::string& prefix, const std::string& relative);

}  // namespace segmaker::api
