// Lesson 3: flash attention. Standard attention writes the N x N score matrix to device
// memory, reads it back for the softmax, writes the probabilities and reads them again for
// P V: O(N^2) bytes and memory for work that is O(N^2 D) flops. Flash attention walks K and
// V in tiles with an online softmax (running max and sum, rescaled accumulator), keeps the
// scores on chip and writes only O: the same flops, O(N D) bytes, and tensor cores that
// are no longer waiting for memory.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "lib/front_door.hpp"
#include "lib/problem.hpp"
#include "runtime/buffer.hpp"
#include "runtime/error.hpp"
#include "tuner/cache_file.hpp"
#include "tutorials/attention/attention_lesson.hpp"
#include "tutorials/attention/cublas_loader.hpp"
#include "tuner/sampled_reference.hpp"
#include "tutorials/attention/standard_attention.hpp"
#include "tutorials/fusion_study.hpp"
#include "report/results_dir.hpp"
#include "report/svg_chart.hpp"
#include "report/table.hpp"

namespace kpg {
namespace {

constexpr const char* kLesson = R"(Why flash attention wins
  Attention does 4*N^2*D flops per head: at D = 64..128 that is tensor-core work, and a
  kernel that keeps the tensor cores fed should run near the card's matrix peak. Standard
  attention cannot: the score matrix S = QK^T (N^2 floats per head) goes to device memory,
  the softmax reads it and writes P, and the second GEMM reads P again. At N = 4096 that is
  gigabytes per layer, memory-bound steps between two GEMMs, and at N = 16384 it does not
  fit on the card at all. Flash attention tiles Q over thread blocks and streams K and V
  through shared memory; each tile of scores lives in registers, the softmax is computed
  online (a running max and sum per row, the accumulator rescaled when the max grows), and
  O is written once. Memory stays O(N*D), the flops are the same, and the speedup grows
  with N. Causal attention skips the tiles above the diagonal, half the work.)";

// Above this many flops the float64 reference is computed on sampled rows only (the full
// one takes about 4e10 / (1.8e9 per core) / cores seconds: 1.4 s on 16 cores).
constexpr double kMaxRelativeError = 1e-2;  // ||o - ref|| / ||ref|| for 16-bit inputs

int64_t dim(const Shape& s, const char* name) { return s.dims.at(name); }
bool is_causal(const Shape& s) { return s.dims.count("CAUSAL") && s.dims.at("CAUSAL") != 0; }

// 4*B*H*N^2*D (two GEMMs of 2*N^2*D each per head), half of it when causal.
double attention_flops(const Shape& s) {
  const double n = static_cast<double>(dim(s, "N"));
  const double f = 4.0 * static_cast<double>(dim(s, "B") * dim(s, "H") * dim(s, "D")) * n * n;
  return is_causal(s) ? f / 2 : f;
}

std::string sci(double v) { return std::isfinite(v) ? fmt::format("{:.1e}", v) : "inf"; }

struct StandardResult {
  std::optional<Timing> timing;   // empty when it did not run
  std::string status;             // "out of memory: ...", "WRONG", "" when it ran and is correct
  double err_vs_reference = 0;    // on the checked rows
  double flash_vs_standard = 0;   // over every row of O
  int64_t score_bytes = 0;
};

struct ShapeResult {
  bool flash_ok = false;
  Timing flash;
  double flash_err = 0;
  std::string flash_config, flash_source, checked_against;
  StandardResult standard;
};

std::vector<double> download_as_double(const DeviceBuffer& buffer, DType dtype) {
  std::vector<uint8_t> bytes(buffer.bytes());
  buffer.download(bytes.data(), bytes.size());
  return decode(bytes, dtype);
}

// Runs standard attention on the flash workload's q, k, v when its N x N intermediates fit,
// checks it on the same rows as flash, and times it the same way.
StandardResult run_standard(const StandardAttentionSetup& setup, Workload& workload, const std::vector<int64_t>& rows,
                            const std::vector<double>& flash_o, const TimingSettings& settings) {
  StandardResult r;
  const Shape& shape = workload.shape();
  r.score_bytes = standard_attention_score_bytes(shape);
  if (auto problem = standard_attention_memory_problem(shape)) {
    r.status = *problem;
    return r;
  }
  const StandardAttention standard(setup, shape);
  const auto& gpu = setup.gpu;
  DeviceBuffer o(workload.buffer("o").bytes());
  o.fill_bytes(0xFF, gpu.stream());  // poisoned: an element never written reads NaN
  const auto q = workload.buffer("q").ptr(), k = workload.buffer("k").ptr(), v = workload.buffer("v").ptr();
  standard.launch(q, k, v, o.ptr(), gpu.stream());
  gpu.synchronize();
  const auto out = download_as_double(o, shape.dtype);
  r.err_vs_reference = relative_l2_error(out, workload.reference().at("o").values, dim(shape, "D"), rows);
  r.flash_vs_standard = relative_l2_error(flash_o, out, dim(shape, "D"));
  spdlog::info("standard attention at {}: {}", shape.to_string(), standard.describe());
  if (!(r.err_vs_reference <= kMaxRelativeError)) {
    r.status = "WRONG";
    spdlog::error("standard attention at {} is off the float64 reference: relative error {}", shape.to_string(),
                  sci(r.err_vs_reference));
    return r;
  }
  r.timing = gpu.timer().time([&](CUstream s) { standard.launch(q, k, v, o.ptr(), s); }, settings, gpu.stream());
  return r;
}

ShapeResult measure(TutorialSession& session, const OpConfig& config, const StandardAttentionSetup& setup,
                    const Shape& shape, const TuneOptions& tune, bool with_standard) {
  ShapeResult r;
  const VariantSpec* flash = config.find_variant("flash");
  if (!flash) throw Error(config.file.string() + " has no variant 'flash'");
  Workload workload(config, shape, session.gpu.limits());
  const uint64_t seed = tune.seed ? tune.seed : std::random_device{}();
  workload.randomize(seed);

  // The reference: float64 on every row for small shapes, on sampled rows for large ones.
  const std::vector<int64_t> rows = choose_sampled_reference(workload, seed);
  r.checked_against = rows.empty() ? "fp64, all rows" : fmt::format("fp64, {} rows", rows.size());

  const TuneResult tuned = session.tuner.tune(config, *flash, workload, tune);
  r.flash_config = tuned.chosen.id();
  r.flash_source = std::string(to_string(tuned.source));
  // Launched through the library, as an application launches it (tutorials/fusion_study.hpp).
  Operation operation = open_operation(config, flash->name, session.operation_dirs);
  Launcher& launcher =
      with_internal_errors([&]() -> Launcher& { return operation.prepare(to_problem(shape), r.flash_config); });
  const LaunchFn launch = workload_launch(launcher, workload);
  spdlog::info("flash attention at {}: {} [{}]", shape.to_string(), launcher.describe(), r.flash_config);
  const CheckReport check = session.tuner.verify(launch, workload);
  const auto flash_o = workload.download_outputs().at("o").values;
  r.flash_err = relative_l2_error(flash_o, workload.reference().at("o").values, dim(shape, "D"), rows);
  r.flash_ok = check.ok && r.flash_err <= kMaxRelativeError;
  if (!r.flash_ok)
    spdlog::error("flash attention at {} is wrong: {}; relative error {}", shape.to_string(), check.describe(),
                  sci(r.flash_err));

  const TimingSettings settings = config.timing.twice_the_reps();
  if (r.flash_ok)
    r.flash = session.gpu.timer().time(launch, settings, session.gpu.stream());

  if (with_standard) {
    r.standard = run_standard(setup, workload, rows, flash_o, settings);
    if (r.standard.timing) r.checked_against += " + standard";
    // On large shapes standard attention is the second, full-size witness.
    if (r.standard.timing && r.flash_ok && !(r.standard.flash_vs_standard <= kMaxRelativeError)) {
      r.flash_ok = false;
      spdlog::error("flash and standard attention disagree at {}: relative difference {}", shape.to_string(),
                    sci(r.standard.flash_vs_standard));
    }
  } else {
    r.standard.score_bytes = standard_attention_score_bytes(shape);
    r.standard.status = "no cuBLAS";
  }
  return r;
}

std::string series_name(const Shape& s, const char* what) {
  return fmt::format("{} D={}{}", what, dim(s, "D"), is_causal(s) ? " causal" : "");
}

}  // namespace

