#pragma once
// RecordIO framing as SageMaker (MXNet's dmlc RecordIO) uses it for application/x-recordio-protobuf:
// per record a uint32 little-endian magic 0xCED7230A, a uint32 little-endian (cflag << 29) | length,
// the payload, then zero padding to a multiple of 4 bytes. segmaker writes whole records (cflag 0)
// and reads whole or split records (cflag 1 = first, 2 = middle, 3 = last part).
#include <cstdint>
#include <string>
#include <vector>

namespace segmaker::serve {

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

// Splits a RecordIO stream into its record payloads (split records are joined).
// Throws DataError naming the byte offset on a bad magic, a truncated record or a bad cflag sequence.
std::vector<std::string> read_recordio(const std::string& bytes);

}  // namespace segmaker::serve
