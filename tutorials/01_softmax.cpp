// Lesson 1: softmax. Eager code launches four kernels (row max, subtract-and-exp, row
// sum, divide) and moves the matrix through device memory six times; the fused kernel
// reads it once and writes it once. Softmax is memory-bound, so the speedup is about the
// ratio of bytes moved, and the fused kernel's job is to run at the copy bandwidth.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <iostream>

#include "tuner/cache_file.hpp"
#include "tutorials/fusion_study.hpp"
#include "tutorials/lessons.hpp"
#include "report/results_dir.hpp"
#include "report/svg_chart.hpp"
#include "report/table.hpp"

namespace kpg {
namespace {

constexpr const char* kLesson = R"(Why fusion wins here
  Softmax does ~5 flops per element and must read and write each element once: at 3 TB/s
  that is a memory problem, not an arithmetic one. The unfused chain writes the row max,
  the exponentials and the row sums to device memory and reads them back, so it moves
  about three times the bytes of the fused kernel and pays four launches. The fused
  kernel keeps each row on chip, in registers: a warp per short row, a block per longer
  one, and for rows too long for one SM several blocks that share their (max, sum) pairs,
  as a thread-block cluster or as ordinary blocks meeting in global memory (a cluster's
  blocks must share a GPC, which can leave SMs idle). Such a block waits for its row's
  slowest slice while holding its own, so the longest rows keep slices in shared memory,
  where an SM holds three of 64 KB: one more slice loading while the others wait. x is
  read once with 16-byte loads and y written once; rows that fit nowhere take an online
  max-and-sum pass, which reads x twice. Its speed is judged against a copy of the same
  bytes measured in the same run, the ceiling for any kernel that reads and writes them.)";

// Each row of a softmax sums to 1: a cheap check that no element was lost.
std::string row_sum_check(const Workload& w, double tolerance) {
  const auto out = w.download_outputs().at("y");
  const int64_t m = out.shape.at(0), n = out.shape.at(1);
  double worst = 0;
  int64_t worst_row = 0;
  for (int64_t r = 0; r < m; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < n; ++c) sum += out.values[static_cast<size_t>(r * n + c)];
    if (std::abs(sum - 1.0) > worst) {
      worst = std::abs(sum - 1.0);
      worst_row = r;
    }
  }
  if (worst <= tolerance) return "";
  return fmt::format("row {} sums to 1 {:+.3g}", worst_row, worst);
}

}  // namespace

int run_softmax_tutorial(const TutorialOptions& options) {
  TutorialSession session(options);
  const OpConfig config = load_tutorial_config(options, "softmax");
  const auto shapes = tutorial_shapes(config, options);
  const FusionStudy study(session, config, options.tune);

  std::cout << "kpg tutorial 1: fused softmax vs unfused\n" << describe_run(session.gpu) << "\n\n";
  std::cout << fmt::format("Each row's copy reads x's bytes and writes y's, timed the same way in this run\n"
                           "(datasheet bandwidth {:.0f} GB/s).\n\n",
                           session.gpu.props().datasheet_bandwidth_gbs());

  report::Table table{"Softmax: fused vs unfused (" + session.gpu.props().name + ")",
                      {"shape", "dtype", "unfused ms", "fused ms", "speedup", "fused GB/s", "copy GB/s", "% of copy",
                       "bytes fused", "bytes unfused", "fused config"},
                      {}, {}, {"fused config"}};
  report::Chart chart{"Softmax bandwidth, M=4096", "N (columns)", "GB/s", report::Scale::log2, report::Scale::linear, {}, {}};
  report::Series fused_series{"fused", {}, "#1f77b4", false}, unfused_series{"unfused", {}, "#d62728", false};
  report::Series copy_series{"copy of the same bytes", {}, "#7f7f7f", true};
  bool all_ok = true, defect = false;
  for (const auto& shape : shapes) {
    spdlog::info("softmax {}", shape.to_string());
    const double tol = shape.dtype == DType::f32 ? 1e-3 : 2e-2;
    const auto m = study.measure(shape, {"unfused", "fused"},
                                 [&](const Workload& w) { return row_sum_check(w, tol); });
    const auto& f = m.get("fused");
    const auto& u = m.get("unfused");
    const auto name = fmt::format("{}x{}", shape.dims.at("M"), shape.dims.at("N"));
    if (!m.all_correct()) {
      all_ok = false;
      add_row(table, {name, std::string(dtype_name(shape.dtype)), u.check.ok ? "" : "WRONG",
                            f.check.ok ? "" : "WRONG", "-", "-", "-", "-", "-", "-", f.config});
      continue;
    }
    const double percent = m.percent_of_copy(f);
    defect = warn_if_above_copy(fmt::format("softmax {} {} fused", name, dtype_name(shape.dtype)), percent) || defect;
    add_row(table, {name, std::string(dtype_name(shape.dtype)), fmt(u.timing.median_ms, 4),
                          fmt(f.timing.median_ms, 4), fmt(u.timing.median_ms / f.timing.median_ms, 2) + "x",
                          fmt(f.gbs, 0), fmt(m.copy.gbs(), 0), copy_percent_cell(percent), fmt_bytes(f.bytes_counted),
                          fmt_bytes(u.bytes_counted), f.config});
    if (shape.dims.at("M") == 4096) {
      fused_series.points.emplace_back(static_cast<double>(shape.dims.at("N")), f.gbs);
      unfused_series.points.emplace_back(static_cast<double>(shape.dims.at("N")), u.gbs);
      copy_series.points.emplace_back(static_cast<double>(shape.dims.at("N")), m.copy.gbs());
    }
  }
  table.notes = {"GB/s counts the fewest bytes (input read once, output written once) over the median time.",
                 "Bytes per variant count every buffer argument of every kernel once.",
                 "copy GB/s: a streaming copy reading x's bytes and writing y's, timed the same way in this run; "
                 "% of copy = fused GB/s over it.",
                 "Run: " + describe_run(session.gpu)};
  if (defect) table.notes.push_back("DEFECT: a row above 100 % of its copy is a timing error, not a result.");
  chart.series = {fused_series, unfused_series, copy_series};

  std::cout << report::render_text(table, lesson_table_width()) << "\n" << kLesson << "\n\n";
  std::cout << "The lesson's code, one fused kernel file per space (in " << options.kernels_dir.string() << "):\n"
            << lesson_code(*config.find_variant("fused"), options.kernels_dir, options.show_source);

  const report::ResultsDir out(options.results_dir.value_or(report::default_results_dir("softmax")));
  write_html_report(options, out, "Tutorial 1: softmax",
                    {write_table_and_chart(out, "softmax", "Fused vs unfused", describe_run(session.gpu), table, chart),
                     lesson_section(kLesson)});
  std::cout << "results written to " << out.path().string() << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace kpg
