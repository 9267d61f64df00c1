// The reports as a browser draws them, in headless Chromium (Debian package `chromium`;
// scripts/test.sh installs it; without it these tests skip, and fail when CI is set):
// - every chart kind the lessons and `kpg tune --html` write (fed with fixed data, no GPU)
//   and the theory roofline of `kpg tutorial memory-analysis --theory`, laid out by the
//   browser: each text element's rendered box must lie inside its SVG's viewport and
//   overlap no other text of that SVG (a script computes the boxes, --dump-dom returns them);
// - a sample HTML report, screenshot taken. Set KPG_SCREENSHOT_DIR to keep the pages and
//   the screenshot there for a look.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "report/html_report.hpp"
#include "report/results_dir.hpp"
#include "report/svg_chart.hpp"
#include "report/tuning_heat_map.hpp"
#include "tutorials/memory/memory_analysis.hpp"
#include "tutorials/memory/roofline.hpp"
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

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class HtmlRender : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = find_chromium();
    if (chromium_.empty()) {
      if (std::getenv("CI")) FAIL() << "chromium is not installed (scripts/test.sh installs it)";
      GTEST_SKIP() << "chromium is not installed (apt-get install -y chromium): reports not rendered";
    }
    dir_ = fs::temp_directory_path() / ("kpg-html-render-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Runs chromium on `page` (a file in dir_) with `flags`; returns its standard output.
  std::string chromium(const std::string& page, const std::string& flags) {
    const fs::path out = dir_ / (page + ".out"), log = dir_ / (page + ".log");
    const std::string command = "timeout 90 '" + chromium_.string() +
                                "' --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir='" +
                                (dir_ / "profile").string() + "' " + flags + " 'file://" + (dir_ / page).string() +
                                "' > '" + out.string() + "' 2> '" + log.string() + "'";
    const int status = std::system(command.c_str());
    EXPECT_EQ(status, 0) << command << "\n" << read_file(log);
    keep(page);
    return read_file(out);
  }

  void keep(const std::string& name) const {
    if (const char* where = std::getenv("KPG_SCREENSHOT_DIR")) {
      fs::create_directories(where);
      if (fs::exists(dir_ / name)) fs::copy_file(dir_ / name, fs::path(where) / name, fs::copy_options::overwrite_existing);
    }
  }

  struct TextBox {
    std::string text;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  };
  struct SvgLayout {
    std::string title;
    double width = 0, height = 0;
    std::vector<TextBox> texts;
  };

  // Each SVG as the browser laid it out: its size and every <text>'s box, relative to the
  // SVG's top-left corner.
  std::vector<SvgLayout> layout(const std::string& page, const std::vector<std::string>& svgs) {
    std::string html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{margin:0} div{margin:8px}"
                       "</style></head><body>\n";
    for (const auto& svg : svgs) html += "<div>" + svg + "</div>\n";
    html += R"(<pre id="layout"></pre><script>
const lines = [];
document.querySelectorAll('div > svg').forEach((svg, i) => {
  const r = svg.getBoundingClientRect();
  const title = svg.querySelector('title');
  lines.push(['svg', i, r.width, r.height, title ? title.textContent : ''].join('\t'));
  svg.querySelectorAll('text').forEach(t => {
    const b = t.getBoundingClientRect();
    lines.push(['text', i, b.left - r.left, b.top - r.top, b.right - r.left, b.bottom - r.top,
                t.textContent.replace(/\s+/g, ' ')].join('\t'));
  });
});
document.getElementById('layout').textContent = lines.join('\n');
</script></body></html>
)";
    report::ResultsDir(dir_).write(page, html);
    const std::string dom = chromium(page, "--dump-dom");
    const size_t begin = dom.find("<pre id=\"layout\">"), end = dom.find("</pre>", begin);
    if (begin == std::string::npos || end == std::string::npos) {
      ADD_FAILURE() << "no layout in chromium's DOM:\n" << dom.substr(0, 2000);
      return {};
    }
    std::string text = dom.substr(begin + 17, end - begin - 17);
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}})
      for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) text.replace(at, from.size(), to);
    std::vector<SvgLayout> svgs_out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      std::vector<std::string> f;
      std::istringstream fields(line);
      for (std::string field; std::getline(fields, field, '\t');) f.push_back(field);
      if (f.size() >= 4 && f[0] == "svg") svgs_out.push_back({f.size() > 4 ? f[4] : "", std::stod(f[2]), std::stod(f[3]), {}});
      if (f.size() >= 6 && f[0] == "text" && !svgs_out.empty())
        svgs_out.back().texts.push_back({f.size() > 6 ? f[6] : "", std::stod(f[2]), std::stod(f[3]), std::stod(f[4]), std::stod(f[5])});
    }
    EXPECT_EQ(svgs_out.size(), svgs.size()) << "SVGs laid out";
    return svgs_out;
  }

  // Text outside the viewport (clipped) and pairs of texts whose boxes overlap.
  static std::vector<std::string> problems(const SvgLayout& svg) {
    constexpr double kSlack = 0.5;  // sub-pixel rounding
    std::vector<std::string> out;
    for (const auto& t : svg.texts)
      if (t.x0 < -kSlack || t.y0 < -kSlack || t.x1 > svg.width + kSlack || t.y1 > svg.height + kSlack)
        out.push_back("clipped: '" + t.text + "' at [" + std::to_string(t.x0) + ", " + std::to_string(t.y0) + " - " +
                      std::to_string(t.x1) + ", " + std::to_string(t.y1) + "] in " + std::to_string(svg.width) + "x" +
                      std::to_string(svg.height));
    for (size_t i = 0; i < svg.texts.size(); ++i)
      for (size_t j = i + 1; j < svg.texts.size(); ++j) {
        const auto &a = svg.texts[i], &b = svg.texts[j];
        const double w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0), h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
        if (w > kSlack && h > kSlack) out.push_back("overlap: '" + a.text + "' and '" + b.text + "'");
      }
    return out;
  }

  void expect_readable(const std::string& page, const std::vector<std::string>& svgs) {
    const auto laid_out = layout(page, svgs);
    for (const auto& svg : laid_out) {
      EXPECT_FALSE(svg.texts.empty()) << svg.title;
      for (const auto& p : problems(svg)) ADD_FAILURE() << svg.title << ": " << p;
    }
  }

  fs::path chromium_, dir_;
};

