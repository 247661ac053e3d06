// GIF through giflib, record by record up to the first frame only: the header check sees the
// logical screen and the first frame's size before any raster is allocated, and the frames after
// the first are never read (DGifSlurp would allocate every frame at its declared size).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gif_lib.h>

#include "data/decoders.h"
#include "io/error.h"

namespace segmaker::data::detail {
namespace {

struct MemoryReader {
  const std::string* bytes;
  std::size_t offset = 0;
};

int read_from_memory(GifFileType* gif, GifByteType* dst, int n) {
  auto* r = static_cast<MemoryReader*>(gif->UserData);
  std::size_t left = r->bytes->size() - r->offset;
  std::size_t take = std::min<std::size_t>(left, static_cast<std::size_t>(std::max(n, 0)));
  std::memcpy(dst, r->bytes->data() + r->offset, take);
  r->offset += take;
  return static_cast<int>(take);
}

struct GifCloser {
  void operator()(GifFileType* g) const {
    int err = 0;
    DGifCloseFile(g, &err);
  }
};
using GifPtr = std::unique_ptr<GifFileType, GifCloser>;

// giflib's message for an error code; GifErrorString() gives NULL for codes it does not know
// (0 among them), which must never reach std::string (found by fuzz_image_decode).
std::string gif_error(int code) {
  const char* text = GifErrorString(code);
  return text ? text : "unreadable data (giflib error " + std::to_string(code) + ")";
}

[[noreturn]] void fail(const GifFileType* gif, int error = 0) {
  throw DataError("corrupt GIF: " + gif_error(gif ? gif->Error : error));
}

// The file positioned at the first frame's raster (its descriptor in gif->Image), and the
// transparent colour index that frame's graphics control extension names (-1 for none).
struct FirstFrame {
  GifPtr gif;
  int transparent = -1;
};

FirstFrame open_first_frame(const std::string& bytes, MemoryReader& reader) {
  int error = 0;
  FirstFrame f;
  f.gif.reset(DGifOpen(&reader, read_from_memory, &error));
  if (!f.gif) fail(nullptr, error);
  GifFileType* gif = f.gif.get();
  if (gif->SWidth <= 0 || gif->SHeight <= 0) throw DataError("corrupt GIF: empty logical screen");
  for (;;) {
    GifRecordType type;
    if (DGifGetRecordType(gif, &type) != GIF_OK) fail(gif);
    if (type == TERMINATE_RECORD_TYPE) throw DataError("corrupt GIF: no image in the file");
    if (type == IMAGE_DESC_RECORD_TYPE) {
      if (DGifGetImageDesc(gif) != GIF_OK) fail(gif);
      if (gif->Image.Width <= 0 || gif->Image.Height <= 0) throw DataError("corrupt GIF: empty frame");
      return f;
    }
    if (type != EXTENSION_RECORD_TYPE) continue;
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif, &code, &block) != GIF_OK) fail(gif);
    if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4) {
      GraphicsControlBlock gcb;
      if (DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK) f.transparent = gcb.TransparentColor;
    }
    while (block) {
      if (DGifGetExtensionNext(gif, &block) != GIF_OK) fail(gif);
    }
  }
}

}  // namespace

ImageHeader read_gif_header(const std::string& bytes) {
  MemoryReader reader{&bytes};
  const FirstFrame f = open_first_frame(bytes, reader);
  ImageHeader h;
  h.format = ImageFormat::Gif;
  h.width = f.gif->SWidth;
  h.height = f.gif->SHeight;
  const std::int64_t frame = static_cast<std::int64_t>(f.gif->Image.Width) * f.gif->Image.Height;
  h.decode_pixels = std::max(h.pixels(), frame);
  return h;
}

cv::Mat decode_gif_rgb(const std::string& bytes) {
  MemoryReader reader{&bytes};
  FirstFrame f = open_first_frame(bytes, reader);
  GifFileType* gif = f.gif.get();
  const GifImageDesc d = gif->Image;
  const ColorMapObject* map = d.ColorMap ? d.ColorMap : gif->SColorMap;
  if (!map) throw DataError("corrupt GIF: no colour map");

  std::vector<GifPixelType> raster(static_cast<std::size_t>(d.Width) * static_cast<std::size_t>(d.Height));
  const auto row = [&](int y) { return raster.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(d.Width); };
  if (d.Interlace) {
    static const int offsets[] = {0, 4, 2, 1}, jumps[] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass)
      for (int y = offsets[pass]; y < d.Height; y += jumps[pass])
        if (DGifGetLine(gif, row(y), d.Width) != GIF_OK) fail(gif);
  } else {
    for (int y = 0; y < d.Height; ++y)
      if (DGifGetLine(gif, row(y), d.Width) != GIF_OK) fail(gif);
  }

  const int width = gif->SWidth, height = gif->SHeight;
  cv::Mat out(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int y = 0; y < d.Height; ++y) {
    const int oy = d.Top + y;
    if (oy < 0 || oy >= height) continue;
    auto* dst = out.ptr<unsigned char>(oy);
    const GifPixelType* src = row(y);
    for (int x = 0; x < d.Width; ++x) {
      const int ox = d.Left + x;
      if (ox < 0 || ox >= width) continue;
      const int index = src[x];
      if (index == f.transparent || index >= map->ColorCount) continue;
      const GifColorType& c = map->Colors[index];
      dst[3 * ox + 0] = c.Red;
      dst[3 * ox + 1] = c.Green;
      dst[3 * ox + 2] = c.Blue;
    }
  }
  return out;
}

}  // namespace segmaker::data::detail
