#include "tutorials/memory/datasheet.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace kpg::memory {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

}  // namespace

// From NVIDIA's H100, H200 and A100 datasheets and architecture whitepapers (dense
// tensor-core figures, i.e. half of the "with sparsity" numbers).
const std::vector<Datasheet>& datasheets() {
  static const std::vector<Datasheet> cards{
      {"h100-sxm", "NVIDIA H100 SXM5 80GB", "80 GB HBM3", 3350, 50, 132, 228, 256, 1.98, 67, 989},
      {"h100-pcie", "NVIDIA H100 PCIe 80GB", "80 GB HBM2e", 2000, 50, 114, 228, 256, 1.755, 51, 756},
      {"h200", "NVIDIA H200 SXM 141GB", "141 GB HBM3e", 4800, 50, 132, 228, 256, 1.98, 67, 989},
      {"a100", "NVIDIA A100 SXM4 80GB", "80 GB HBM2e", 2039, 40, 108, 164, 192, 1.41, 19.5, 312},
  };
  return cards;
}

std::optional<Datasheet> find_datasheet(const std::string& card) {
  static const std::map<std::string, std::string> aliases{
      {"h100", "h100-sxm"}, {"h100-sxm5", "h100-sxm"}, {"h200-sxm", "h200"}, {"a100-sxm", "a100"},
      {"a100-sxm4", "a100"}};
  std::string id = lower(card);
  if (const auto it = aliases.find(id); it != aliases.end()) id = it->second;
  for (const auto& d : datasheets())
    if (d.id == id) return d;
  return std::nullopt;
}

std::optional<Datasheet> datasheet_for_device(const std::string& device_name) {
  const std::string n = lower(device_name);
  if (contains(n, "h200")) return find_datasheet("h200");
  if (contains(n, "nvl")) return std::nullopt;  // H100 NVL: other memory and clocks, not listed
  if (contains(n, "h100")) return find_datasheet(contains(n, "pcie") ? "h100-pcie" : "h100-sxm");
  // Only the 80 GB SXM4 A100 is listed; a 40 GB or PCIe card has other figures.
  if (contains(n, "a100") && contains(n, "80gb") && !contains(n, "pcie")) return find_datasheet("a100");
  return std::nullopt;
}

std::string known_cards() {
  std::string s;
  for (const auto& d : datasheets()) s += (s.empty() ? "" : ", ") + d.id;
  return s + " (aliases: h100 = h100-sxm, h200-sxm = h200, a100-sxm = a100)";
}

}  // namespace kpg::memory
