// `kpg tutorial memory-analysis --theory`: the lesson without a GPU. Everything printed is
// counted from the configs or copied from a datasheet, and says so.

#include <fmt/format.h>

#include <iostream>

#include "runtime/error.hpp"
#include "tuner/gpu.hpp"
#include "tutorials/memory/datasheet.hpp"
#include "tutorials/memory/lesson_ops.hpp"
#include "tutorials/memory/memory_analysis.hpp"
#include "tutorials/memory/roofline.hpp"
#include "tutorials/memory/traffic_diagram.hpp"
#include "report/json_csv.hpp"
#include "report/results_dir.hpp"

namespace kpg {
namespace {

constexpr const char* kBanner =
    "THEORY MODE: nothing below is measured. Bytes are counted from the op configs, speeds\n"
    "are datasheet figures. Run `kpg tutorial memory-analysis` on a GPU to measure them.\n";

report::Table datasheet_table(const memory::Datasheet& d) {
  report::Table t{"Datasheet: " + d.name + " (theory: not measured)", {"level", "size", "bandwidth", "latency"}, {}, {}};
  t.rows = {{"registers + shared memory (per SM)", fmt::format("{} KB smem of {} KB L1", d.smem_per_sm_kb, d.l1_smem_per_sm_kb),
             "not published", "not published"},
            {"L2 cache", fmt::format("{:.0f} MB", d.l2_mb), "not published", "not published"},
            {"device memory", d.memory, fmt::format("{:.0f} GB/s", d.dram_gbs), "not published"}};
  t.notes = {fmt::format("{} SMs, boost {:.2f} GHz; FP32 {:.1f} TFLOP/s, dense FP16 tensor {:.0f} TFLOP/s.", d.sm_count,
                         d.boost_clock_ghz, d.fp32_tflops, d.fp16_tensor_tflops),
             "Latencies and cache bandwidths are not on the datasheet: the GPU run measures them by pointer "
             "chasing and streaming kernels."};
  return t;
}

memory::Roofline theory_roofline(const std::string& title, const std::vector<memory::VariantTraffic>& variants,
                                 const memory::Datasheet& d) {
  memory::Roofline r{title + " (theory: datasheet roofs, kernels placed on the roof)", d.dram_gbs, "datasheet", {}, {}};
  r.compute = {{"FP32 FMA, datasheet", d.fp32_tflops * 1e3}, {"FP16 tensor core, datasheet", d.fp16_tensor_tflops * 1e3}};
  for (const auto& v : variants)
    for (const auto& k : v.kernels)
      r.points.push_back({v.variant + " " + k.kernel,
                          k.total_bytes() > 0 ? k.flops / static_cast<double>(k.total_bytes()) : 0, std::nullopt,
                          k.tensor_core ? size_t{1} : size_t{0}});
  return r;
}

}  // namespace

int run_memory_analysis_theory(const std::string& card, const TutorialOptions& options) {
  const auto sheet = memory::find_datasheet(card);
  if (!sheet) throw InputError("unknown card '" + card + "'; known: " + memory::known_cards());
  const DeviceLimits limits = h100_limits();  // only for names like SM_COUNT in the configs

  std::cout << "kpg tutorial 4: memory analysis, fused vs unfused\n" << kBanner << "\n";
  std::cout << report::render_text(datasheet_table(*sheet), lesson_table_width()) << "\n";
  std::cout << "Measured device bytes (hardware counters): not available in theory mode.\n\n";

  const report::ResultsDir out(options.results_dir.value_or(report::default_results_dir("memory-analysis-theory")));
  std::vector<report::HtmlSection> sections = {{"Theory mode", kBanner, {datasheet_table(*sheet)}, {}, ""}};
  for (const auto& op : memory::lesson_ops(options)) {
    const auto traffic = memory::lesson_traffic(op, limits);
    const std::string title = op.config.op + " " + op.shape.to_string();
    auto table = memory::traffic_table(title + " (theory: counted, not measured)", traffic, sheet->dram_gbs,
                                       sheet->name + " datasheet");
    std::cout << report::render_text(table, lesson_table_width()) << "\n";
    const auto diagram =
        memory::render_traffic_diagram("Memory traffic, " + title + " (theory: counted, not measured)", traffic);
    std::cout << diagram << "\n";
    const auto roofline = theory_roofline("Roofline, " + title, traffic, *sheet);
    std::cout << memory::render_roofline_text(roofline) << "\n";
    const auto roofline_svg = memory::render_roofline_svg(roofline);
    out.write(op.config.op + "_traffic.json", report::to_json(table).dump(2));
    out.write(op.config.op + "_traffic.csv", report::to_csv(table));
    out.write(op.config.op + "_roofline.svg", roofline_svg);
    sections.push_back({title, "", {table}, {roofline_svg}, diagram});
  }
  write_html_report(options, out, "Tutorial 4: memory analysis (theory, " + sheet->name + ")", sections);
  std::cout << "results written to " << out.path().string() << "\n";
  return 0;
}

}  // namespace kpg
