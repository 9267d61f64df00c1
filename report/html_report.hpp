#pragma once
// One self-contained HTML page (inline CSS, inline SVG, no scripts or external assets)
// that gathers a tutorial's explanation, tables, charts and code.

#include <string>
#include <vector>

#include "report/table.hpp"

namespace kpg::report {

struct HtmlSection {
  std::string heading;
  std::string text;                // plain text; blank lines separate paragraphs
  std::vector<Table> tables;
  std::vector<std::string> svgs;   // from render_svg, inlined as they are
  std::string code;                // optional, shown in <pre>
};

// Sections in order, each with its heading, paragraphs, tables (numeric columns
// right-aligned, notes underneath), figures and code; a table of contents when there are
// more than two sections. All text is escaped.
std::string render_html(const std::string& title, const std::vector<HtmlSection>& sections);

}  // namespace kpg::report
