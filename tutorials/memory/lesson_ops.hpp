#pragma once
// The three ops the memory lesson compares, each at one shape, and the tables both modes
// print about their counted traffic.

#include <string>
#include <vector>

#include "tutorials/memory/byte_count.hpp"
#include "report/table.hpp"
#include "tutorials/tutorial.hpp"

namespace kpg::memory {

struct LessonOp {
  OpConfig config;
  Shape shape;
  std::vector<std::string> variants;  // the config's variants compared: unfused, fused / flash
};

// softmax 4096x4096 f32, layernorm 4096x4096 f16, attention B=4 H=32 N=4096 D=64 f16 (sizes
// of a large language model's layer); a --shape whose dims are exactly an op's dims replaces
// that op's shape. --dtype applies to the default shapes of ops that offer it.
std::vector<LessonOp> lesson_ops(const TutorialOptions& options);

// Counted traffic of every compared variant, fused space as in theory_space_index (or the
// space ids given, one per variant, from a measurement); attention gets the modelled eager
// chain first.
std::vector<VariantTraffic> lesson_traffic(const LessonOp& op, const DeviceLimits& limits,
                                           const std::vector<std::string>& candidate_ids = {});

// One row per kernel and one total row per variant: reads, writes, flops, intensity and the
// time floor bytes / bandwidth at `bandwidth_gbs` (`bandwidth_label` says whose figure).
report::Table traffic_table(const std::string& title, const std::vector<VariantTraffic>& variants,
                            double bandwidth_gbs, const std::string& bandwidth_label);

}  // namespace kpg::memory
