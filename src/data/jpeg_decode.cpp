#include <csetjmp>
#include <cstdio>
#include <string>

#include <jpeglib.h>
#include <jerror.h>

#include "data/decoders.h"
#include "io/error.h"

namespace segmaker::data::detail {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
  bool truncated = false;
};

void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level >= 0) return;  // trace messages
  // Warnings: a premature end of the stream means the picture is incomplete.
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
  cinfo->err->num_warnings++;
}

}  // namespace

cv::Mat decode_jpeg_rgb(const std::string& bytes) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.emit_message = on_message;
  cv::Mat out;
  cv::Mat cmyk;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw DataError(std::string("corrupt JPEG: ") + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
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
  }
  const bool adobe_inverted = cinfo.saw_Adobe_marker;
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (err.truncated) throw DataError("truncated JPEG: the stream ends before the image is complete");
  if (is_cmyk) {
    out.create(h, w, CV_8UC3);
    for (int y = 0; y < h; ++y) {
      const unsigned char* s = cmyk.ptr<unsigned char>(y);
      unsigned char* d = out.ptr<unsigned char>(y);
      for (int x = 0; x < w; ++x, s += 4, d += 3) {
        int c = s[0], m = s[1], ye = s[2], k = s[3];
        if (!adobe_inverted) c = 255 - c, m = 255 - m, ye = 255 - ye, k = 255 - k;
        d[0] = static_cast<unsigned char>(c * k / 255);
        d[1] = static_cast<unsigned char>(m * k / 255);
        d[2] = static_cast<unsigned char>(ye * k / 255);
      }
    }
  }
  return out;
}

}  // namespace segmaker::data::detail
