// The demo page in a real browser: Debian's chromium (headless) driven by Node's playwright-core
// uploads an image, waits for the overlay, checks it and takes a screenshot. Skipped, with the
// reason, when chromium, node or playwright-core is missing (scripts/install-deps installs them).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "data/image_io.h"
#include "io/paths.h"
#include "serve/server_fixture.h"
#include "support/process.h"

namespace segmaker::serve {
namespace {

namespace fs = std::filesystem;

using test::read_text;

TEST(DemoPage, UploadInChromiumShowsTheOverlay) {
  const char* chromium_env = std::getenv("CHROMIUM");
  const std::string chromium = chromium_env && *chromium_env ? chromium_env : "/usr/bin/chromium";
  if (!fs::exists(chromium)) GTEST_SKIP() << "Chromium not found at " << chromium << ": apt-get install chromium (scripts/install-deps)";
  if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node not found: apt-get install nodejs npm";
  const fs::path node_modules = io::cache_dir() / "node" / "node_modules";
  const std::string node_env = "NODE_PATH='" + node_modules.string() + "' CHROMIUM='" + chromium + "' ";
  if (std::system((node_env + "node -e \"require.resolve('playwright-core')\" > /dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "playwright-core not found in " << node_modules << ": run scripts/install-deps";

  test::TempDir tmp;
  // A real photo when the shared sample is there, otherwise a synthetic one.
  fs::path image = tmp / "upload.jpg";
  cv::Size size(160, 120);
  const fs::path pet = test::pet_dir() / "images";
  if (fs::is_directory(pet)) {
    const auto files = io::list_files(pet, {".jpg"});
    if (!files.empty()) {
      image = files.front();
      size = data::read_image_rgb(image.string()).size();
    }
  }
  if (!fs::exists(image)) {
    cv::Mat m(size, CV_8UC3);
    cv::randu(m, 0, 255);
    std::ofstream(image, std::ios::binary) << data::encode_jpeg(m);
  }

  ServerOptions o;
  test::RunningServer s(o, std::make_shared<const inference::Predictor>(test::tiny_artifact(3, 64)));
  const fs::path shot = tmp / "demo.png";
  const std::string cmd = node_env + "node '" + std::string(SEGMAKER_SOURCE_DIR) + "/tests/serve/demo_browser.js' " +
                          "'http://127.0.0.1:" + std::to_string(s.server->port()) + "/' '" + image.string() + "' '" +
                          shot.string() + "' > '" + (tmp / "out.txt").string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  const std::string output = read_text(tmp / "out.txt");
  ASSERT_EQ(rc, 0) << output;
  const auto j = nlohmann::json::parse(output.substr(0, output.find('\n')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << output;
  EXPECT_EQ(j["state"], "done") << output;
  EXPECT_EQ(j["width"], size.width);
  EXPECT_EQ(j["height"], size.height);
  EXPECT_EQ(j["overlayPixels"], size.area()) << "every pixel of the mask is painted";
  EXPECT_GE(j["legendRows"].get<int>(), 1);
  EXPECT_TRUE(j["pageErrors"].empty()) << output;
  // The screenshot is a real picture; kept next to the test program for a human to look at.
  ASSERT_TRUE(fs::exists(shot));
  const cv::Mat picture = data::read_image_rgb(shot.string());
  EXPECT_GE(picture.cols, size.width);
  std::error_code ec;
  fs::copy_file(shot, fs::current_path() / "demo_page_screenshot.png", fs::copy_options::overwrite_existing, ec);
}

}  // namespace
}  // namespace segmaker::serve
