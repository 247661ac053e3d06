// Batch transform's input and answer names (see transform_output.h).
#include "sagemaker/transform_output.h"

#include <map>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::sagemaker {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> ext{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"};
  return ext;
}

}  // namespace

std::vector<fs::path> batch_transform_inputs(const fs::path& input) {
  if (!fs::exists(input)) throw UserError("input not found: " + input.string());
  if (fs::is_regular_file(input)) return {input};
  auto files = io::list_files(input, image_extensions());
  if (files.empty())
    throw UserError("no images in '" + input.string() + "' (looked for .jpg .jpeg .png .gif .bmp .webp .tif .tiff)");
  return files;
}

std::vector<std::string> batch_transform_answer_names(const std::vector<fs::path>& inputs, const std::string& extension) {
  // ".out" answers append to the whole file name (SageMaker's rule), so they never collide.
  // ".png" answers use the stem (cat_1.jpg → cat_1.png, like an annotation) unless two inputs share it.
  std::map<std::string, int> stems;
  for (const auto& p : inputs) ++stems[p.stem().string()];
  std::vector<std::string> names;
  for (const auto& p : inputs) {
    const bool by_stem = extension == ".png" && stems[p.stem().string()] == 1;
    names.push_back((by_stem ? p.stem().string() : p.filename().string()) + extension);
  }
  return names;
}

}  // namespace segmaker::sagemaker
