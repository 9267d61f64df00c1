#pragma once
// Tutorial 4, memory analysis: the memory hierarchy measured on this card, then softmax,
// layer norm and attention fused vs unfused, counted (bytes per kernel), measured (time,
// bandwidth, and DRAM bytes from hardware counters where CUPTI allows: dram_counter.hpp),
// on the roofline and drawn as arrows of memory traffic.

#include <string>

#include "tutorials/tutorial.hpp"

namespace kpg {

// `kpg tutorial memory-analysis`: needs a GPU (TutorialSession throws without one).
// Returns 0 when every variant was correct, 1 otherwise.
int run_memory_analysis_tutorial(const TutorialOptions& options);

// `kpg tutorial memory-analysis --theory [--card h100]`: no GPU, no driver. Counted bytes
// from the configs and datasheet figures of `card` (memory::known_cards()), every number
// labelled "theory: not measured". Throws InputError for an unknown card. Returns 0.
int run_memory_analysis_theory(const std::string& card, const TutorialOptions& options);

}  // namespace kpg
