#include <gtest/gtest.h>

#include <string>

#include "io/error.h"
#include "sagemaker/recordio.h"

namespace segmaker::sagemaker {
namespace {

std::string u32le(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

TEST(RecordIO, FramesWithMagicLengthAndPadding) {
  const std::string framed = frame_recordio("abcde");
  // magic, (cflag 0 << 29) | 5, payload, 3 zero bytes
  EXPECT_EQ(framed, u32le(0xCED7230A) + u32le(5) + "abcde" + std::string(3, '\0'));
  EXPECT_EQ(framed.size() % 4, 0u);
  EXPECT_EQ(static_cast<unsigned char>(framed[0]), 0x0A);  // little-endian magic
  EXPECT_EQ(static_cast<unsigned char>(framed[3]), 0xCE);
}

TEST(RecordIO, AlignedPayloadHasNoPadding) {
  EXPECT_EQ(frame_recordio("abcd").size(), 12u);
  EXPECT_EQ(frame_recordio("").size(), 8u);
}

TEST(RecordIO, RoundTripsSeveralRecords) {
  std::string stream;
  const std::vector<std::string> payloads{"x", "", std::string(1000, '\x7f'), std::string("a\0b", 3)};
  for (const auto& p : payloads) append_recordio(stream, p);
  EXPECT_EQ(read_recordio(stream), payloads);
}

TEST(RecordIO, JoinsSplitRecords) {
  // dmlc's writer splits a payload at an embedded magic: "AB<magic>CD" becomes parts "AB" (cflag 1), "CD" (cflag 3).
  const std::string stream = u32le(0xCED7230A) + u32le((1u << 29) | 2) + "AB" + std::string(2, '\0') +
                             u32le(0xCED7230A) + u32le((3u << 29) | 2) + "CD" + std::string(2, '\0');
  const auto records = read_recordio(stream);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], "AB" + u32le(0xCED7230A) + "CD");
}

TEST(RecordIO, RejectsBadMagicAndTruncation) {
  const std::string good = frame_recordio("hello");
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_THROW(read_recordio(bad_magic), DataError);
  EXPECT_THROW(read_recordio(good.substr(0, 10)), DataError);  // payload cut short
  EXPECT_THROW(read_recordio(good.substr(0, 5)), DataError);   // header cut short
  const std::string orphan = u32le(0xCED7230A) + u32le((3u << 29) | 0);
  EXPECT_THROW(read_recordio(orphan), DataError);
}

}  // namespace
}  // namespace segmaker::sagemaker
