#include "tuner/tuning_key.hpp"

#include "runtime/hash.hpp"
#include "runtime/includes.hpp"
#include "tuner/config_json.hpp"

namespace kpg {

nlohmann::json keyed_config(const OpConfig& config, const VariantSpec& variant) {
  nlohmann::json keyed = to_json(config);
  for (const char* field : {"file", "description", "source", "shapes", "cache_key", "dims", "flags", "reference",
                            "tolerance", "timing", "flops", "variants"})
    keyed.erase(field);
  keyed["variant"] = to_json(variant);
  for (auto& space : keyed["variant"]["spaces"]) {
    for (const char* field : {"params", "constraints", "constraint_notes", "defaults"}) space.erase(field);
    space["source"] = std::filesystem::path(space["source"].get<std::string>()).filename().string();
  }
  return keyed;
}

std::string source_hash(const OpConfig& config, const std::vector<std::filesystem::path>& include_dirs,
                        const VariantSpec* variant) {
  Sha256 h;
  h.update_field("kpg-source-hash-2");
  for (const auto& source : variant ? variant->sources() : config.sources()) {
    h.update_field(source.filename().string());
    h.update_field(digest_source_file(source, include_dirs).sha256);
  }
  if (variant) h.update_field(keyed_config(config, *variant).dump());
  return h.hex_digest();
}

}  // namespace kpg
