#include "serve/batch_transform.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "data/image_header.h"
#include "data/image_io.h"
#include "data/overlay.h"
#include "inference/torch_threads.h"
#include "io/error.h"
#include "io/paths.h"
#include "io/progress.h"
#include "io/threads.h"
#include "serve/codecs.h"
#include "sagemaker/content_type.h"
#include "sagemaker/transform_output.h"

namespace segmaker::serve {

namespace fs = std::filesystem;

BatchTransformSummary run_batch_transform(const BatchTransformOptions& options) {
  const sagemaker::AnswerType answer = sagemaker::answer_type_from_name(options.accept);  // flag errors before loading the model
  (void)answer;
  const int threads = inference::configure_torch_threads(options.threads);
  spdlog::info("loading {} ({} LibTorch threads)", options.model.string(), threads);
  const auto predictor = inference::Predictor::load(options.model, options.predictor);
  return run_batch_transform(options, *predictor);
}

BatchTransformSummary run_batch_transform(const BatchTransformOptions& options, const inference::Predictor& predictor) {
  const auto start = std::chrono::steady_clock::now();
  const sagemaker::AnswerType answer = sagemaker::answer_type_from_name(options.accept);
  const auto inputs = sagemaker::batch_transform_inputs(options.input);
  const auto names = sagemaker::batch_transform_answer_names(inputs, sagemaker::answer_file_extension(answer.format));
  if (options.output.empty()) throw UserError("no output folder: give --output DIR");
  fs::create_directories(options.output);
  const fs::path overlay_dir = options.output / "overlays";
  if (options.overlay) fs::create_directories(overlay_dir);
  const auto overlay_names = sagemaker::batch_transform_answer_names(inputs, ".png");
  const auto overlay_path = [&](std::size_t i) { return overlay_dir / overlay_names[i]; };

  BatchTransformSummary summary;
  summary.total = inputs.size();
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const bool done = fs::exists(options.output / names[i]) && (!options.overlay || fs::exists(overlay_path(i)));
    if (done)
      ++summary.skipped;
    else
      todo.push_back(i);
  }
  if (summary.skipped > 0)
    spdlog::info("{} of {} images already have answers in {} (skipped)", summary.skipped, summary.total,
                 options.output.string());

  const int workers = std::max(1, std::min<int>(options.workers > 0 ? options.workers : std::min(io::available_cores(), 4),
                                                static_cast<int>(std::max<std::size_t>(todo.size(), 1))));
  io::Progress progress("predict", todo.size(), options.progress);
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::exception_ptr fatal;
  auto work = [&] {
    inference::adopt_torch_threads();
    while (true) {
      const std::size_t k = next++;
      if (k >= todo.size()) return;
      const std::size_t i = todo[k];
      try {
        const cv::Mat image = data::read_image_rgb(inputs[i].string(), data::ImageLimits{options.max_pixels, "--max-pixels"});
        const auto prediction = predictor.predict(image, needs_probabilities(answer.format));
        io::write_file_atomic(options.output / names[i], encode_answer(answer.format, prediction, predictor.classes()));
        if (options.overlay)
          data::write_png(overlay_path(i).string(),
                          data::overlay_with_legend(image, prediction.mask, predictor.classes(), 0.5,
                                                    inputs[i].filename().string()));
        std::lock_guard<std::mutex> lock(mutex);
        ++summary.written;
      } catch (const DataError& e) {
        // A bad image: reported and skipped.
        spdlog::warn("{}: skipped: {}", inputs[i].string(), e.what());
        std::lock_guard<std::mutex> lock(mutex);
        summary.failed.emplace_back(inputs[i], e.what());
      } catch (...) {
        // Anything else (disk full, out of memory) stops the run.
        std::lock_guard<std::mutex> lock(mutex);
        if (!fatal) fatal = std::current_exception();
        next = todo.size();
      }
      progress.advance();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  progress.finish();
  if (fatal) std::rethrow_exception(fatal);

  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(summary.failed.begin(), summary.failed.end());
  spdlog::info("predict: {} images: {} answered, {} already done, {} failed in {:.1f} s ({:.2f} images/s) → {}",
               summary.total, summary.written, summary.skipped, summary.failed.size(), summary.seconds,
               summary.seconds > 0 ? summary.written / summary.seconds : 0.0, options.output.string());
  for (const auto& [path, reason] : summary.failed) spdlog::warn("  failed: {}: {}", path.string(), reason);
  return summary;
}

}  // namespace segmaker::serve
