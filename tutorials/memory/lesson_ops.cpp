#include "tutorials/memory/lesson_ops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "tutorials/memory/flop_count.hpp"

namespace kpg::memory {
namespace {

struct OpChoice {
  const char* op;
  Shape shape;
  std::vector<std::string> variants;
};

Shape make_shape(const std::vector<std::pair<std::string, int64_t>>& dims, DType dtype) {
  Shape shape;
  for (const auto& [name, value] : dims) shape.dims[name] = value;
  shape.dtype = dtype;
  return shape;
}

std::vector<OpChoice> default_choices() {
  std::vector<OpChoice> choices;
  choices.push_back({"softmax", make_shape({{"M", 4096}, {"N", 4096}}, DType::f32), {"unfused", "fused"}});
  choices.push_back({"layernorm", make_shape({{"M", 4096}, {"N", 4096}}, DType::f16), {"unfused", "fused"}});
  choices.push_back({"attention", make_shape({{"B", 4}, {"H", 32}, {"N", 4096}, {"D", 64}, {"CAUSAL", 0}}, DType::f16),
                     {"flash"}});
  return choices;
}

// The dim names of "M=4096,N=781,dtype=f16", without dtype.
std::set<std::string> shape_keys(const std::string& text) {
  std::set<std::string> keys;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const std::string key = item.substr(0, item.find('='));
    if (key != "dtype") keys.insert(key);
  }
  return keys;
}

}  // namespace

std::vector<LessonOp> lesson_ops(const TutorialOptions& options) {
  std::vector<LessonOp> ops;
  const auto dtype = tutorial_dtype(options);
  for (auto& choice : default_choices()) {
    LessonOp op{load_tutorial_config(options, choice.op), choice.shape, choice.variants};
    if (dtype && std::find(op.config.dtypes.begin(), op.config.dtypes.end(), *dtype) != op.config.dtypes.end())
      op.shape.dtype = *dtype;
    const std::set<std::string> dims(op.config.dims.begin(), op.config.dims.end());
    for (const auto& text : options.shapes)
      if (shape_keys(text) == dims) op.shape = parse_shape(text, op.config);
    check_shape(op.config, op.shape, {"memory-analysis", 0, 0, op.config.op});
    ops.push_back(std::move(op));
  }
  return ops;
}

std::vector<VariantTraffic> lesson_traffic(const LessonOp& op, const DeviceLimits& limits,
                                           const std::vector<std::string>& candidate_ids) {
  std::vector<VariantTraffic> out;
  if (op.config.op == "attention") out.push_back(eager_attention_traffic(op.shape));
  for (size_t i = 0; i < op.variants.size(); ++i) {
    const VariantSpec* variant = op.config.find_variant(op.variants[i]);
    if (!variant) throw Error(op.config.op + ": config has no variant '" + op.variants[i] + "'");
    const size_t space = i < candidate_ids.size() ? space_index_of(*variant, candidate_ids[i])
                                                  : theory_space_index(*variant, op.shape, limits);
    out.push_back(count_traffic(op.config, *variant, space, op.shape, limits));
  }
  return out;
}

report::Table traffic_table(const std::string& title, const std::vector<VariantTraffic>& variants,
                            double bandwidth_gbs, const std::string& bandwidth_label) {
  report::Table t{title,
                  {"variant", "kernel", "reads", "writes", "bytes", "GFLOP", "flops/byte",
                   "floor us @ " + fmt::format("{:.0f}", bandwidth_gbs) + " GB/s"},
                  {},
                  {}};
  auto row = [&](const std::string& variant, const std::string& kernel, int64_t reads, int64_t writes, double flops) {
    const int64_t bytes = reads + writes;
    t.rows.push_back({variant, kernel, fmt_bytes(reads), fmt_bytes(writes), fmt_bytes(bytes),
                      flops > 0 ? fmt(flops / 1e9, 3) : "-",
                      flops > 0 && bytes > 0 ? fmt(flops / static_cast<double>(bytes), 2) : "-",
                      fmt(static_cast<double>(bytes) / (bandwidth_gbs * 1e3), 1)});
  };
  for (const auto& v : variants) {
    for (const auto& k : v.kernels) row(v.variant, k.kernel, k.read_bytes(), k.write_bytes(), k.flops);
    row(v.variant, "total (" + std::to_string(v.kernels.size()) + (v.kernels.size() == 1 ? " launch)" : " launches)"), v.read_bytes(), v.write_bytes(),
        v.flops());
  }
  t.notes = {"Counted: each buffer argument of each kernel read or written once, in full (tutorials/memory/byte_count.hpp).",
             "Floor: the bytes over the " + bandwidth_label + " bandwidth, the least time the kernel can take if memory-bound."};
  for (const auto& v : variants)
    if (!v.note.empty()) t.notes.push_back(v.variant + ": " + v.note);
  return t;
}

}  // namespace kpg::memory
