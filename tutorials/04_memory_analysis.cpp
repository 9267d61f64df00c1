// Lesson 4: memory analysis. A fused kernel wins because it moves fewer bytes through
// device memory, the slowest and farthest level of the hierarchy. This lesson measures
// that hierarchy on the card in this machine, counts the bytes each kernel of each
// variant must move, reads the bytes it really moved from the DRAM counters (when CUPTI
// can), times the variants, places them on the roofline and draws the traffic.

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "tutorials/fusion_study.hpp"
#include "tutorials/memory/datasheet.hpp"
#include "profiling/dram_counter.hpp"
#include "tutorials/memory/flop_count.hpp"
#include "tutorials/memory/hierarchy.hpp"
#include "tutorials/memory/lesson_ops.hpp"
#include "tutorials/memory/memory_analysis.hpp"
#include "tutorials/memory/roofline.hpp"
#include "tutorials/memory/traffic_diagram.hpp"
#include "report/json_csv.hpp"
#include "report/results_dir.hpp"

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

// How device bytes are measured, or plainly why they are not: said once, above the ops.
std::string counters_text(const memory::DramCounter& counter) {
  if (counter.available())
    return "Device bytes are read from hardware counters (dram__bytes_read.sum + dram__bytes_write.sum)\n"
           "over one run of each variant, L2 flushed before it and the flush's own traffic subtracted;\n"
           "counters: " + counter.describe() + ".\n";
  return "Measured device bytes: not available: " + counter.why_unavailable() +
         ".\nThe bytes below are counted from the configs; Nsight Compute measures them too:\n"
         "ncu --metrics dram__bytes_read.sum,dram__bytes_write.sum kpg run ...\n";
}

// The note under an op's table about its measured column.
std::string dram_note(const memory::DramCounter& counter) {
  if (!counter.available()) return "DRAM bytes measured: n/a, " + counter.why_unavailable() + ".";
  return "DRAM bytes measured: read + write counters over one run of the variant (all its kernels), cold L2. "
         "measured/counted below 1: bytes served by L2 (an intermediate read back before eviction); above 1: "
         "re-reads that missed L2.";
}

std::string opt(const std::optional<double>& v, int decimals) { return v ? fmt(*v, decimals) : "-"; }

