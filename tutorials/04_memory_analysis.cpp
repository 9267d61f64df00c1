// Lesson 4: memory analysis. A fused kernel wins because it moves fewer bytes through
// device memory, the slowest and farthest level of the hierarchy. This lesson measures
// that hierarchy on the card in this machine, counts the bytes each kernel of each
// variant must move, times the variants, places them on the roofline and draws the traffic.

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "tutorials/fusion_study.hpp"
#include "tutorials/memory/datasheet.hpp"
#include "tutorials/memory/flop_count.hpp"
#include "tutorials/memory/hierarchy.hpp"
#include "tutorials/memory/lesson_ops.hpp"
#include "tutorials/memory/memory_analysis.hpp"
#include "tutorials/memory/roofline.hpp"
#include "tutorials/memory/traffic_diagram.hpp"
#include "tutorials/report/json_csv.hpp"
#include "tutorials/report/results_dir.hpp"

namespace kpg {
namespace {

constexpr const char* kLesson = R"(What the numbers say
  Each level of the hierarchy is an order of magnitude slower and larger than the one
  above it. A kernel that does a few flops per byte (softmax, layer norm) is limited by
  device-memory bandwidth: its time is its bytes over the copy bandwidth. Fusion keeps
  intermediates (row max, exponentials, centred rows) in registers and shared memory, so
  the fused kernel moves only the inputs and outputs, and pays one launch instead of
  several. Attention materialises an N x N matrix when unfused; flash attention never
  writes it, which moves it from the memory wall to the compute wall of the roofline.)";

// Why there is no "measured device bytes" column yet: said once, plainly.
constexpr const char* kNoCounters =
    "Measured device bytes: not available. kpg does not read hardware counters yet (CUPTI's\n"
    "range profiler, loaded with dlopen, is planned). The bytes below are counted from the\n"
    "configs; to measure them: ncu --metrics dram__bytes_read.sum,dram__bytes_write.sum kpg run ...\n";

std::string opt(const std::optional<double>& v, int decimals) { return v ? fmt(*v, decimals) : "-"; }

report::Table hierarchy_table(const memory::HierarchyMeasurement& h, const std::optional<memory::Datasheet>& sheet,
                              double copy_gbs, const std::string& card) {
  report::Table t{"Memory hierarchy, measured on " + card,
                  {"level", "chain", "latency cycles", "latency ns", "bandwidth GB/s", "datasheet GB/s"}, {}, {}};
  for (const auto& l : h.levels)
    t.rows.push_back({l.level, fmt_bytes(l.working_set_bytes), opt(l.latency_cycles, 0), opt(l.latency_ns, 0),
                      opt(l.bandwidth_gbs, 0),
                      l.level == "device memory" && sheet ? fmt(sheet->dram_gbs, 0) : "not published"});
  t.notes = {"Latency: one thread chasing a random chain, one element per 128-byte line; ns at the rated SM clock.",
             "Bandwidth: streaming kernels over the whole card (shared: reads; L2: reads of a quarter of L2; device: copy).",
             fmt::format("cuMemcpy device-to-device: {:.0f} GB/s (the ceiling the other lessons use).", copy_gbs),
             fmt::format("FP32 FMA: {:.1f} TFLOP/s measured{}.", h.fma_gflops / 1e3,
                         sheet ? fmt::format(", {:.1f} datasheet", sheet->fp32_tflops) : ""),
             fmt::format("Launch: {:.2f} us per launch back to back, {:.1f} us launch + wait from the host.", h.launch_us,
                         h.launch_sync_us)};
  if (!sheet) t.notes.push_back("No datasheet entry for this card; known: " + memory::known_cards());
  return t;
}

}  // namespace

