// Data loader throughput: images/s of training batches (crop 240, GluonCV augmentation,
// ImageNet normalisation) over the prepared Oxford-Pet sample.
//   build/bench/bench_loader [--benchmark_min_time=…]
// The sample is prepared once into $TMPDIR/segmaker-bench-data.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "data/loader.h"
#include "data/prepare.h"
#include "inference/torch_threads.h"

namespace fs = std::filesystem;
using namespace segmaker;

namespace {

fs::path prepared() {
  static const fs::path dir = [] {
    fs::path out = fs::temp_directory_path() / "segmaker-bench-data";
    if (!fs::exists(out / "classes.json")) {
      data::PrepareOptions o;
      o.input = fs::path(SEGMAKER_DATA_DIR) / "oxford-pet";
      o.output = out;
      o.force = true;
      o.progress = false;
      data::prepare_dataset(o);
    }
    return out;
  }();
  return dir;
}

void BM_TrainLoader(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  inference::configure_torch_threads(1);
  auto ds = std::make_shared<data::SegmentationDataset>(prepared(), "train", 3);
  data::LoaderOptions o;
  o.batch_size = 16;
  o.workers = workers;
  o.augment.base_size = 520;
  o.augment.crop_size = 240;
  data::DataLoader loader(ds, data::Preprocessing::imagenet(), o);
  std::size_t images = 0;
  std::uint64_t epoch = 0;
  for (auto _ : state) {
    loader.start_epoch(epoch++);
    data::Batch b;
    while (loader.next(b)) {
      images += static_cast<std::size_t>(b.images.size(0));
      benchmark::DoNotOptimize(b.images.data_ptr<float>());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(images));
  state.counters["images_per_epoch"] = static_cast<double>(loader.examples_per_epoch());
}

void BM_ValidationLoader(benchmark::State& state) {
  inference::configure_torch_threads(1);
  auto ds = std::make_shared<data::SegmentationDataset>(prepared(), "validation", 3);
  data::LoaderOptions o;
  o.mode = data::LoaderMode::Validation;
  o.batch_size = 16;
  o.shuffle = false;
  o.drop_last = false;
  o.workers = static_cast<int>(state.range(0));
  o.crop_size = 240;
  data::DataLoader loader(ds, data::Preprocessing::imagenet(), o);
  std::size_t images = 0;
  for (auto _ : state) {
    loader.start_epoch(0);
    data::Batch b;
    while (loader.next(b)) images += static_cast<std::size_t>(b.images.size(0));
  }
  state.SetItemsProcessed(static_cast<int64_t>(images));
}

}  // namespace

BENCHMARK(BM_TrainLoader)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();
BENCHMARK(BM_ValidationLoader)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();
BENCHMARK_MAIN();