int run_flash_attention_tutorial(const TutorialOptions& options) {
  TutorialSession session(options);
  const OpConfig config = load_tutorial_config(options, "attention");
  const OpConfig softmax_config = load_tutorial_config(options, "softmax");
  const auto shapes = tutorial_shapes(config, options);
  const StandardAttentionSetup setup{session.gpu, session.tuner, session.compiler, options.kernels_dir,
                                     softmax_config, options.tune};

  std::cout << "kpg tutorial 3: flash attention vs standard attention\n" << describe_run(session.gpu) << "\n\n";
  std::string no_cublas;
  const bool with_standard = cublas_available(&no_cublas);
  if (!with_standard) std::cout << "standard attention skipped: " << no_cublas << "\n\n";

  report::Table table{"Attention forward: flash vs standard (" + session.gpu.props().name + ")",
                      {"N", "D", "causal", "B x H", "dtype", "standard ms", "flash ms", "speedup", "flash TFLOP/s",
                       "standard TFLOP/s", "scores standard", "scores flash", "flash rel err", "checked against",
                       "flash config"},
                      {}, {}, {"scores standard", "scores flash", "checked against", "flash config"}};
  std::map<std::string, report::Series> series;  // by name, so the legend is sorted
  bool all_ok = true;
  std::vector<std::string> skipped;  // why standard attention did not run, a line per shape
  for (const auto& shape : shapes) {
    spdlog::info("attention {}", shape.to_string());
    const ShapeResult r = measure(session, config, setup, shape, options.tune, with_standard);
    const double flops = attention_flops(shape);
    const int64_t lse_bytes = dim(shape, "B") * dim(shape, "H") * dim(shape, "N") * 4;
    std::vector<std::string> row = {std::to_string(dim(shape, "N")), std::to_string(dim(shape, "D")),
                                    is_causal(shape) ? "yes" : "no",
                                    fmt::format("{}x{}", dim(shape, "B"), dim(shape, "H")),
                                    std::string(dtype_name(shape.dtype))};
    const auto& st = r.standard;
    // "out of memory: S and P need ..." keeps the column narrow: the cell says what, a note why.
    const size_t colon = st.status.find(": ");
    if (!st.timing && colon != std::string::npos) {
      const std::string why = fmt::format("standard at N={}, D={}: {}", dim(shape, "N"), dim(shape, "D"), st.status);
      if (std::find(skipped.begin(), skipped.end(), why) == skipped.end()) skipped.push_back(why);  // causal too
    }
    const std::string std_ms = st.timing ? fmt(st.timing->median_ms, 3)
                               : st.status.empty() ? "-"
                                                   : st.status.substr(0, colon);
    const std::string scores_std = fmt_bytes(st.score_bytes) + (st.timing ? "" : " (not run)");
    const std::string scores_flash = "0 (lse " + fmt_bytes(lse_bytes) + ")";
    if (!r.flash_ok) {
      all_ok = false;
      row.insert(row.end(), {std_ms, "WRONG", "-", "-", "-", scores_std, scores_flash, sci(r.flash_err),
                             r.checked_against, r.flash_config});
      add_row(table, row);
      continue;
    }
    const double flash_tflops = flops / (r.flash.median_ms * 1e9);
    const double std_tflops = st.timing ? flops / (st.timing->median_ms * 1e9) : 0;
    row.insert(row.end(),
               {std_ms, fmt(r.flash.median_ms, 3), st.timing ? fmt(st.timing->median_ms / r.flash.median_ms, 2) + "x" : "-",
                fmt(flash_tflops, 1), st.timing ? fmt(std_tflops, 1) : "-", scores_std, scores_flash,
                sci(r.flash_err), r.checked_against, r.flash_config + " (" + r.flash_source + ")"});
    add_row(table, row);
    const double n = static_cast<double>(dim(shape, "N"));
    auto& fs = series[series_name(shape, "flash")];
    fs.name = series_name(shape, "flash");
    fs.points.emplace_back(n, flash_tflops);
    if (st.timing) {
      auto& ss = series[series_name(shape, "standard")];
      ss.name = series_name(shape, "standard");
      ss.dashed = true;
      ss.points.emplace_back(n, std_tflops);
    }
  }
  table.notes = {
      "TFLOP/s counts 4*B*H*N^2*D (half when causal) over the median time; L2 flushed before each repetition.",
      "standard = cuBLAS S = scale*QK^T (f32), causal mask, our fused softmax (f32), cast, cuBLAS O = PV.",
      "scores standard = S and P in device memory (f32 each); flash keeps scores on chip, writes lse only.",
      fmt::format("flash rel err = ||o - ref||/||ref|| against float64 (bar {:.0e}); sampled rows above {:.0e} flops,",
                  kMaxRelativeError, kFullReferenceFlops),
      "  and flash vs standard over all of O where standard fits.",
      "Peers on the same card (FlashAttention-2, cuDNN, Triton, PyTorch): bench/run.py --ops attention",
      "Run: " + describe_run(session.gpu)};
  table.notes.insert(table.notes.end(), skipped.begin(), skipped.end());

  report::Chart chart{"Attention forward TFLOP/s (" + session.gpu.props().name + ")", "sequence length N",
                      "TFLOP/s", report::Scale::log2, report::Scale::linear, {}, {}};
  for (auto& [name, s] : series) chart.series.push_back(s);
  const auto& card = session.gpu.props().name;
  if (card.find("H100") != std::string::npos || card.find("H200") != std::string::npos)
    chart.hlines = {{989, "dense f16 tensor peak (datasheet)"}};

  std::cout << report::render_text(table, lesson_table_width()) << "\n" << kLesson << "\n\n";
  std::cout << "The lesson's code, one flash kernel file per space (in " << options.kernels_dir.string()
            << "; wgmma and wgmma_ws need sm_90a):\n"
            << lesson_code(*config.find_variant("flash"), options.kernels_dir, options.show_source)
            << "Standard attention: cuBLAS, the softmax lesson's kernels and " << kStandardAttentionKernels << "\n";

  const report::ResultsDir out(options.results_dir.value_or(report::default_results_dir("flash-attention")));
  write_html_report(options, out, "Tutorial 3: flash attention",
                    {write_table_and_chart(out, "flash_attention", "Flash vs standard attention",
                                           describe_run(session.gpu), table, chart),
                     lesson_section(kLesson)});
  std::cout << "results written to " << out.path().string() << "\n";
  return all_ok ? 0 : 1;
}

}  // namespace kpg
