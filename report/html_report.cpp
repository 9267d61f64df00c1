#include "report/html_report.hpp"

#include "report/text_format.hpp"

namespace kpg::report {
namespace {

constexpr const char* kStyle = R"css(
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; background: #ffffff;
       max-width: 1120px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; }
h1 { font-size: 1.8rem; border-bottom: 1px solid #d0d7de; padding-bottom: .4rem; }
h2 { font-size: 1.35rem; margin-top: 2.4rem; border-bottom: 1px solid #eaeef2; padding-bottom: .25rem; }
nav ol { padding-left: 1.4rem; } nav a, a { color: #0969da; text-decoration: none; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: .9rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .4rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .65rem; white-space: nowrap; }
th { background: #f6f8fa; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fbfcfd; }
ul.notes { font-size: .85rem; color: #57606a; margin: .3rem 0 0 0; padding-left: 1.2rem; }
figure { margin: 1.2rem 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eaeef2; border-radius: 6px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .8rem 1rem; overflow-x: auto;
      font-size: .82rem; line-height: 1.4; }
)css";

std::string paragraphs(const std::string& text) {
  std::string out, para;
  auto flush = [&] {
    if (!para.empty()) out += "<p>" + xml_escape(para) + "</p>\n";
    para.clear();
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") == std::string::npos) flush();
    else para += (para.empty() ? "" : "\n") + line;
    start = end + 1;
  }
  flush();
  return out;
}

std::string html_table(const Table& table) {
  const std::vector<bool> numeric = numeric_columns(table);
  auto cls = [&](size_t c) { return numeric[c] ? std::string(" class=\"num\"") : std::string(); };
  std::string out = "<div class=\"table-wrap\"><table>\n";
  if (!table.title.empty()) out += "<caption>" + xml_escape(table.title) + "</caption>\n";
  out += "<thead><tr>";
  for (size_t c = 0; c < table.columns.size(); ++c) out += "<th" + cls(c) + ">" + xml_escape(table.columns[c]) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (size_t c = 0; c < row.size(); ++c) out += "<td" + cls(c) + ">" + xml_escape(row[c]) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
  if (!table.notes.empty()) {
    out += "<ul class=\"notes\">";
    for (const auto& note : table.notes) out += "<li>" + xml_escape(note) + "</li>";
    out += "</ul>\n";
  }
  return out + "</div>\n";
}

}  // namespace

std::string render_html(const std::string& title, const std::vector<HtmlSection>& sections) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>" +
                    xml_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<h1>" +
                    xml_escape(title) + "</h1>\n";
  if (sections.size() > 2) {
    out += "<nav><ol>\n";
    for (size_t i = 0; i < sections.size(); ++i)
      out += "<li><a href=\"#section-" + std::to_string(i + 1) + "\">" + xml_escape(sections[i].heading) + "</a></li>\n";
    out += "</ol></nav>\n";
  }
  for (size_t i = 0; i < sections.size(); ++i) {
    const HtmlSection& s = sections[i];
    out += "<section id=\"section-" + std::to_string(i + 1) + "\">\n";
    if (!s.heading.empty()) out += "<h2>" + xml_escape(s.heading) + "</h2>\n";
    out += paragraphs(s.text);
    for (const auto& table : s.tables) out += html_table(table);
    for (const auto& svg : s.svgs) out += "<figure>\n" + svg + "</figure>\n";
    if (!s.code.empty()) out += "<pre><code>" + xml_escape(s.code) + "</code></pre>\n";
    out += "</section>\n";
  }
  return out + "</body>\n</html>\n";
}

}  // namespace kpg::report