// ---------------------------------------------------------------- fixed data, one chart per kind

// Lesson 1: fused, unfused and the copy of the same bytes over N (log2).
report::Chart softmax_chart() {
  report::Chart c{"Softmax bandwidth, M=4096", "N (columns)", "GB/s", report::Scale::log2, report::Scale::linear, {}, {}};
  report::Series fused{"fused", {}, "#1f77b4", false}, unfused{"unfused", {}, "#d62728", false};
  report::Series copy{"copy of the same bytes", {}, "#7f7f7f", true};
  for (int n : {256, 781, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072}) {
    fused.points.emplace_back(n, 1800 + 300 * std::log2(n / 256.0));
    unfused.points.emplace_back(n, 600 + 40 * std::log2(n / 256.0));
    copy.points.emplace_back(n, 2900 + 10 * std::log2(n / 256.0));
  }
  c.series = {fused, unfused, copy};
  return c;
}

// Lesson 2: three series per dtype.
report::Chart layernorm_chart() {
  report::Chart c{"layernorm bandwidth", "N (hidden size)", "GB/s", report::Scale::log2, report::Scale::linear, {}, {}};
  for (const char* kind : {"fused", "unfused", "copy of the same bytes"})
    for (const char* dt : {"f32", "f16", "bf16"}) {
      report::Series s{std::string(kind) + " " + dt, {}, std::string(kind) == "copy of the same bytes" ? "#7f7f7f" : "",
                       std::string(kind) != "fused"};
      for (int n : {768, 1024, 4096, 8192, 12288}) s.points.emplace_back(n, 1000 + n / 10.0 + (kind[0] == 'u' ? -500 : 0));
      c.series.push_back(s);
    }
  return c;
}

// Lesson 3: flash and standard per head dim, the datasheet peak as a reference line.
report::Chart attention_chart() {
  report::Chart c{"Attention forward TFLOP/s (NVIDIA H100 80GB HBM3)", "sequence length N", "TFLOP/s",
                  report::Scale::log2, report::Scale::linear, {}, {{989, "dense f16 tensor peak (datasheet)"}}};
  for (const char* what : {"flash", "standard"})
    for (const char* d : {"D=64", "D=128", "D=64 causal", "D=128 causal"}) {
      report::Series s{std::string(what) + " " + d, {}, "", std::string(what) == "standard"};
      for (int n : {512, 1024, 2048, 4096, 8192, 16384}) s.points.emplace_back(n, (what[0] == 'f' ? 400 : 150) + n / 100.0);
      c.series.push_back(s);
    }
  return c;
}

// Lesson 4 on a GPU: measured points beside unmeasured per-kernel ones, a measured roof.
memory::Roofline measured_roofline() {
  memory::Roofline r{"Roofline, attention B=4,CAUSAL=0,D=64,H=32,N=4096,dtype=f16", 3020, "copy of the op's bytes, measured",
                     {{"FP32 FMA, measured", 51000}, {"FP16 tensor core, datasheet", 989000}}, {}};
  r.points = {{"eager (all kernels, measured)", 12.5, 45000.0, 1},
              {"flash (all kernels, measured)", 2048, 610000.0, 1},
              {"eager gemm_qk (S = Q K^T)", 62, std::nullopt, 1},
              {"eager softmax (P = softmax(S))", 1.25, std::nullopt, 0},
              {"eager gemm_pv (O = P V)", 62, std::nullopt, 1}};
  return r;
}

// `kpg tune --html`: through tuning_heat_map, from recorded timings; one candidate failed.
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
      rec.ok = ms[t][u] > 0;
      rec.median_ms = ms[t][u];
      r.records.push_back(rec);
    }
  const auto map = report::tuning_heat_map(v, r);
  if (!map) throw std::runtime_error("tuning_heat_map gave no map for a full grid");
  return *map;
}

