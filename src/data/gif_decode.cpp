#include <cstring>
#include <memory>
#include <string>

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
  std::size_t take = std::min<std::size_t>(left, static_cast<std::size_t>(n));
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

}  // namespace

cv::Mat decode_gif_rgb(const std::string& bytes) {
  MemoryReader reader{&bytes};
  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&reader, read_from_memory, &error));
  if (!gif) throw DataError(std::string("corrupt GIF: ") + GifErrorString(error));
  if (DGifSlurp(gif.get()) != GIF_OK || gif->ImageCount < 1)
    throw DataError(std::string("corrupt GIF: ") + GifErrorString(gif->Error));
  const SavedImage& frame = gif->SavedImages[0];
  const ColorMapObject* map = frame.ImageDesc.ColorMap ? frame.ImageDesc.ColorMap : gif->SColorMap;
  if (!map) throw DataError("corrupt GIF: no colour map");
  int transparent = -1;
  GraphicsControlBlock gcb;
  if (DGifSavedExtensionToGCB(gif.get(), 0, &gcb) == GIF_OK) transparent = gcb.TransparentColor;

  const int width = gif->SWidth, height = gif->SHeight;
  if (width <= 0 || height <= 0) throw DataError("corrupt GIF: empty logical screen");
  cv::Mat out(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const GifImageDesc& d = frame.ImageDesc;
  for (int y = 0; y < d.Height; ++y) {
    const int oy = d.Top + y;
    if (oy < 0 || oy >= height) continue;
    auto* row = out.ptr<unsigned char>(oy);
    for (int x = 0; x < d.Width; ++x) {
      const int ox = d.Left + x;
      if (ox < 0 || ox >= width) continue;
      const int index = frame.RasterBits[y * d.Width + x];
      if (index == transparent || index >= map->ColorCount) continue;
      const GifColorType& c = map->Colors[index];
      row[3 * ox + 0] = c.Red;
      row[3 * ox + 1] = c.Green;
      row[3 * ox + 2] = c.Blue;
    }
  }
  return out;
}

}  // namespace segmaker::data::detail
