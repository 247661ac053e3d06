#include "data/preprocessing.h"

#include <nlohmann/json.hpp>

#include "io/error.h"

namespace segmaker::data {

Preprocessing Preprocessing::imagenet() { return Preprocessing{}; }

Preprocessing Preprocessing::caffe() {
  Preprocessing p;
  p.channel_order = "BGR";
  p.scale = 1.0f;
  p.mean = {103.939f, 116.779f, 123.68f};
  p.std = {1.0f, 1.0f, 1.0f};
  return p;
}

bool Preprocessing::operator==(const Preprocessing& o) const {
  return channel_order == o.channel_order && scale == o.scale && mean == o.mean && std == o.std;
}

nlohmann::json to_json(const Preprocessing& p) {
  return {{"channel_order", p.channel_order}, {"scale", p.scale}, {"mean", p.mean}, {"std", p.std}};
}

Preprocessing preprocessing_from_json(const nlohmann::json& j) {
  try {
    Preprocessing p;
    p.channel_order = j.at("channel_order").get<std::string>();
    p.scale = j.at("scale").get<float>();
    p.mean = j.at("mean").get<std::array<float, 3>>();
    p.std = j.at("std").get<std::array<float, 3>>();
    if (p.channel_order != "RGB" && p.channel_order != "BGR")
      throw UserError("preprocessing.channel_order must be \"RGB\" or \"BGR\", got \"" + p.channel_order + "\"");
    for (float s : p.std)
      if (!(s > 0)) throw UserError("preprocessing.std values must be > 0");
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw UserError(std::string("malformed preprocessing object: ") + e.what());
  }
}

}  // namespace segmaker::data
