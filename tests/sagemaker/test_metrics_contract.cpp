// The algorithm's metric lines and the MetricDefinitions that read them back (what CloudWatch metrics,
// TrainingJobAnalytics and tuning objectives see), and the Python SDK's config file.
#include <gtest/gtest.h>

#include <regex>

#include "io/error.h"
#include "sagemaker/metrics.h"
#include "sagemaker/sdk_config.h"

namespace segmaker::sagemaker {
namespace {

// The value each definition's regex takes from `line` ("" when it does not match).
std::string matched(const MetricDefinition& d, const std::string& line) {
  std::smatch m;
  return std::regex_search(line, m, std::regex(d.regex)) ? m[1].str() : "";
}

TEST(MetricDefinitions, EachReadsItsOwnLineAndNoOther) {
  const auto& definitions = algorithm_metric_definitions();
  ASSERT_EQ(definitions.size(), 4u);
  for (const auto& d : definitions) {
    std::string metric = d.name;
    metric[metric.find(':')] = ' ';  // "validation:mIOU" → "validation mIOU"
    const std::string line = quality_metric_line("algo-2", 7, metric, 0.625);
    EXPECT_EQ(matched(d, line), "0.625000") << d.name << " on " << line;
    for (const auto& other : definitions)
      if (other.name != d.name) EXPECT_EQ(matched(other, line), "") << other.name << " must not read " << line;
  }
  // The line of `segmaker evaluate` has no epoch: no training metric reads it.
  EXPECT_EQ(quality_metric_line("algo-1", 0, "validation mIOU", 0.5), "#quality_metric: host=algo-1, validation mIOU <score>=0.500000");
  for (const auto& d : definitions) EXPECT_EQ(matched(d, quality_metric_line("algo-1", 0, "validation mIOU", 0.5)), "");
}

TEST(SdkConfig, NamesTheBucketAndTurnsTelemetryOff) {
  const std::string yaml = sdk_config_yaml("pets-2.data");
  EXPECT_NE(yaml.find("SchemaVersion: '1.0'"), std::string::npos);
  EXPECT_NE(yaml.find("      TelemetryOptOut: true\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("      Session:\n        DefaultS3Bucket: pets-2.data\n"), std::string::npos) << yaml;
  for (const char* bad : {"", "ab", "Pets", "pets/x", "-pets", "pets-", "a b c", "pets\n  Evil: 1"})
    EXPECT_THROW(sdk_config_yaml(bad), UserError) << bad;
  EXPECT_EQ(default_sdk_config_path().filename(), "config.yaml");
  EXPECT_EQ(default_sdk_config_path().parent_path().filename(), "sagemaker");
}

}  // namespace
}  // namespace segmaker::sagemaker
