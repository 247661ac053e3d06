// SageMaker's ManifestFile channel source: the prefix and keys read back; every malformed manifest is a
// UserError that says what is wrong.
#include <gtest/gtest.h>

#include "io/error.h"
#include "sagemaker/manifest.h"

namespace segmaker::sagemaker {
namespace {

TEST(ManifestFile, PrefixAndKeysAsSageMakerJoinsThem) {
  const auto m = parse_manifest_file(R"([{"prefix": "s3://pets/data/train/"}, "a.jpg", "sub/b.jpg"])");
  EXPECT_EQ(m.prefix, "s3://pets/data/train/");
  EXPECT_EQ(m.keys, (std::vector<std::string>{"a.jpg", "sub/b.jpg"}));
  EXPECT_EQ(m.uri(1), "s3://pets/data/train/sub/b.jpg");
  EXPECT_EQ(parse_manifest_file(R"([{"prefix": "s3://pets/img-"}, "1.jpg"])").uri(0), "s3://pets/img-1.jpg") << "no '/' added";
}

TEST(ManifestFile, MalformedManifestsSayWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"{}", "not a JSON array"},
      {"[", "not a JSON array"},
      {R"(["a.jpg"])", "first element must be {\"prefix\""},
      {R"([{"prefix": 3}, "a.jpg"])", "first element must be {\"prefix\""},
      {R"([{"prefix": "https://x/"}, "a.jpg"])", "is not an s3://"},
      {R"([{"prefix": "s3://b/"}])", "lists no object"},
      {R"([{"prefix": "s3://b/"}, 7])", "element 2 is not a key"},
      {R"([{"prefix": "s3://b/"}, ""])", "is empty"},
      {R"([{"prefix": "s3://b/"}, "/etc/passwd"])", "is absolute"},
      {R"([{"prefix": "s3://b/"}, "a/../../x"])", "'..' path segment"},
      {R"([{"prefix": "s3://b/"}, "a//x"])", "empty path segment"},
      {R"([{"prefix": "s3://b/"}, "a.jpg", "a.jpg"])", "element 3 ('a.jpg') is listed twice"},
  };
  for (const auto& [text, expected] : cases) {
    try {
      parse_manifest_file(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << text << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace segmaker::sagemaker