// ---------------------------------------------------------------- the checker itself

TEST_F(HtmlRender, TheCheckFindsClippedAndOverlappingText) {
  const std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\" viewBox=\"0 0 200 100\">"
      "<title>bad</title><text x=\"10\" y=\"20\" font-size=\"12\">fits</text>"
      "<text x=\"150\" y=\"60\" font-size=\"12\">runs past the right edge</text>"
      "<text x=\"10\" y=\"90\" font-size=\"12\">first</text><text x=\"20\" y=\"92\" font-size=\"12\">second</text>"
      "</svg>";
  const auto laid_out = layout("bad.html", {svg});
  ASSERT_EQ(laid_out.size(), 1u);
  ASSERT_EQ(laid_out[0].texts.size(), 4u);
  const auto found = problems(laid_out[0]);
  std::string all;
  for (const auto& p : found) all += p + "\n";
  EXPECT_EQ(found.size(), 2u) << all;
  EXPECT_NE(all.find("clipped: 'runs past the right edge'"), std::string::npos) << all;
  EXPECT_NE(all.find("overlap: 'first' and 'second'"), std::string::npos) << all;
  EXPECT_EQ(all.find("'fits'"), std::string::npos) << all;
}

// ---------------------------------------------------------------- the charts kpg writes

TEST_F(HtmlRender, EveryChartKindKeepsItsTextInsideAndApart) {
  expect_readable("charts.html", {report::render_svg(softmax_chart()), report::render_svg(layernorm_chart()),
                                  report::render_svg(attention_chart()),
                                  memory::render_roofline_svg(measured_roofline()),
                                  report::render_svg(sample_heat_map())});
}

TEST_F(HtmlRender, TheTheoryRooflinesKeepTheirTextInsideAndApart) {
  // `kpg tutorial memory-analysis --theory --card CARD` as a user runs it, on the shipped configs.
  for (const char* card : {"h100", "a100"}) {
    TutorialOptions options;
    options.kernels_dir = KPG_TEST_KERNELS_DIR;
    options.configs_dir = KPG_TEST_CONFIGS_DIR;
    options.results_dir = dir_ / card;
    testing::internal::CaptureStdout();
    const int status = run_memory_analysis_theory(card, options);
    testing::internal::GetCapturedStdout();
    ASSERT_EQ(status, 0);
    std::vector<std::string> svgs;
    for (const char* op : {"softmax", "layernorm", "attention"}) {
      const fs::path svg = dir_ / card / (std::string(op) + "_roofline.svg");
      ASSERT_TRUE(fs::exists(svg)) << svg;
      svgs.push_back(read_file(svg));
    }
    expect_readable(std::string("theory-") + card + ".html", svgs);
  }
}

// ---------------------------------------------------------------- a whole report

report::Table sample_table() {
  return {"bias_gelu/fused at M=16384,N=3072,dtype=f16",
          {"rank", "config", "median ms", "GB/s", "vs default"},
          {{"1", "fused:THREADS=256,UNROLL=4", "0.0712", "2828", "1.08x"},
           {"2", "fused:THREADS=512,UNROLL=2", "0.0725", "2777", "1.06x"},
           {"3", "fused:THREADS=128,UNROLL=1", "0.0951", "2117", "0.81x"}},
          {"GB/s counts x read once and y written once.", "1 candidates failed: wrong result"}};
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

TEST_F(HtmlRender, ChromiumDrawsTheSampleReport) {
  const std::vector<report::HtmlSection> sections = {
      {"Fused vs unfused", "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs), CUDA driver 13.0, 2026-11-25 (sample data)",
       {sample_table()}, {report::render_svg(softmax_chart())}, ""},
      {"Tuning landscape", "Median time of each (THREADS, UNROLL) pair; grey: failed or pruned.", {},
       {report::render_svg(sample_heat_map())}, ""},
      lesson_section("Why fusion wins here\n  The eager pair writes x + bias to memory and reads it back:\n"
                     "  twice the bytes of the fused kernel.\n\n  Both are memory-bound."),
      {"The kernel", "", {}, {}, "y[i] = gelu_tanh(x[i] + bias[i % N]);"}};
  report::ResultsDir(dir_).write("report.html", report::render_html("kpg sample report", sections));
  const fs::path png = dir_ / "report.png";
  chromium("report.html", "--screenshot='" + png.string() + "' --window-size=1280,1600");
  ASSERT_TRUE(fs::exists(png)) << "no screenshot";
  // A blank 1280x1600 page compresses to a few KB; tables, charts and text give far more.
  EXPECT_GT(fs::file_size(png), 40u * 1024) << "screenshot is nearly empty: " << png;
  EXPECT_EQ(png_size(png), (std::pair<uint32_t, uint32_t>{1280, 1600}));
  keep("report.png");
}

}  // namespace
}  // namespace kpg
