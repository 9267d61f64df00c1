#include "tuner/tune_types.hpp"

namespace kpg {

std::string_view to_string(ChoiceSource s) {
  switch (s) {
    case ChoiceSource::tuned_now: return "tuned now";
    case ChoiceSource::cache: return "tuning cache";
    case ChoiceSource::nearest_shape: return "nearest tuned shape";
    case ChoiceSource::config_default: return "config default";
  }
  return "?";
}

}  // namespace kpg
