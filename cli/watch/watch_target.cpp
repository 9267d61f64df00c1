#include "cli/watch/watch_target.hpp"

#include <algorithm>

#include "cli/core/op_session.hpp"
#include "runtime/error.hpp"

namespace kpg {

Shape watched_shape(const OpConfig& config, const WatchTarget& target) {
  Shape shape;
  if (!target.shape.empty()) {
    shape = parse_shape(target.shape, config);
  } else if (!config.shapes.empty()) {
    shape = config.shapes.front();
  } else {
    throw ConfigError({config.file.string(), 0, 0, "shapes"}, "no default shape: pass --shape");
  }
  if (!target.dtype.empty()) {
    const SourceLoc where{"--dtype", 0, 0, "dtype"};
    const auto dtype = parse_dtype(target.dtype);
    const bool allowed = dtype && std::find(config.dtypes.begin(), config.dtypes.end(), *dtype) != config.dtypes.end();
    if (!allowed) {
      std::string known;
      for (const auto t : config.dtypes) known += (known.empty() ? "" : ", ") + std::string(dtype_name(t));
      throw ConfigError(where, "'" + target.dtype + "' is not a dtype of " + config.op + " (" + known + ")");
    }
    shape.dtype = *dtype;
    check_shape(config, shape, where);
  }
  return shape;
}

std::vector<const VariantSpec*> watched_variants(const OpConfig& config, const WatchTarget& target) {
  return select_variants(config, target.variants);
}

std::string variant_label(const std::string& variant, const std::string& space) {
  return space.empty() || space == variant ? variant : variant + "/" + space;
}

}  // namespace kpg
