#pragma once
// The Oxford-IIIT Pet layout: images/<Breed>_<n>.jpg, annotations/trimaps/<Breed>_<n>.png and
// optional annotations/list.txt ("<stem> <class id> <species> <breed id>"). Torch-free.
#include <filesystem>
#include <string>
#include <vector>

namespace segmaker::data {


// The 37 breeds in the release's class-id order (case-insensitive alphabetical; id = index + 1).
const std::vector<std::string>& pet_breeds();
// "cat" when the breed name starts upper-case (the release's convention), else "dog".
std::string pet_species_of(const std::string& breed);
// "american_pit_bull_terrier_12" → "american_pit_bull_terrier".
std::string pet_breed_of_stem(const std::string& stem);

struct PetEntry {
  std::string stem;
  std::string breed;
  int class_id = 0;     // 1..37
  std::string species;  // "cat" | "dog"
  std::filesystem::path image;
  std::filesystem::path trimap;      // may not exist
};

struct PetIndex {
  std::vector<PetEntry> entries;
  // Files that cannot even be attributed to a breed: (file, reason).
  std::vector<std::pair<std::string, std::string>> problems;
  std::size_t skipped_non_images = 0;  // e.g. the .mat files of the release
  bool used_list = false;
};

// Indexes an Oxford-Pet folder. Throws UserError when `root` is not such a folder.
PetIndex index_pet_folder(const std::filesystem::path& root);

}  // namespace segmaker::data
