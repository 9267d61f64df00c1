#pragma once
// A watch round without a GPU: compile each variant's current choice (the config's
// default at the watched shape, as the tuner would compile it for an H100-class card)
// and report the compile time, registers and spills, or the compile error with its
// source lines. Nothing is run or timed.

#include <ostream>
#include <vector>

#include "cli/watch/round_state.hpp"
#include "runtime/compiler.hpp"
#include "tuner/config.hpp"

namespace kpg {

void compile_round(const OpConfig& config, const Shape& shape, const std::vector<const VariantSpec*>& variants,
                   const WatchSettings& settings, const Compiler& compiler, RoundHistory& history,
                   RoundOutcome& outcome, std::ostream& out);

}  // namespace kpg
