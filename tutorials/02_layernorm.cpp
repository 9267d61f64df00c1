// Lesson 2: layer normalisation. Eager code computes the mean, centres the row, computes
// the variance, normalises and applies the affine weight and bias: five kernels, each
// reading and writing a full M x N intermediate. The fused kernel reads x once and
// writes y once, with the row held on chip for a numerically sound two-pass variance.
// RMSNorm (LLaMA-style models) is the same lesson without the mean.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "tutorials/fusion_study.hpp"
#include "tutorials/lessons.hpp"
#include "report/json_csv.hpp"
#include "report/results_dir.hpp"
#include "report/svg_chart.hpp"
#include "report/table.hpp"

namespace kpg {
namespace {

constexpr const char* kLesson = R"(Why fusion wins here
  A LayerNorm does a handful of flops per element; its cost is bytes. The eager chain
  writes the centred row and the normalised row to device memory and reads them back:
  eight passes over an M x N tensor where one read of x and one write of y make two, four
  times the traffic (counted: `kpg tutorial memory-analysis --theory`). The fused
  kernel keeps the row in registers, so the variance is computed from the centred values
  (no cancellation when the mean is large) at no extra memory cost, and gamma and beta
  come from L2. The result runs close to a copy of the same bytes.)";

// Which model a hidden size belongs to, for the table (the lesson's default shapes).
std::string model_for(int64_t n) {
  switch (n) {
    case 768: return "BERT-base";
    case 1024: return "BERT-large";
    case 1600: return "GPT-2 XL";
    case 4096: return "LLaMA-7B";
    case 8192: return "LLaMA-65B";
    case 12288: return "GPT-3 175B";
    default: return "custom";
  }
}

struct ImpactRow {
  std::string model;
  int layer_norms;
  int64_t n;
};

}  // namespace

