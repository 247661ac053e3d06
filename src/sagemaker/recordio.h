#pragma once
// RecordIO framing as SageMaker (MXNet's dmlc RecordIO) uses it for application/x-recordio-protobuf:
// per record a uint32 little-endian magic 0xCED7230A, a uint32 little-endian (cflag << 29) | length,
// the payload, then zero padding to a multiple of 4 bytes. segmaker writes whole records (cflag 0)
// and reads whole or split records (cflag 1 = first, 2 = middle, 3 = last part).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace segmaker::sagemaker {

constexpr std::uint32_t kRecordIOMagic = 0xCED7230A;
// The length field has 29 bits.
constexpr std::uint32_t kRecordIOMaxLength = (1u << 29) - 1;

// Appends one framed record holding `payload` to `out`. Throws DataError when the payload is
// longer than the 29-bit length field allows.
void append_recordio(std::string& out, const std::string& payload);

// One framed record.
std::string frame_recordio(const std::string& payload);

// Framing in place, for a payload serialised straight into `out`: reserve_recordio() makes room
// for the header, the payload and the padding of a `length`-byte record and appends the header
// slot; the caller appends the payload at `payload_at` (= out.size() after reserve), then
// finish_recordio() writes the header and the padding. Throws DataError over the 29-bit limit.
void reserve_recordio(std::string& out, std::size_t length);
void finish_recordio(std::string& out, std::size_t payload_at, std::size_t length);

// Reads a RecordIO stream one record at a time (a SageMaker pipe): `read` fills up to n bytes and
// returns how many, 0 at the end of the stream. A record longer than `max_payload` is an error before
// anything is allocated for it.
class RecordIOReader {
 public:
  using Read = std::function<std::size_t(char* to, std::size_t n)>;
  explicit RecordIOReader(Read read, std::size_t max_payload = kRecordIOMaxLength);
  // The next payload (split records joined); false at the end of the stream between records. Throws
  // DataError naming the byte offset on a bad magic, a truncated record or a bad cflag sequence.
  bool next(std::string& payload);
  std::uint64_t offset() const { return offset_; }

 private:
  std::size_t fill(char* to, std::size_t n);

  Read read_;
  std::size_t max_payload_;
  std::uint64_t offset_ = 0;
};

// Splits a RecordIO stream into its record payloads (split records are joined).
// Throws DataError naming the byte offset on a bad magic, a truncated record or a bad cflag sequence.
std::vector<std::string> read_recordio(const std::string& bytes);

}  // namespace segmaker::sagemaker
