// JPEG through libjpeg(-turbo), strictly: any warning about corrupt data rejects the image (libjpeg
// itself would fill what it could not decode with grey and carry on), and progressive streams with
// an absurd number of scans are refused before they burn CPU.
#include <csetjmp>
#include <cstdio>
#include <string>

#include <jpeglib.h>
#include <jerror.h>

#include "data/decoders.h"
#include "io/error.h"

namespace segmaker::data::detail {
namespace {

// libjpeg-turbo's own recommendation for untrusted input (TJFLAG_LIMITSCANS).
constexpr int kMaxScans = 500;

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
  char warning[JMSG_LENGTH_MAX] = {0};  // the first warning about corrupt data
};

void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings that say nothing about the pixels.
bool harmless_warning(int code) { return code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC; }

void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  cinfo->err->num_warnings++;
  if (!harmless_warning(cinfo->err->msg_code) && err->warning[0] == '\0')
    (*cinfo->err->format_message)(cinfo, err->warning);
}

void on_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof err->message, "more than %d progressive scans", kMaxScans);
    std::longjmp(err->jump, 1);
  }
}

// A decompressor over `bytes` with our error handling; the caller runs setjmp on err.jump first.
struct Decompressor {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  jpeg_progress_mgr progress{};
  bool created = false;
  Decompressor() {
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = on_message;
  }
  void open(const std::string& bytes) {
    jpeg_create_decompress(&cinfo);
    created = true;
    progress.progress_monitor = on_progress;
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  }
  ~Decompressor() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

void check_warnings(const ErrorManager& err) {
  if (err.warning[0] != '\0')
    throw DataError(std::string("corrupt JPEG: ") + err.warning +
                    " (the stream is truncated or damaged; libjpeg would fill the missing part with grey)");
}

}  // namespace

ImageHeader read_jpeg_header(const std::string& bytes) {
  Decompressor d;
  if (setjmp(d.err.jump)) throw DataError(std::string("corrupt JPEG header: ") + d.err.message);
  d.open(bytes);
  jpeg_read_header(&d.cinfo, TRUE);
  check_warnings(d.err);
  ImageHeader h;
  h.format = ImageFormat::Jpeg;
  h.width = static_cast<int>(d.cinfo.image_width);
  h.height = static_cast<int>(d.cinfo.image_height);
  h.decode_pixels = h.pixels();
  return h;
}

cv::Mat decode_jpeg_rgb(const std::string& bytes) {
  Decompressor d;
  auto& cinfo = d.cinfo;
  cv::Mat out;
  cv::Mat cmyk;
  if (setjmp(d.err.jump)) throw DataError(std::string("corrupt JPEG: ") + d.err.message);
  d.open(bytes);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 14, 0xFFFF);  // Adobe marker: tells inverted CMYK
  jpeg_read_header(&cinfo, TRUE);
  const bool is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = is_cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int w = static_cast<int>(cinfo.output_width);
  const int h = static_cast<int>(cinfo.output_height);
  cv::Mat& target = is_cmyk ? cmyk : out;
  target.create(h, w, is_cmyk ? CV_8UC4 : CV_8UC3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = target.ptr<unsigned char>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);
    if (d.err.warning[0] != '\0') break;  // corrupt: no need to decode the rest
  }
  check_warnings(d.err);
  const bool adobe_inverted = cinfo.saw_Adobe_marker;
  jpeg_finish_decompress(&cinfo);
  check_warnings(d.err);
  if (is_cmyk) {
    out.create(h, w, CV_8UC3);
    for (int y = 0; y < h; ++y) {
      const unsigned char* s = cmyk.ptr<unsigned char>(y);
      unsigned char* o = out.ptr<unsigned char>(y);
      for (int x = 0; x < w; ++x, s += 4, o += 3) {
        int c = s[0], m = s[1], ye = s[2], k = s[3];
        if (!adobe_inverted) c = 255 - c, m = 255 - m, ye = 255 - ye, k = 255 - k;
        o[0] = static_cast<unsigned char>(c * k / 255);
        o[1] = static_cast<unsigned char>(m * k / 255);
        o[2] = static_cast<unsigned char>(ye * k / 255);
      }
    }
  }
  return out;
}

}  // namespace segmaker::data::detail