int run_memory_analysis_tutorial(const TutorialOptions& options) {
  TutorialSession session(options);
  const Gpu& gpu = session.gpu;
  const auto sheet = memory::datasheet_for_device(gpu.props().name);
  std::cout << "kpg tutorial 4: memory analysis, fused vs unfused\n" << describe_run(gpu) << "\n\n";

  // 1. The hierarchy, measured, next to the datasheet.
  const auto hierarchy = memory::measure_hierarchy(gpu, session.compiler, options.kernels_dir);
  const double copy_gbs = measure_copy_bandwidth_gbs(gpu);
  const auto levels = hierarchy_table(hierarchy, sheet, copy_gbs, gpu.props().name);
  std::cout << report::render_text(levels) << "\n" << kNoCounters << "\n";

  const report::ResultsDir out(options.results_dir.value_or(report::default_results_dir("memory-analysis")));
  out.write("hierarchy.json", report::to_json(levels).dump(2));
  bool all_ok = true;

  // 2-4. Each op: counted, measured, on the roofline, drawn.
  for (const auto& op : memory::lesson_ops(options)) {
    const FusionStudy study(gpu, session.tuner, op.config, options.tune);
    const double flops = op.config.op == "attention" ? memory::attention_flops(op.shape) : 0;
    const auto m = study.measure(op.shape, op.variants, {}, flops);
    all_ok = all_ok && m.all_correct();
    std::vector<std::string> chosen;
    for (const auto& v : m.variants) chosen.push_back(v.config);
    const auto traffic = memory::lesson_traffic(op, gpu.limits(), chosen);
    const std::string title = op.config.op + " " + op.shape.to_string();

    report::Table t{title + ": counted and measured", {"variant", "launches", "bytes counted", "device bytes", "ms",
                                                       "GB/s", "% of copy", "config"}, {}, {}};
    memory::Roofline roof{"Roofline, " + title, copy_gbs, "copy, measured", {{"FP32 FMA, measured", hierarchy.fma_gflops}}, {}};
    if (sheet) roof.compute.push_back({"FP16 tensor core, datasheet", sheet->fp16_tensor_tflops * 1e3});
    for (const auto& v : traffic) {
      const VariantMeasurement* measured = nullptr;
      for (const auto& mv : m.variants)
        if (mv.variant == v.variant) measured = &mv;
      const double bytes = static_cast<double>(v.total_bytes());
      if (!measured) {
        t.rows.push_back({v.variant, std::to_string(v.kernels.size()), fmt_bytes(v.total_bytes()), "-",
                          "not run (modelled)", "-", "-", "-"});
      } else if (!measured->check.ok) {
        t.rows.push_back({v.variant, std::to_string(v.kernels.size()), fmt_bytes(v.total_bytes()), "-", "WRONG", "-",
                          "-", measured->config});
      } else {
        const double ms = measured->timing.median_ms, gbs = bytes / (ms * 1e6);
        t.rows.push_back({v.variant, std::to_string(v.kernels.size()), fmt_bytes(v.total_bytes()), "n/a",
                          fmt(ms, 4), fmt(gbs, 0), fmt(100 * gbs / copy_gbs, 1), measured->config});
        const bool tensor = std::any_of(v.kernels.begin(), v.kernels.end(), [](const auto& k) { return k.tensor_core; });
        if (v.flops() > 0)
          roof.points.push_back({v.variant + " (all kernels, measured)", v.flops() / bytes, v.flops() / (ms * 1e6),
                                 tensor && roof.compute.size() > 1 ? size_t{1} : size_t{0}});
      }
      for (const auto& k : v.kernels)
        if (v.kernels.size() > 1)
          roof.points.push_back({v.variant + " " + k.kernel, k.flops / static_cast<double>(k.total_bytes()), std::nullopt,
                                 k.tensor_core && roof.compute.size() > 1 ? size_t{1} : size_t{0}});
    }
    t.notes = {"GB/s here: counted bytes of the variant over its median time (all its kernels timed as one).",
               "device bytes: hardware counters are not read yet (see above).", "Run: " + describe_run(gpu)};
    std::cout << report::render_text(t) << "\n";
    std::cout << report::render_text(memory::traffic_table(title + ": bytes per kernel (counted)", traffic, copy_gbs,
                                                           "measured copy"))
              << "\n";
    std::cout << memory::render_roofline_text(roof) << "\n";
    std::cout << memory::render_traffic_diagram("Memory traffic, " + title + " (counted)", traffic) << "\n";
    out.write(op.config.op + ".json", report::to_json(t).dump(2));
    out.write(op.config.op + "_roofline.svg", memory::render_roofline_svg(roof));
  }
  std::cout << kLesson << "\n\nresults written to " << out.path().string() << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace kpg
