#pragma once
// Batch transform's naming, as SageMaker's batch transform names things: which files of an input
// prefix are transformed (images, by extension) and what each answer is called ("<file name>.out"
// for RecordIO-protobuf and JSON answers, "<stem>.png" for PNG masks). `segmaker predict` writes
// these names and `segmaker api` checks and uploads them. Torch-free.
#include <filesystem>
#include <string>
#include <vector>

namespace segmaker::sagemaker {

// The images a batch transform over `input` processes (a folder's image files by extension, sorted;
// or the one file). Throws UserError when `input` is missing or holds no image.
std::vector<std::filesystem::path> batch_transform_inputs(const std::filesystem::path& input);

// Answer file names for `inputs` in the same order (unique even when two images share a stem).
std::vector<std::string> batch_transform_answer_names(const std::vector<std::filesystem::path>& inputs,
                                                      const std::string& extension);

}  // namespace segmaker::sagemaker
