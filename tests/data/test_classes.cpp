// classes.json, the one reader: the shapes it accepts (issue 13, defect 2: a plain array of names
// made `train` die), the default names, and errors that name the file and show the accepted shapes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data/classes.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"

namespace segmaker::data {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& dir, const std::string& text) { io::write_file_atomic(dir / "classes.json", text); }

TEST(Classes, PlainArrayObjectFormAndNoFile) {
  test::TempDir dir;
  write(dir.path(), R"(["background", "aeroplane", "bicycle"])");
  EXPECT_EQ(classes_of_data(dir.path(), 3).names, (std::vector<std::string>{"background", "aeroplane", "bicycle"}));
  write(dir.path(), R"({"label_mode": "binary", "num_classes": 2, "ignore_label": 255, "classes": {"1": "pet", "0": "background"}})");
  const ClassList object = classes_of_data(dir.path(), 2);
  EXPECT_EQ(object.names, (std::vector<std::string>{"background", "pet"}));
  EXPECT_EQ(object.label_mode, "binary");
  fs::remove(dir / "classes.json");
  EXPECT_EQ(classes_of_data(dir.path(), 3).names, (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  EXPECT_TRUE(classes_of_data(dir.path(), 0).names.empty());
}

TEST(Classes, WrittenFormReadsBack) {
  test::TempDir dir;
  write_classes(dir / "classes.json", ClassList{{"background", "cat", "dog"}, "species", 255});
  const ClassList back = read_classes(dir / "classes.json");
  EXPECT_EQ(back.names, (std::vector<std::string>{"background", "cat", "dog"}));
  EXPECT_EQ(back.label_mode, "species");
  EXPECT_EQ(nlohmann::json::parse(io::read_file(dir / "classes.json"))["num_classes"], 3);
}

TEST(Classes, OneFallbackNameStyle) {
  EXPECT_EQ(default_class_name(7), "class_7");
  EXPECT_EQ(with_default_names({"background"}, 3), (std::vector<std::string>{"background", "class_1", "class_2"}));
  EXPECT_EQ(with_default_names({"a", "b"}, 1), (std::vector<std::string>{"a", "b"}));
}

TEST(Classes, OtherShapesAreRefusedNamingTheFileAndTheAcceptedShapes) {
  test::TempDir dir;
  for (const char* bad : {R"({"names": ["a", "b"]})", "42", R"([1, 2])", "[]", R"({"classes": {"0": "a", "2": "b"}})",
                          R"({"classes": {"0": "a", "1": "b"}, "num_classes": 3})", "{not json"}) {
    write(dir.path(), bad);
    const std::string message = test::message_of<UserError>([&] { classes_of_data(dir.path(), 0); });
    EXPECT_NE(message.find((dir / "classes.json").string()), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find("plain JSON array of names"), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find("\"classes\": {\"0\": \"background\""), std::string::npos) << bad << ": " << message;
  }
}

TEST(Classes, ACountOtherThanNumClassesNamesBoth) {
  test::TempDir dir;
  write(dir.path(), R"(["background", "pet"])");
  const std::string message = test::message_of<UserError>([&] { classes_of_data(dir.path(), 3); });
  EXPECT_NE(message.find("num_classes = 3"), std::string::npos) << message;
  EXPECT_NE(message.find("names 2 classes"), std::string::npos) << message;
}

}  // namespace
}  // namespace segmaker::data
