#pragma once
// The public Problem and BufferInfo (kpg/operation.hpp) over the tuner's Shape and buffer
// specs: conversion, checks, buffer sizes, and the problem that input dims imply. CPU only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kpg/operation.hpp"
#include "tuner/config.hpp"
#include "tuner/space.hpp"

namespace kpg {

// The problem as a Shape, checked (every dim once, in range, a dtype of the op's): ConfigError.
Shape to_shape(const OpConfig& config, const Problem& problem);
Problem to_problem(const Shape& shape);

// One buffer at a shape, its shape expressions evaluated with `limits`.
BufferInfo buffer_info(const BufferSpec& spec, const Shape& shape, const DeviceLimits& limits);
// Every buffer of the op at the shape, in the YAML's order.
std::vector<BufferInfo> buffer_infos(const OpConfig& config, const Shape& shape);
// Inputs, then outputs, each in the YAML's order (what Launcher::launch takes).
std::vector<BufferInfo> io_infos(const OpConfig& config, const Shape& shape);
// Each input read once, each output written once, in bytes.
int64_t min_bytes(const OpConfig& config, const Shape& shape);
std::optional<double> flops(const OpConfig& config, const Shape& shape);

// Operation::problem_for (kpg/operation.hpp): dims from the inputs' dims, leading dims of a
// higher-rank input merged into its first, `given` for flags (0 when absent) and dims no
// input shows. InputError naming the input or dim at fault.
Problem problem_for(const OpConfig& config, const std::vector<std::vector<int64_t>>& input_dims,
                    const std::string& dtype, const std::map<std::string, int64_t>& given);

}  // namespace kpg