report::Table hierarchy_table(const memory::HierarchyMeasurement& h, const std::optional<memory::Datasheet>& sheet,
                              const CopyTiming& stream_copy, const CopyTiming& driver_copy, const std::string& card) {
  report::Table t{"Memory hierarchy, measured on " + card,
                  {"level", "chain", "latency cycles", "latency ns", "bandwidth GB/s", "datasheet GB/s"}, {}, {}};
  for (const auto& l : h.levels)
    t.rows.push_back({l.level, fmt_bytes(l.working_set_bytes), opt(l.latency_cycles, 0), opt(l.latency_ns, 0),
                      opt(l.bandwidth_gbs, 0),
                      l.level == "device memory" && sheet ? fmt(sheet->dram_gbs, 0) : "not published"});
  t.notes = {"Latency: one thread chasing a random chain, one element per 128-byte line; ns at the rated SM clock.",
             "Bandwidth: streaming kernels over the whole card (shared: reads; L2: reads of a quarter of L2; device: copy).",
             fmt::format("Copy of 1 GiB, timed the same way: kpg's streaming copy {:.0f} GB/s, cuMemcpy {:.0f} GB/s. "
                         "Each op below is compared with a copy of its own bytes.",
                         stream_copy.gbs(), driver_copy.gbs()),
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
  const TimingSettings copy_settings{20, 200, 10, 100, 0};
  const int64_t gib = int64_t{1} << 30;
  const auto stream_copy = time_same_bytes_copy(gpu.timer(), gib, gib, copy_settings, gpu.stream());
  const auto driver_copy = time_cumemcpy(gpu.timer(), gib, copy_settings, gpu.stream());
  const auto levels = hierarchy_table(hierarchy, sheet, stream_copy, driver_copy, gpu.props().name);
  memory::DramCounter counter;
  const std::string counters = counters_text(counter);
  std::cout << report::render_text(levels, lesson_table_width()) << "\n" << counters << "\n";

  const report::ResultsDir out(options.results_dir.value_or(report::default_results_dir("memory-analysis")));
  out.write("hierarchy.json", report::to_json(levels).dump(2));
  std::vector<report::HtmlSection> sections = {{"Memory hierarchy", describe_run(gpu) + "\n\n" + counters, {levels}, {}, ""}};
  bool all_ok = true;

  // 2-4. Each op: counted, measured, on the roofline, drawn.
  for (const auto& op : memory::lesson_ops(options)) {
    const FusionStudy study(session, op.config, options.tune);
    const double flops = op.config.op == "attention" ? memory::attention_flops(op.shape) : 0;
    std::map<std::string, memory::DramBytes> dram;  // by variant, when the counters could be read
    const auto read_counters = [&](const VariantMeasurement& v, const LaunchFn& launch) {
      if (const auto bytes = counter.measure(launch, gpu.stream())) dram[v.variant] = *bytes;
    };
    const auto m = study.measure(op.shape, op.variants, {}, flops, read_counters);
    all_ok = all_ok && m.all_correct();
    std::vector<std::string> chosen;
    for (const auto& v : m.variants) chosen.push_back(v.config);
    const auto traffic = memory::lesson_traffic(op, gpu.limits(), chosen);
    const std::string title = op.config.op + " " + op.shape.to_string();

    report::Table t{title + ": counted and measured",
                    {"variant", "launches", "bytes counted", "DRAM bytes measured", "measured/counted", "ms", "GB/s",
                     "copy GB/s", "% of copy", "config"},
                    {},
                    {},
                    {"config"}};
    const double copy_gbs = m.copy.gbs();  // a copy of the op's fewest bytes
    memory::Roofline roof{"Roofline, " + title, copy_gbs, "copy of the op's bytes, measured",
                          {{"FP32 FMA, measured", hierarchy.fma_gflops}}, {}};
    bool defect = false;
    if (sheet) roof.compute.push_back({"FP16 tensor core, datasheet", sheet->fp16_tensor_tflops * 1e3});
    for (const auto& v : traffic) {
      const VariantMeasurement* measured = nullptr;
      for (const auto& mv : m.variants)
        if (mv.variant == v.variant) measured = &mv;
      const double bytes = static_cast<double>(v.total_bytes());
      if (!measured) {
        t.rows.push_back({v.variant, std::to_string(v.kernels.size()), fmt_bytes(v.total_bytes()), "-", "-",
                          "not run (modelled)", "-", "-", "-", "-"});
      } else if (!measured->check.ok) {
        t.rows.push_back({v.variant, std::to_string(v.kernels.size()), fmt_bytes(v.total_bytes()), "-", "-", "WRONG",
                          "-", "-", "-", measured->config});
      } else {
        const double ms = measured->timing.median_ms, gbs = bytes / (ms * 1e6);
        const auto d = dram.find(v.variant);
        const bool have = d != dram.end();
        // Memory-bound ops: against a copy of the variant's counted bytes, timed the same way.
        std::string copy_cell = "-", percent_cell = "-";
        if (flops == 0) {
          const CopyTiming copy = study.time_copy(v.read_bytes(), v.write_bytes());
          const double percent = percent_of_copy(gbs, copy);
          defect = warn_if_above_copy(title + " " + v.variant, percent) || defect;
          copy_cell = fmt(copy.gbs(), 0);
          percent_cell = copy_percent_cell(percent);
        }
        t.rows.push_back({v.variant, std::to_string(v.kernels.size()), fmt_bytes(v.total_bytes()),
                          have ? fmt_bytes(static_cast<int64_t>(d->second.total())) : "n/a",
                          have && bytes > 0 ? fmt(d->second.total() / bytes, 2) : "n/a", fmt(ms, 4), fmt(gbs, 0),
                          copy_cell, percent_cell, measured->config});
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
               "copy GB/s: a streaming copy reading and writing the variant's counted bytes, timed the same way; "
               "memory-bound ops only.",
               dram_note(counter), "Run: " + describe_run(gpu)};
    if (defect) t.notes.push_back("DEFECT: a row above 100 % of its copy is a timing error, not a result.");
    std::cout << report::render_text(t, lesson_table_width()) << "\n";
    const auto per_kernel = memory::traffic_table(title + ": bytes per kernel (counted)", traffic, copy_gbs,
                                                 "measured copy of the op's bytes");
    const auto diagram = memory::render_traffic_diagram("Memory traffic, " + title + " (counted)", traffic);
    const auto roofline_svg = memory::render_roofline_svg(roof);
    std::cout << report::render_text(per_kernel, lesson_table_width()) << "\n";
    std::cout << memory::render_roofline_text(roof) << "\n";
    std::cout << diagram << "\n";
    out.write(op.config.op + ".json", report::to_json(t).dump(2));
    out.write(op.config.op + "_roofline.svg", roofline_svg);
    sections.push_back({title, "", {t, per_kernel}, {roofline_svg}, diagram});
  }
  sections.push_back(lesson_section(kLesson));
  write_html_report(options, out, "Tutorial 4: memory analysis", sections);
  std::cout << kLesson << "\n\nresults written to " << out.path().string() << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace kpg
