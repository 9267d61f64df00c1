#include "cli/watch/round_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tuner/space.hpp"

namespace kpg {

std::string time_change(const std::optional<TimedRun>& before, const TimedRun& now) {
  if (!before) return fmt::format("{:.4f} ms", now.median_ms);
  std::string out = fmt::format("{:.4f} ms -> {:.4f} ms  ", before->median_ms, now.median_ms);
  const double pct = before->median_ms > 0 ? (before->median_ms - now.median_ms) / before->median_ms * 100 : 0;
  if (std::abs(pct) < 0.05) {
    out += "(no change";
  } else {
    out += fmt::format("({:.1f}% {}", std::abs(pct), pct > 0 ? "faster" : "slower");
  }
  const double spread = std::max(before->spread_pct, now.spread_pct);
  if (std::abs(pct) >= 0.05 && std::abs(pct) <= spread) out += fmt::format(", within noise: spread {:.1f}%", spread);
  return out + ")";
}

std::string compile_change(const std::optional<double>& before_ms, const CompiledKernel& now) {
  std::string out = fmt::format("compiled in {} (cubin cache {})", format_duration_ms(now.compile_ms),
                                now.cache_hit ? "hit" : "miss");
  if (before_ms) out += "; last round " + format_duration_ms(*before_ms);
  return out;
}

namespace {

// "softmax_warp" names the kernel "softmax_warp", "softmax_warp(float const*, ...)" or "softmax_warp<4>(...)".
bool names(const std::string& launched, const KernelResources& k) {
  if (k.kernel == launched) return true;
  const std::string readable = demangle(k.kernel);
  return readable.size() > launched.size() && readable.compare(0, launched.size(), launched) == 0 &&
         (readable[launched.size()] == '(' || readable[launched.size()] == '<');
}

}  // namespace

std::string resource_summary(const std::vector<KernelResources>& all, const std::vector<std::string>& launched) {
  std::vector<KernelResources> kernels;
  for (const auto& k : all)
    if (launched.empty() || std::any_of(launched.begin(), launched.end(), [&](const auto& n) { return names(n, k); }))
      kernels.push_back(k);
  if (kernels.empty()) kernels = all;
  if (kernels.empty()) return "no resource report";
  std::string regs;
  int spill_bytes = 0, stack_bytes = 0;
  bool spills_known = true;
  for (const auto& k : kernels) {
    if (!regs.empty()) regs += ", ";
    regs += kernels.size() == 1 ? format_resource(k.registers) : demangle(k.kernel) + " " + format_resource(k.registers);
    if (k.spill_store_bytes < 0 || k.spill_load_bytes < 0) spills_known = false;
    spill_bytes += std::max(0, k.spill_store_bytes) + std::max(0, k.spill_load_bytes);
    stack_bytes += std::max(0, k.stack_bytes);
  }
  std::string out = regs + " registers, ";
  if (spill_bytes > 0) {
    out += fmt::format("SPILLS {} B (stack {} B)", spill_bytes, stack_bytes);
  } else {
    out += spills_known ? "no spills" : "spills unknown";
  }
  return out;
}

std::string format_duration_ms(double ms) {
  if (ms < 10) return fmt::format("{:.1f} ms", ms);
  return ms < 10000 ? fmt::format("{:.0f} ms", ms) : fmt::format("{:.1f} s", ms / 1000);
}

std::string file_names(const std::set<std::filesystem::path>& files) {
  std::string out;
  for (const auto& f : files) out += (out.empty() ? "" : ", ") + f.filename().string();
  return out;
}

std::string params_of(const std::string& candidate_id) {
  const std::string_view params = params_of_candidate_id(candidate_id);
  return params.empty() ? "no params" : std::string(params);
}

}  // namespace kpg