int run_layernorm_tutorial(const TutorialOptions& options) {
  TutorialSession session(options);
  std::cout << "kpg tutorial 2: fused LayerNorm (and RMSNorm) vs unfused\n" << describe_run(session.gpu) << "\n\n";
  std::cout << "Each row's copy reads the op's inputs and writes its outputs, timed the same way in this run.\n\n";

  bool all_ok = true;
  const report::ResultsDir out(options.results_dir.value_or(report::default_results_dir("layernorm")));
  std::map<std::pair<int64_t, DType>, FusionMeasurement> layernorm_by_shape;
  std::vector<report::HtmlSection> sections;
  std::string code;  // the fused kernel files of both ops
  for (const std::string op : {"layernorm", "rmsnorm"}) {
    const OpConfig config = load_tutorial_config(options, op);
    code += lesson_code(*config.find_variant("fused"), options.kernels_dir, false);
    const FusionStudy study(session, config, options.tune);
    report::Table table{op + ": fused vs unfused (" + session.gpu.props().name + ")",
                        {"model", "shape", "dtype", "unfused ms", "fused ms", "speedup", "fused GB/s",
                         "copy GB/s", "% of copy", "bytes fused", "bytes unfused", "fused config"},
                        {}, {}, {"fused config"}};
    report::Chart chart{op + " bandwidth", "N (hidden size)", "GB/s", report::Scale::log2, report::Scale::linear, {}, {}};
    std::map<DType, report::Series> fused_series, unfused_series, copy_series;
    bool defect = false;
    for (const auto& shape : tutorial_shapes(config, options)) {
      spdlog::info("{} {}", op, shape.to_string());
      const auto m = study.measure(shape, {"unfused", "fused"});
      const auto& f = m.get("fused");
      const auto& u = m.get("unfused");
      const int64_t n = shape.dims.at("N");
      const auto dims = fmt::format("{}x{}", shape.dims.at("M"), n);
      const std::string dt(dtype_name(shape.dtype));
      if (!m.all_correct()) {
        all_ok = false;
        add_row(table, {model_for(n), dims, dt, u.check.ok ? "" : "WRONG", f.check.ok ? "" : "WRONG", "-",
                              "-", "-", "-", "-", "-", f.config});
        continue;
      }
      const double percent = m.percent_of_copy(f);
      defect = warn_if_above_copy(fmt::format("{} {} {} fused", op, dims, dt), percent) || defect;
      add_row(table, {model_for(n), dims, dt, fmt(u.timing.median_ms, 4), fmt(f.timing.median_ms, 4),
                            fmt(u.timing.median_ms / f.timing.median_ms, 2) + "x", fmt(f.gbs, 0),
                            fmt(m.copy.gbs(), 0), copy_percent_cell(percent), fmt_bytes(f.bytes_counted),
                            fmt_bytes(u.bytes_counted), f.config});
      auto& fs = fused_series[shape.dtype];
      auto& us = unfused_series[shape.dtype];
      fs.name = "fused " + dt;
      us.name = "unfused " + dt;
      us.dashed = true;
      fs.points.emplace_back(static_cast<double>(n), f.gbs);
      us.points.emplace_back(static_cast<double>(n), u.gbs);
      auto& cs = copy_series[shape.dtype];
      cs.name = "copy of the same bytes " + dt;
      cs.color = "#7f7f7f";
      cs.dashed = true;
      cs.points.emplace_back(static_cast<double>(n), m.copy.gbs());
      if (op == "layernorm") layernorm_by_shape.emplace(std::make_pair(n, shape.dtype), m);
    }
    table.notes = {"GB/s counts x read once, y written once, gamma/beta and per-row statistics once.",
                   "copy GB/s: a streaming copy reading the inputs' bytes and writing the outputs', timed the same "
                   "way in this run; % of copy = fused GB/s over it.",
                   "Run: " + describe_run(session.gpu)};
    if (defect) table.notes.push_back("DEFECT: a row above 100 % of its copy is a timing error, not a result.");
    for (auto& [d, s] : fused_series) chart.series.push_back(s);
    for (auto& [d, s] : unfused_series) chart.series.push_back(s);
    for (auto& [d, s] : copy_series) chart.series.push_back(s);
    std::cout << report::render_text(table, lesson_table_width()) << "\n";
    sections.push_back(
        write_table_and_chart(out, op, op + ": fused vs unfused", describe_run(session.gpu), table, chart));
  }

  // Production impact from the measured times: a BERT forward pass runs 2 LayerNorms per
  // layer plus one after the embeddings, each over batch x sequence rows.
  report::Table impact{"Production impact (float16, measured above)",
                       {"model", "LayerNorms per forward", "rows per forward", "saved per forward (ms)",
                        "saved per 1M tokens (ms)"},
                       {}, {}};
  for (const ImpactRow& row : {ImpactRow{"BERT-base", 25, 768}, ImpactRow{"BERT-large", 49, 1024}}) {
    const auto it = layernorm_by_shape.find({row.n, DType::f16});
    if (it == layernorm_by_shape.end() || !it->second.all_correct()) continue;
    const auto& m = it->second;
    const double saved_ms = m.get("unfused").timing.median_ms - m.get("fused").timing.median_ms;
    const int64_t rows = m.shape.dims.at("M");
    impact.rows.push_back({row.model, std::to_string(row.layer_norms), std::to_string(rows),
                           fmt(saved_ms * row.layer_norms, 3),
                           fmt(saved_ms * row.layer_norms * 1e6 / static_cast<double>(rows), 1)});
  }
  impact.notes = {"Assumes every LayerNorm of the model sees the measured shape (batch 32 x sequence 512 rows),",
                  "that LayerNorm time adds directly to the forward pass (no overlap), and float16 activations."};
  std::cout << report::render_text(impact, lesson_table_width()) << "\n" << kLesson << "\n\n";
  out.write("impact.csv", report::to_csv(impact));
  sections.push_back({"Production impact", "", {impact}, {}, ""});
  sections.push_back(lesson_section(kLesson));
  write_html_report(options, out, "Tutorial 2: LayerNorm and RMSNorm", sections);
  std::cout << "The lesson's code, one fused kernel file per space (in " << options.kernels_dir.string() << "):\n"
            << code << "results written to " << out.path().string() << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace kpg
