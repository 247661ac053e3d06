#include "data/pet_layout.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "io/error.h"
#include "io/paths.h"

namespace fs = std::filesystem;

namespace segmaker::data {

const std::vector<std::string>& pet_breeds() {
  static const std::vector<std::string> breeds = {
      "Abyssinian", "american_bulldog", "american_pit_bull_terrier", "basset_hound", "beagle", "Bengal",
      "Birman", "Bombay", "boxer", "British_Shorthair", "chihuahua", "Egyptian_Mau", "english_cocker_spaniel",
      "english_setter", "german_shorthaired", "great_pyrenees", "havanese", "japanese_chin", "keeshond",
      "leonberger", "Maine_Coon", "miniature_pinscher", "newfoundland", "Persian", "pomeranian", "pug",
      "Ragdoll", "Russian_Blue", "saint_bernard", "samoyed", "scottish_terrier", "shiba_inu", "Siamese",
      "Sphynx", "staffordshire_bull_terrier", "wheaten_terrier", "yorkshire_terrier"};
  return breeds;
}

std::string pet_species_of(const std::string& breed) {
  return !breed.empty() && std::isupper(static_cast<unsigned char>(breed[0])) ? "cat" : "dog";
}

std::string pet_breed_of_stem(const std::string& stem) {
  auto pos = stem.rfind('_');
  if (pos == std::string::npos || pos + 1 >= stem.size()) return stem;
  const std::string tail = stem.substr(pos + 1);
  if (!std::all_of(tail.begin(), tail.end(), [](unsigned char c) { return std::isdigit(c); })) return stem;
  return stem.substr(0, pos);
}

namespace {

struct ListRow {
  int class_id;
  int species;
};

std::map<std::string, ListRow> read_list(const fs::path& path) {
  std::map<std::string, ListRow> rows;
  std::ifstream in(path);
  if (!in) throw UserError("cannot read " + path.string());
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string stem;
    int class_id = 0, species = 0, breed_id = 0;
    if (!(ss >> stem >> class_id >> species >> breed_id) || class_id < 1 ||
        class_id > static_cast<int>(pet_breeds().size()) || (species != 1 && species != 2))
      throw UserError(path.string() + ":" + std::to_string(number) +
                      ": expected \"<name> <class id 1-37> <species 1|2> <breed id>\", got \"" + line + "\"");
    rows[stem] = {class_id, species};
  }
  return rows;
}

// Two images with one stem (X.jpg and X.png) would be written to the same X.jpg and share one
// trimap: both are rejected, each naming the other.
void reject_duplicate_stems(PetIndex& index) {
  std::map<std::string, std::vector<std::string>> files_of_stem;
  for (const auto& e : index.entries) files_of_stem[e.stem].push_back(e.image.filename().string());
  std::vector<PetEntry> kept;
  for (auto& e : index.entries) {
    const auto& files = files_of_stem[e.stem];
    if (files.size() == 1) {
      kept.push_back(std::move(e));
      continue;
    }
    std::string list;
    for (const auto& f : files) list += (list.empty() ? "" : ", ") + f;
    index.problems.emplace_back(e.image.filename().string(), "duplicate name: " + list + " share the name '" + e.stem +
                                                                 "' (and one trimap); rename or remove all but one");
  }
  index.entries = std::move(kept);
}

}  // namespace

PetIndex index_pet_folder(const fs::path& root) {
  const fs::path images = root / "images";
  const fs::path trimaps = root / "annotations" / "trimaps";
  if (!fs::is_directory(images))
    throw UserError("'" + root.string() + "' is not an Oxford-IIIT Pet folder: " + images.string() +
                    " is missing (expected images/*.jpg and annotations/trimaps/*.png)");
  if (!fs::is_directory(trimaps))
    throw UserError("'" + root.string() + "' has no annotations/trimaps folder with the trimap PNGs");
  PetIndex index;
  std::map<std::string, ListRow> list;
  const fs::path list_path = root / "annotations" / "list.txt";
  if (fs::exists(list_path)) {
    list = read_list(list_path);
    index.used_list = true;
  }
  std::map<std::string, int> id_of_breed;
  for (std::size_t i = 0; i < pet_breeds().size(); ++i) id_of_breed[pet_breeds()[i]] = static_cast<int>(i) + 1;

  for (const auto& file : io::list_files(images)) {
    const std::string ext = io::lower_extension(file);
    if (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".gif") {
      ++index.skipped_non_images;
      continue;
    }
    PetEntry e;
    e.stem = file.stem().string();
    e.image = file;
    e.trimap = trimaps / (e.stem + ".png");
    e.breed = pet_breed_of_stem(e.stem);
    auto listed = list.find(e.stem);
    if (listed != list.end()) {
      e.class_id = listed->second.class_id;
      e.species = listed->second.species == 1 ? "cat" : "dog";
      const std::string& expected = pet_breeds()[static_cast<std::size_t>(e.class_id - 1)];
      if (e.breed != expected) {
        index.problems.emplace_back(file.filename().string(), "list.txt gives class " + std::to_string(e.class_id) +
                                                                  " (" + expected + ") but the name says " + e.breed);
        continue;
      }
    } else {
      auto known = id_of_breed.find(e.breed);
      if (known == id_of_breed.end()) {
        index.problems.emplace_back(file.filename().string(),
                                    "unknown breed '" + e.breed + "' (not one of the 37 Oxford-IIIT Pet breeds)");
        continue;
      }
      e.class_id = known->second;
      e.species = pet_species_of(e.breed);
    }
    index.entries.push_back(std::move(e));
  }
  reject_duplicate_stems(index);
  if (index.entries.empty() && index.problems.empty())
    throw UserError("no images found in " + images.string());
  return index;
}

}  // namespace segmaker::data
