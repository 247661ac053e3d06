#include "sagemaker/recordio.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "io/error.h"

namespace segmaker::sagemaker {
namespace {

void put_u32_le(std::string& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF),
                         static_cast<char>((v >> 16) & 0xFF), static_cast<char>((v >> 24) & 0xFF)};
  out.append(bytes, 4);
}

std::uint32_t get_u32_le(const std::string& in, std::size_t pos) {
  const auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + i])); };
  return b(0) | (b(1) << 8) | (b(2) << 16) | (b(3) << 24);
}

std::size_t padded(std::size_t n) { return (n + 3) & ~static_cast<std::size_t>(3); }

}  // namespace

void reserve_recordio(std::string& out, std::size_t length) {
  if (length > kRecordIOMaxLength)
    throw DataError("RecordIO: a record of " + std::to_string(length) + " bytes exceeds the " +
                    std::to_string(kRecordIOMaxLength) + "-byte limit of the 29-bit length field");
  out.reserve(out.size() + 8 + padded(length));
  out.append(8, '\0');
}

void finish_recordio(std::string& out, std::size_t payload_at, std::size_t length) {
  std::string header;
  put_u32_le(header, kRecordIOMagic);
  put_u32_le(header, static_cast<std::uint32_t>(length));  // cflag 0: a whole record
  out.replace(payload_at - 8, 8, header);
  out.append(padded(length) - length, '\0');
}

void append_recordio(std::string& out, const std::string& payload) {
  reserve_recordio(out, payload.size());
  const std::size_t at = out.size();
  out += payload;
  finish_recordio(out, at, payload.size());
}

std::string frame_recordio(const std::string& payload) {
  std::string out;
  append_recordio(out, payload);
  return out;
}

RecordIOReader::RecordIOReader(Read read, std::size_t max_payload) : read_(std::move(read)), max_payload_(max_payload) {}

std::size_t RecordIOReader::fill(char* to, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const std::size_t r = read_(to + got, n - got);
    if (r == 0) break;
    got += r;
  }
  offset_ += got;
  return got;
}

bool RecordIOReader::next(std::string& out) {
  std::string partial;
  bool in_split = false;
  for (;;) {
    const std::uint64_t pos = offset_;
    std::string header(8, '\0');
    const std::size_t got = fill(header.data(), 8);
    if (got == 0 && !in_split) return false;
    if (got == 0) throw DataError("RecordIO: stream ends inside a split record");
    if (got < 8)
      throw DataError("RecordIO: truncated header at byte " + std::to_string(pos) + " (" + std::to_string(got) +
                      " bytes left, 8 needed)");
    const std::uint32_t magic = get_u32_le(header, 0);
    if (magic != kRecordIOMagic) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08X", magic);
      throw DataError("RecordIO: bad magic " + std::string(hex) + " at byte " + std::to_string(pos) + " (expected 0xCED7230A)");
    }
    const std::uint32_t lrec = get_u32_le(header, 4);
    const std::uint32_t cflag = lrec >> 29;
    const std::size_t length = lrec & kRecordIOMaxLength;
    if (partial.size() + length > max_payload_)
      throw DataError("RecordIO: the record at byte " + std::to_string(pos) + " is over the " + std::to_string(max_payload_) +
                      "-byte limit for one record");
    // Grown as the bytes arrive: a header that declares more than follows costs no more than what follows.
    std::string payload;
    while (payload.size() < length) {
      const std::size_t had = payload.size();
      payload.resize(had + std::min<std::size_t>(length - had, 1u << 20));
      const std::size_t got_now = fill(payload.data() + had, payload.size() - had);
      if (had + got_now < payload.size()) {
        throw DataError("RecordIO: record at byte " + std::to_string(pos) + " declares " + std::to_string(length) +
                        " bytes but only " + std::to_string(had + got_now) + " follow");
      }
    }
    char pad[3];
    fill(pad, padded(length) - length);  // the stream may end inside the last record's padding
    switch (cflag) {
      case 0:
        if (in_split) throw DataError("RecordIO: whole record inside a split record at byte " + std::to_string(pos));
        out = std::move(payload);
        return true;
      case 1:
        if (in_split) throw DataError("RecordIO: split record restarted at byte " + std::to_string(pos));
        partial = std::move(payload);
        in_split = true;
        break;
      case 2:
      case 3:
        if (!in_split) throw DataError("RecordIO: continuation without a start at byte " + std::to_string(pos));
        // dmlc's writer drops the magic it found inside the payload when it splits; put it back.
        put_u32_le(partial, kRecordIOMagic);
        partial += payload;
        if (cflag == 3) {
          out = std::move(partial);
          return true;
        }
        break;
      default:
        throw DataError("RecordIO: invalid cflag " + std::to_string(cflag) + " at byte " + std::to_string(pos));
    }
  }
}

std::vector<std::string> read_recordio(const std::string& bytes) {
  std::size_t at = 0;
  RecordIOReader reader([&](char* to, std::size_t n) {
    const std::size_t k = std::min(n, bytes.size() - at);
    std::memcpy(to, bytes.data() + at, k);
    at += k;
    return k;
  });
  std::vector<std::string> records;
  std::string payload;
  while (reader.next(payload)) records.push_back(std::move(payload));
  return records;
}

}  // namespace segmaker::sagemaker
