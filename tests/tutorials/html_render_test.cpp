// The HTML report as a browser draws it: a sample report (tables, a line chart, a tuning
// heat map, lesson text, code) opened in headless Chromium, screenshot taken. Skips with
// the reason when no chromium is installed (Debian package `chromium`). Set
// KPG_SCREENSHOT_DIR to keep report.html and report.png there for a look.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "report/html_report.hpp"
#include "report/results_dir.hpp"
#include "report/svg_chart.hpp"
#include "report/tuning_heat_map.hpp"
#include "tutorials/tutorial.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

// The first chromium on PATH, or empty.
fs::path find_chromium() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    for (const char* name : {"chromium", "chromium-browser"}) {
      const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return {};
}

report::Table sample_table() {
  return {"bias_gelu/fused at M=16384,N=3072,dtype=f16",
          {"rank", "config", "median ms", "GB/s", "vs default"},
          {{"1", "fused:THREADS=256,UNROLL=4", "0.0712", "2828", "1.08x"},
           {"2", "fused:THREADS=512,UNROLL=2", "0.0725", "2777", "1.06x"},
           {"3", "fused:THREADS=128,UNROLL=1", "0.0951", "2117", "0.81x"}},
          {"GB/s counts x read once and y written once.", "1 candidates failed: wrong result"}};
}

report::Chart sample_chart() {
  report::Chart c{"Bias + GELU bandwidth", "N (columns)", "GB/s", true, false, {}, {{3005, "copy bandwidth"}}};
  c.series = {{"fused", {{768, 2300}, {3072, 2800}, {12288, 2900}}, "", false},
              {"unfused", {{768, 1200}, {3072, 1400}, {12288, 1450}}, "", true}};
  return c;
}

// Through tuning_heat_map, as `kpg tune --html` builds it, from recorded timings.
report::HeatMap sample_heat_map() {
  VariantSpec v;
  v.name = "fused";
  SpaceSpec s;
  s.name = "fused";
  s.params = {{"THREADS", {128, 256, 512}}, {"UNROLL", {1, 2, 4}}};
  v.spaces.push_back(s);
  TuneResult r;
  r.op = "bias_gelu";
  r.variant = "fused";
  r.shape = Shape{{{"M", 16384}, {"N", 3072}}, DType::f16};
  const double ms[3][3] = {{0.0951, 0.0803, 0.0774}, {0.0820, 0.0751, 0.0712}, {0.0760, 0.0725, -1}};
  for (int t = 0; t < 3; ++t)
    for (int u = 0; u < 3; ++u) {
      TuneRecord rec;
      rec.params = {{"THREADS", 128 << t}, {"UNROLL", 1 << u}};
      rec.candidate_id = "fused:THREADS=" + std::to_string(128 << t) + ",UNROLL=" + std::to_string(1 << u);
      rec.ok = ms[t][u] > 0;  // one failed candidate: a grey cell
      rec.median_ms = ms[t][u];
      r.records.push_back(rec);
    }
  const auto map = report::tuning_heat_map(v, r);
  if (!map) throw std::runtime_error("tuning_heat_map gave no map for a full grid");
  return *map;
}

std::string sample_report() {
  const std::vector<report::HtmlSection> sections = {
      {"Fused vs unfused", "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs), CUDA driver 13.0, 2026-11-25 (sample data)",
       {sample_table()}, {report::render_svg(sample_chart())}, ""},
      {"Tuning landscape", "Median time of each (THREADS, UNROLL) pair; grey: failed or pruned.", {},
       {report::render_svg(sample_heat_map())}, ""},
      lesson_section("Why fusion wins here\n  The eager pair writes x + bias to memory and reads it back:\n"
                     "  twice the bytes of the fused kernel.\n\n  Both are memory-bound."),
      {"The kernel", "", {}, {}, "y[i] = gelu_tanh(x[i] + bias[i % N]);"}};
  return report::render_html("kpg sample report", sections);
}

int64_t bytes_on_disk(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? -1 : static_cast<int64_t>(n);
}

// PNG width and height from the IHDR chunk (big-endian, bytes 16..23).
std::pair<uint32_t, uint32_t> png_size(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  unsigned char h[24] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (in.gcount() != sizeof h || h[1] != 'P' || h[2] != 'N' || h[3] != 'G') return {0, 0};
  auto be32 = [&](int at) {
    return (uint32_t{h[at]} << 24) | (uint32_t{h[at + 1]} << 16) | (uint32_t{h[at + 2]} << 8) | uint32_t{h[at + 3]};
  };
  return {be32(16), be32(20)};
}

TEST(HtmlRender, ChromiumDrawsTheSampleReport) {
  const fs::path chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install -y chromium): report not rendered";

  const fs::path dir = fs::temp_directory_path() / ("kpg-html-render-" + std::to_string(::getpid()));
  const report::ResultsDir out(dir);
  out.write("report.html", sample_report());
  const fs::path html = dir / "report.html", png = dir / "report.png";
  const std::string command = "timeout 90 '" + chromium.string() +
                              "' --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir='" +
                              (dir / "profile").string() + "' --screenshot='" + png.string() +
                              "' --window-size=1280,1600 'file://" + html.string() + "' > '" +
                              (dir / "chromium.log").string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream log_in(dir / "chromium.log");
  const std::string log((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());

  EXPECT_EQ(status, 0) << command << "\n" << log;
  ASSERT_TRUE(fs::exists(png)) << "no screenshot; chromium said:\n" << log;
  // A blank 1280x1600 page compresses to a few KB; tables, charts and text give far more.
  EXPECT_GT(bytes_on_disk(png), 40 * 1024) << "screenshot is nearly empty: " << png;
  EXPECT_EQ(png_size(png), (std::pair<uint32_t, uint32_t>{1280, 1600}));

  if (const char* keep = std::getenv("KPG_SCREENSHOT_DIR")) {
    fs::create_directories(keep);
    fs::copy_file(png, fs::path(keep) / "report.png", fs::copy_options::overwrite_existing);
    fs::copy_file(html, fs::path(keep) / "report.html", fs::copy_options::overwrite_existing);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace kpg
