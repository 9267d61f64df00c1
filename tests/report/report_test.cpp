// The report writers: text table layout, CSV/JSON forms, well-formed SVG and HTML, and
// atomic result files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "runtime/error.hpp"
#include "report/axis.hpp"
#include "report/html_report.hpp"
#include "report/json_csv.hpp"
#include "report/results_dir.hpp"
#include "report/svg_chart.hpp"
#include "report/svg_writer.hpp"
#include "report/table.hpp"
#include "report/text_format.hpp"

namespace kpg::report {
namespace {

namespace fs = std::filesystem;

// Minimal XML well-formedness: balanced, properly nested tags, quoted attributes, and
// every '&' starting a valid entity. Returns an empty string when fine, else the problem.
std::string xml_problem(const std::string& s) {
  static const std::regex entity("^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);");
  auto check_text = [&](size_t from, size_t to) -> std::string {
    for (size_t i = from; i < to; ++i)
      if (s[i] == '&' && !std::regex_search(s.begin() + static_cast<long>(i), s.begin() + static_cast<long>(to), entity))
        return "bad entity at " + std::to_string(i);
    return "";
  };
  std::vector<std::string> open;
  int roots = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t lt = s.find('<', i);
    const size_t text_end = lt == std::string::npos ? s.size() : lt;
    if (auto p = check_text(i, text_end); !p.empty()) return p;
    if (s.find('>', i) < text_end) return "stray '>' at " + std::to_string(s.find('>', i));
    if (lt == std::string::npos) break;
    if (s.compare(lt, 4, "<!--") == 0 || s.compare(lt, 2, "<?") == 0) {
      const size_t end = s.find(s[lt + 1] == '?' ? "?>" : "-->", lt);
      if (end == std::string::npos) return "unterminated comment";
      i = end + 2;
      continue;
    }
    static const std::regex tag(R"(^<(/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(/?)>)");
    std::smatch m;
    if (!std::regex_search(s.cbegin() + static_cast<long>(lt), s.cend(), m, tag))
      return "malformed tag at " + std::to_string(lt) + ": " + s.substr(lt, 40);
    if (auto p = check_text(lt, lt + m.length(0)); !p.empty()) return p;
    const std::string name = m[2];
    if (m[1] == "/") {
      if (open.empty() || open.back() != name) return "unexpected </" + name + ">";
      open.pop_back();
    } else {
      if (open.empty()) ++roots;
      if (m[4] != "/") open.push_back(name);
    }
    i = lt + static_cast<size_t>(m.length(0));
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return roots == 1 ? "" : std::to_string(roots) + " root elements";
}

// xmllint as a second opinion where it is installed.
void expect_xmllint_accepts(const std::string& xml) {
  if (std::system("command -v xmllint >/dev/null 2>&1") != 0) return;
  const fs::path file = fs::temp_directory_path() / ("kpg_report_test_" + std::to_string(::getpid()) + ".svg");
  std::ofstream(file) << xml;
  EXPECT_EQ(std::system(("xmllint --noout " + file.string()).c_str()), 0);
  fs::remove(file);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Table sample_table() {
  return Table{"Softmax <fused> & unfused",
               {"shape", "dtype", "fused ms", "speedup", "config"},
               {{"4096x781", "f32", "0.0123", "2.31x", "VEC=4, WARPS=8"},
                {"4096x4096", "f16", "1.5", "12.0x", "BLOCK=256"},
                {"128x128", "bf16", "-", "-", "WRONG"}},
               {"Median of 100 reps.", "Copy ceiling: 3000 GB/s."}};
}

Chart sample_chart() {
  Chart chart{"Softmax bandwidth <M=4096> & more", "N (columns)", "GB/s", Scale::log2, Scale::linear, {}, {}};
  chart.series.push_back({"fused f16", {{256, 900}, {1024, 2100}, {4096, 2700}, {16384, 2850}, {512, 1500}}, "", false});
  chart.series.push_back({"unfused f16", {{256, 300}, {512, 420}, {1024, 650}, {4096, 800}, {16384, 820}}, "", true});
  chart.hlines = {{3000, "copy bandwidth"}};
  return chart;
}

HeatMap sample_heat_map() {
  HeatMap map{"Softmax time by <VEC> x WARPS", "VEC", "WARPS", {"1", "2", "4", "8"}, {"1", "2", "4", "8"}, {}, "ms", true};
  for (int r = 0; r < 4; ++r) {
    std::vector<std::optional<double>> row;
    for (int c = 0; c < 4; ++c)
      row.push_back((r == 3 && c == 3) ? std::nullopt : std::optional<double>(0.05 + 0.02 * std::abs(r - 1) + 0.013 * std::abs(c - 2)));
    map.cells.push_back(row);
  }
  return map;
}

TEST(TextFormat, RecognisesNumbers) {
  EXPECT_EQ(parse_number("12"), 12.0);
  EXPECT_EQ(parse_number("-0.5"), -0.5);
  EXPECT_EQ(parse_number("1e-3"), 1e-3);
  EXPECT_EQ(parse_number("+7"), 7.0);
  EXPECT_EQ(parse_number(".5"), 0.5);
  for (const char* s : {"", "2.31x", "0x10", "inf", "nan", "1e999", "12.", "1 2", "-"})
    EXPECT_FALSE(parse_number(s)) << s;
  EXPECT_TRUE(looks_numeric("2.31x"));
  EXPECT_TRUE(looks_numeric("87.5%"));
  EXPECT_TRUE(looks_numeric("12 MiB"));
  EXPECT_FALSE(looks_numeric("4096x781"));
  EXPECT_FALSE(looks_numeric("f16"));
  EXPECT_EQ(format_number(1234.5678), "1235");
  EXPECT_EQ(format_number(0.012345), "0.01235");
  EXPECT_EQ(format_number(2.5), "2.5");
  EXPECT_EQ(format_number(3e9), "3e+09");
  EXPECT_EQ(xml_escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
}

TEST(Table, TextAlignsColumnsAndRightAlignsNumbers) {
  const std::string text = render_text(sample_table());
  const auto lines = lines_of(text);
  ASSERT_GE(lines.size(), 8u);
  EXPECT_EQ(lines[0], "Softmax <fused> & unfused");
  // Every line of the box has the same width and starts/ends with a border.
  for (size_t i = 1; i <= 7; ++i) {
    EXPECT_EQ(lines[i].size(), lines[1].size()) << lines[i];
    EXPECT_TRUE(lines[i].front() == '+' || lines[i].front() == '|') << lines[i];
  }
  EXPECT_EQ(lines[1].find_first_not_of("+-"), std::string::npos);
  // "fused ms" is numeric (placeholders ignored): right-aligned; "shape" is text: left-aligned.
  EXPECT_NE(lines[2].find("| fused ms |"), std::string::npos) << lines[2];
  EXPECT_NE(lines[4].find("|   0.0123 |"), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("|      1.5 |"), std::string::npos) << lines[5];
  EXPECT_NE(lines[6].find("|        - |"), std::string::npos) << lines[6];
  EXPECT_NE(lines[4].find("| 4096x781  |"), std::string::npos) << lines[4];
  EXPECT_NE(text.find("  Median of 100 reps.\n"), std::string::npos);
}

TEST(Table, WideTablesWrapToFit) {
  Table t{"wide", {"name", "description"}, {{"a", std::string(150, 'x')}, {"b", "short words, then more words, " + std::string(100, 'y')}}, {}};
  const auto lines = lines_of(render_text(t, 120));
  for (const auto& line : lines) EXPECT_LE(line.size(), 120u) << line;
  std::string joined;
  for (const auto& line : lines) joined += line;
  EXPECT_NE(joined.find("xxxxxxxxxx"), std::string::npos);  // content kept, only wrapped
  EXPECT_GT(lines.size(), 7u);
}

// Not a terminal (ctest captures stdout): no limit unless $COLUMNS says otherwise.
TEST(Table, OutputWidthFollowsColumnsWhenNotATerminal) {
  if (isatty(STDOUT_FILENO)) GTEST_SKIP() << "standard output is a terminal here";
  const char* saved = std::getenv("COLUMNS");
  const std::string restore = saved ? saved : "";
  unsetenv("COLUMNS");
  EXPECT_GT(output_width(), 1000u);
  setenv("COLUMNS", "90", 1);
  EXPECT_EQ(output_width(), 90u);
  Table t{"wide", {"name", "description"}, {{"a", std::string(150, 'x')}}, {}};
  for (const auto& line : lines_of(render_text(t))) EXPECT_LE(line.size(), 90u) << line;
  if (saved) setenv("COLUMNS", restore.c_str(), 1);
  else unsetenv("COLUMNS");
}

// The attention lesson's table: 15 columns, four of them long, printed below the row.
Table attention_like_table() {
  Table t{"Attention forward: flash vs standard (NVIDIA H100 80GB HBM3)",
          {"N", "D", "causal", "B x H", "dtype", "standard ms", "flash ms", "speedup", "flash TFLOP/s",
           "standard TFLOP/s", "scores standard", "scores flash", "flash rel err", "checked against", "flash config"},
          {},
          {"TFLOP/s counts 4*B*H*N^2*D (half when causal) over the median time; L2 flushed before each repetition."},
          {"scores standard", "scores flash", "checked against", "flash config"}};
  t.rows.push_back({"1024", "64", "no", "4x32", "f16", "0.970", "0.097", "10.00x", "355.5", "35.4", "1.07 GB",
                    "0 (lse 524.3 KB)", "2.8e-04", "fp64, all rows + standard",
                    "wgmma_ws:BLOCK_N=128,NUM_WG=3,PERSIST=1,PINGPONG=0,STAGES=3 (tuned now)"});
  t.rows.push_back({"16384", "128", "yes", "4x16", "f16", "out of memory", "4.101", "-", "536.2", "-",
                    "137.4 GB (not run)", "0 (lse 4.2 MB)", "3.1e-04", "fp64, 256 rows", "mma_sync (config default)"});
  return t;
}

TEST(Table, BelowRowColumnsFollowTheirRowAcrossTheTable) {
  Table t = sample_table();
  t.below_row = {"config"};
  const auto lines = lines_of(render_text(t, 100));
  ASSERT_GE(lines.size(), 10u);
  EXPECT_EQ(lines[2].find("config"), std::string::npos) << "not a column any more: " << lines[2];
  // Row, then its config on a line spanning the box.
  EXPECT_NE(lines[4].find("| 4096x781  |"), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("|   config: VEC=4, WARPS=8"), std::string::npos) << lines[5];
  EXPECT_NE(lines[7].find("config: BLOCK=256"), std::string::npos) << lines[7];
  for (size_t i = 1; i < lines.size() && lines[i].front() != ' '; ++i) {
    EXPECT_EQ(lines[i].size(), lines[1].size()) << lines[i];
    EXPECT_EQ(lines[i].back(), lines[i].front() == '+' ? '+' : '|') << lines[i];
  }
  // The report files keep the column.
  EXPECT_NE(to_csv(t).find("VEC=4, WARPS=8"), std::string::npos);
  EXPECT_EQ(to_json(t)[0]["config"], "VEC=4, WARPS=8");
}

TEST(Table, LessonTableFitsAHundredColumnsWithNothingLost) {
  const Table t = attention_like_table();
  const std::string text = render_text(t, 100);
  std::string joined;
  for (const auto& line : lines_of(text)) {
    EXPECT_LE(display_width(line), 100u) << line;
    joined += line + " ";
  }
  for (const char* cell : {"355.5", "10.00x", "2.8e-04", "scores standard: 1.07 GB", "137.4 GB (not run)",
                           "mma_sync (config default)", "scores flash: 0 (lse 524.3 KB)"})
    EXPECT_NE(joined.find(cell), std::string::npos) << cell << " in\n" << text;
  // The long config id wraps between its parameters, never inside one.
  EXPECT_NE(joined.find("PERSIST=1,"), std::string::npos) << text;
}

TEST(Table, BelowRowMustNameAColumn) {
  Table t = sample_table();
  t.below_row = {"confg"};
  EXPECT_THROW(render_text(t), Error);
}

TEST(Table, RowPrintedAsItComesWrapsBetweenCells) {
  const Table t = attention_like_table();
  const auto lines = lines_of(render_row_inline(t, t.rows[0], 100));
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("  N 1024 | D 64 | causal no", 0), 0u) << lines[0];
  std::string joined;
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(display_width(lines[i]), 100u) << lines[i];
    if (i > 0) {
      EXPECT_EQ(lines[i].rfind("    ", 0), 0u) << "continuation indented: " << lines[i];
    }
    joined += lines[i] + "\n";
  }
  // Every "column value" pair short enough for a line stays on one line.
  for (size_t c = 0; c + 1 < t.columns.size(); ++c)
    EXPECT_NE(joined.find(t.columns[c] + " " + t.rows[0][c]), std::string::npos) << t.columns[c];
  // A pair longer than a line wraps inside itself, indented like the rest.
  const auto narrow = lines_of(render_row_inline(t, t.rows[0], 40));
  for (const auto& line : narrow) EXPECT_LE(display_width(line), 40u) << line;
}

TEST(TextFormat, WrapTextBreaksBetweenParametersAndAlwaysProgresses) {
  EXPECT_EQ(wrap_text("VEC=4, WARPS=8", 10), (std::vector<std::string>{"VEC=4,", "WARPS=8"}));
  EXPECT_EQ(wrap_text("abcdef", 4), (std::vector<std::string>{"abcd", "ef"}));
  EXPECT_EQ(wrap_text("% of copy", 4), (std::vector<std::string>{"% of", "copy"}));
  EXPECT_EQ(wrap_text("abc", 0), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(wrap_text("", 5), (std::vector<std::string>{""}));
}

TEST(Table, RowsMustMatchColumns) {
  Table t{"bad", {"a", "b"}, {{"1"}}, {}};
  EXPECT_THROW(render_text(t), Error);
  EXPECT_THROW(to_csv(t), Error);
  EXPECT_THROW(to_json(t), Error);
}

TEST(Csv, QuotesPerRfc4180) {
  const Table t{"t", {"name", "value"}, {{"plain", "a,b"}, {"say \"hi\"", "two\nlines"}}, {"not in csv"}};
  EXPECT_EQ(to_csv(t), "name,value\r\nplain,\"a,b\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
}

TEST(Json, NumbersBecomeNumbers) {
  const Table t{"t", {"shape", "ms", "reps", "speedup", "note", "exp"}, {{"4096x781", "0.0123", "100", "2.31x", "", "1e3"}}, {}};
  const nlohmann::ordered_json j = to_json(t);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0].begin().key(), "shape");  // column order kept
  const nlohmann::json sorted = to_json(t);  // converts for callers that want plain json
  EXPECT_EQ(sorted[0]["reps"], 100);
  ASSERT_EQ(j.size(), 1u);
  const auto& row = j[0];
  EXPECT_TRUE(row["shape"].is_string());
  EXPECT_TRUE(row["ms"].is_number_float());
  EXPECT_DOUBLE_EQ(row["ms"].get<double>(), 0.0123);
  EXPECT_TRUE(row["reps"].is_number_integer());
  EXPECT_EQ(row["reps"].get<int64_t>(), 100);
  EXPECT_EQ(row["speedup"], "2.31x");
  EXPECT_TRUE(row["note"].is_null());
  EXPECT_DOUBLE_EQ(row["exp"].get<double>(), 1000.0);
}

TEST(Axis, LinearTicksAreNice) {
  const Axis a = linear_axis(120, 2950, true);
  EXPECT_EQ(a.lo, 0);
  EXPECT_EQ(a.hi, 3000);
  EXPECT_EQ(a.ticks, (std::vector<double>{0, 500, 1000, 1500, 2000, 2500, 3000}));
  EXPECT_EQ(a.label(1500), "1500");
  const Axis b = linear_axis(0.013, 0.087, false);
  EXPECT_EQ(b.label(b.ticks[1]), "0.02");
}

TEST(Axis, Log2TicksArePowersOfTwo) {
  const Axis a = log_axis(768, 16384, 2);
  EXPECT_EQ(a.lo, 512);
  EXPECT_EQ(a.hi, 16384);
  EXPECT_EQ(a.ticks, (std::vector<double>{512, 1024, 2048, 4096, 8192, 16384}));
  EXPECT_EQ(a.label(1024), "1K");
  EXPECT_EQ(a.label(512), "512");
  EXPECT_EQ(a.label(1048576), "1M");
  EXPECT_LE(log_axis(1, 1 << 30, 2).ticks.size(), 16u);
}

TEST(Axis, Log10HasMinorTicksBetweenDecades) {
  const Axis a = log_axis(0.2, 3000, 10);
  EXPECT_EQ(a.lo, 0.1);
  EXPECT_EQ(a.hi, 10000);
  EXPECT_EQ(a.ticks.size(), 6u);
  EXPECT_EQ(a.minor.size(), 5u * 8);  // 2x..9x in each of five decades
  EXPECT_TRUE(log_axis(768, 16384, 2).minor.empty());
}

TEST(SvgText, WidthsFollowTheFontMetrics) {
  EXPECT_GT(svg::text_width("WWWW", 12), svg::text_width("iiii", 12) * 2);
  EXPECT_GT(svg::text_width("GB/s", 12, true), svg::text_width("GB/s", 12));
  EXPECT_NEAR(svg::text_width("0", 2048), 1303, 1e-9);  // DejaVu Sans' digit advance
  EXPECT_DOUBLE_EQ(svg::text_width("1000", 11), 4 * svg::text_width("0", 11));
}

TEST(SvgText, WrapKeepsEveryLineWithinTheWidth) {
  const std::string text = "roof: FP16 tensor core, datasheet (989 TFLOP/s) and a_very_long_kernel_name_without_breaks";
  const auto lines = svg::wrap(text, 150, 12);
  ASSERT_GT(lines.size(), 2u);
  std::string joined;
  for (const auto& l : lines) {
    EXPECT_LE(svg::text_width(l, 12), 150) << l;
    joined += l;
  }
  EXPECT_NE(lines[0].find("roof: FP16"), std::string::npos);
  EXPECT_EQ(std::count(joined.begin(), joined.end(), '_'), 6);  // the long word is cut, not lost
  EXPECT_EQ(svg::wrap("short", 150, 12), std::vector<std::string>{"short"});
  EXPECT_EQ(svg::wrap("", 150, 12), std::vector<std::string>{""});
}

TEST(Svg, LongTitlesWrapAndTheLegendNamesReferenceLines) {
  Chart chart = sample_chart();
  chart.title = "A title far too long for one line of the chart: " + std::string(60, 'x') + " and more words at its end";
  const std::string svg = render_svg(chart);
  EXPECT_EQ(xml_problem(svg), "");
  // The title as lines of its own, broken between words.
  EXPECT_NE(svg.find(">A title far too long for one line of the chart:<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">" + std::string(60, 'x') + " and more"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">copy bandwidth (3000)<"), std::string::npos);          // in the legend
}

TEST(Svg, LineChartIsWellFormedAndLabelled) {
  const std::string svg = render_svg(sample_chart());
  EXPECT_EQ(xml_problem(svg), "");
  expect_xmllint_accepts(svg);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("Softmax bandwidth &lt;M=4096&gt; &amp; more"), std::string::npos);
  EXPECT_NE(svg.find(">1K<"), std::string::npos);
  EXPECT_NE(svg.find(">16K<"), std::string::npos);
  EXPECT_NE(svg.find("copy bandwidth (3000)"), std::string::npos);
  EXPECT_NE(svg.find("stroke-dasharray=\"7 4\""), std::string::npos);  // the dashed series
  EXPECT_NE(svg.find(">unfused f16<"), std::string::npos);             // legend
}

TEST(Svg, EmptyAndLogChartsStayWellFormed) {
  const Chart empty{"nothing", "x", "y", Scale::log2, Scale::log10, {}, {}};
  EXPECT_EQ(xml_problem(render_svg(empty)), "");
  Chart bad{"log with zeros", "x", "y", Scale::log2, Scale::log10, {{"s", {{0, 1}, {2, -1}, {4, 10}, {8, 1000}}, "#123456", false}}, {}};
  const std::string svg = render_svg(bad);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find(">100<"), std::string::npos);
}

TEST(Svg, HeatMapIsWellFormedAndMarksMissingCells) {
  const std::string svg = render_svg(sample_heat_map());
  EXPECT_EQ(xml_problem(svg), "");
  expect_xmllint_accepts(svg);
  EXPECT_NE(svg.find("pruned or failed"), std::string::npos);
  EXPECT_NE(svg.find("Softmax time by &lt;VEC&gt; x WARPS"), std::string::npos);
  EXPECT_NE(svg.find(">0.05<"), std::string::npos);  // the best cell's value is printed
}

TEST(Svg, HeatMapRejectsMismatchedCells) {
  HeatMap map = sample_heat_map();
  map.cells.pop_back();
  EXPECT_THROW(render_svg(map), Error);
  map = sample_heat_map();
  map.cells[1].push_back(1.0);
  EXPECT_THROW(render_svg(map), Error);
}

TEST(Html, ContainsTablesAndSvgs) {
  const std::string chart = render_svg(sample_chart());
  const std::vector<HtmlSection> sections = {
      {"Results <1>", "First paragraph.\n\nSecond & last.", {sample_table()}, {chart}, ""},
      {"Heat map", "", {}, {render_svg(sample_heat_map())}, ""},
      {"Code", "", {}, {}, "if (a < b) return;"}};
  const std::string html = render_html("Softmax & friends", sections);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>Softmax &amp; friends</title>"), std::string::npos);
  EXPECT_NE(html.find("<caption>Softmax &lt;fused&gt; &amp; unfused</caption>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.0123</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>VEC=4, WARPS=8</td>"), std::string::npos);
  EXPECT_NE(html.find("<li>Median of 100 reps.</li>"), std::string::npos);
  EXPECT_NE(html.find(chart), std::string::npos);
  EXPECT_NE(html.find("<p>Second &amp; last.</p>"), std::string::npos);
  EXPECT_NE(html.find("<pre><code>if (a &lt; b) return;</code></pre>"), std::string::npos);
  EXPECT_NE(html.find("href=\"#section-3\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  // Without the doctype the page is XHTML-shaped XML: check nesting.
  EXPECT_EQ(xml_problem(html.substr(html.find("<html"))), "");
}

class ResultsDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("kpg_results_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST_F(ResultsDirTest, WritesAtomicallyAndLeavesNoTemporary) {
  const ResultsDir dir(root_ / "softmax-1");
  dir.write("a.csv", "first");
  dir.write("a.csv", "second");  // replaced, not appended
  dir.write("svg/b.svg", "<svg/>");
  EXPECT_EQ(slurp(root_ / "softmax-1" / "a.csv"), "second");
  EXPECT_EQ(slurp(root_ / "softmax-1" / "svg" / "b.svg"), "<svg/>");
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(root_ / "softmax-1"))
    names.push_back(fs::relative(e.path(), root_ / "softmax-1").string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.csv", "svg", "svg/b.svg"}));
  EXPECT_EQ(dir.path(), root_ / "softmax-1");
}

TEST_F(ResultsDirTest, UnwritableFolderNamesThePath) {
  // A regular file where a folder should be: fails even when running as root.
  fs::create_directories(root_);
  std::ofstream(root_ / "blocker") << "x";
  const ResultsDir dir(root_ / "blocker" / "out");
  try {
    dir.write("a.csv", "x");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((root_ / "blocker").string()), std::string::npos) << e.what();
  }
}

TEST_F(ResultsDirTest, NamesMustStayInside) {
  const ResultsDir dir(root_);
  EXPECT_THROW(dir.write("../escape.txt", "x"), Error);
  EXPECT_THROW(dir.write("/etc/x", "x"), Error);
  EXPECT_THROW(dir.write("", "x"), Error);
  EXPECT_FALSE(fs::exists(root_.parent_path() / "escape.txt"));
}

TEST(DefaultResultsDir, IsTimestampedUnderResults) {
  const fs::path p = default_results_dir("softmax");
  EXPECT_EQ(p.parent_path(), fs::current_path() / "results");
  EXPECT_TRUE(std::regex_match(p.filename().string(), std::regex(R"(softmax-\d{8}-\d{6})"))) << p;
}

}  // namespace
}  // namespace kpg::report
