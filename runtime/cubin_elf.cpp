#include "runtime/cubin_elf.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <string_view>

#include "runtime/error.hpp"

namespace kpg {
namespace {

// ELF64 constants (System V gABI) and the NVIDIA attribute codes this reader uses.
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfLittleEndian = 1;
constexpr uint32_t kSectionSymtab = 2;
constexpr uint8_t kSymbolFunction = 2;
constexpr uint8_t kFormatSizedValue = 4;  // EIFMT_SVAL: u16 size + payload; other formats take 4 bytes
constexpr uint8_t kAttrFrameSize = 0x11;  // EIATTR_FRAME_SIZE
constexpr uint8_t kAttrRegCount = 0x2f;   // EIATTR_REGCOUNT
constexpr uint8_t kAttrBarriers = 0x4c;   // barrier count (what ptxas reports as "used N barriers")
constexpr uint8_t kAttrParamInfo = 0x17;  // EIATTR_KPARAM_INFO: one per kernel parameter
constexpr int kReservedSharedBytes = 1024;  // system-reserved shared memory per block on sm_90+

class ElfView {
 public:
  explicit ElfView(const std::vector<char>& bytes) : bytes_(bytes) {}

  template <class T>
  T read(uint64_t offset) const {
    need(offset, sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + offset, sizeof(T));
    return value;  // cubins are little-endian, as is every host kpg builds for
  }

  std::string_view string_at(uint64_t table_offset, uint64_t table_size, uint32_t index) const {
    if (index >= table_size) throw Error("cubin: string index " + std::to_string(index) + " outside its table");
    need(table_offset, table_size);
    const char* begin = bytes_.data() + table_offset + index;
    const size_t max = table_size - index;
    return {begin, strnlen(begin, max)};
  }

  void need(uint64_t offset, uint64_t size) const {
    if (offset > bytes_.size() || size > bytes_.size() - offset) {
      throw Error("cubin: truncated ELF (" + std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                  " of " + std::to_string(bytes_.size()) + ")");
    }
  }

 private:
  const std::vector<char>& bytes_;
};

struct Section {
  std::string name;
  uint32_t type = 0;
  uint64_t flags = 0, offset = 0, size = 0;
  uint32_t link = 0, info = 0;
};

std::vector<Section> read_sections(const ElfView& elf) {
  const auto table = elf.read<uint64_t>(0x28);
  const auto entry_size = elf.read<uint16_t>(0x3a);
  const auto count = elf.read<uint16_t>(0x3c);
  const auto names_index = elf.read<uint16_t>(0x3e);
  if (entry_size < 64 || names_index >= count) throw Error("cubin: malformed ELF section header table");
  std::vector<Section> sections(count);
  for (uint16_t i = 0; i < count; ++i) {
    const uint64_t at = table + uint64_t{i} * entry_size;
    Section& s = sections[i];
    s.type = elf.read<uint32_t>(at + 4);
    s.flags = elf.read<uint64_t>(at + 8);
    s.offset = elf.read<uint64_t>(at + 24);
    s.size = elf.read<uint64_t>(at + 32);
    s.link = elf.read<uint32_t>(at + 40);
    s.info = elf.read<uint32_t>(at + 44);
  }
  const Section& names = sections[names_index];
  for (uint16_t i = 0; i < count; ++i) {
    const uint64_t at = table + uint64_t{i} * entry_size;
    sections[i].name = elf.string_at(names.offset, names.size, elf.read<uint32_t>(at));
  }
  return sections;
}

// Visits the attributes of an .nv.info section: (attribute, payload offset, payload size).
template <class Visit>
void for_each_attribute(const ElfView& elf, const Section& info, Visit visit) {
  uint64_t at = info.offset;
  const uint64_t end = info.offset + info.size;
  elf.need(info.offset, info.size);
  while (at + 4 <= end) {
    const auto format = elf.read<uint8_t>(at);
    const auto attribute = elf.read<uint8_t>(at + 1);
    if (format == kFormatSizedValue) {
      const auto size = elf.read<uint16_t>(at + 2);
      if (at + 4 + size > end) throw Error("cubin: attribute " + std::to_string(attribute) + " overruns " + info.name);
      visit(attribute, at + 4, uint64_t{size});
      at += 4 + size;
    } else {
      visit(attribute, at + 2, uint64_t{2});  // byte or half-word value, or none
      at += 4;
    }
  }
}

const Section* find(const std::vector<Section>& sections, std::string_view name) {
  for (const auto& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool has_reserved_shared(const std::vector<Section>& sections) {
  for (const auto& s : sections) {
    if (s.name.rfind(".nv.shared.reserved.", 0) == 0) return true;
  }
  return false;
}

// symbol index -> (attribute -> value) from the global .nv.info section.
std::map<uint32_t, std::map<uint8_t, uint32_t>> per_symbol_attributes(const ElfView& elf,
                                                                     const std::vector<Section>& sections) {
  std::map<uint32_t, std::map<uint8_t, uint32_t>> out;
  const Section* info = find(sections, ".nv.info");
  if (!info) return out;
  for_each_attribute(elf, *info, [&](uint8_t attribute, uint64_t at, uint64_t size) {
    if ((attribute == kAttrRegCount || attribute == kAttrFrameSize) && size == 8) {
      out[elf.read<uint32_t>(at)][attribute] = elf.read<uint32_t>(at + 4);
    }
  });
  return out;
}

int barrier_count(const ElfView& elf, const Section& kernel_info) {
  int barriers = 0;  // the attribute is left out when a kernel uses none
  for_each_attribute(elf, kernel_info, [&](uint8_t attribute, uint64_t at, uint64_t) {
    if (attribute == kAttrBarriers) barriers = elf.read<uint8_t>(at);
  });
  return barriers;
}

bool is_cubin(const std::vector<char>& image) {
  return image.size() >= 64 && std::memcmp(image.data(), "\x7f" "ELF", 4) == 0 && image[4] == kElfClass64 &&
         image[5] == kElfLittleEndian;
}

}  // namespace

std::vector<KernelResources> read_cubin_resources(const std::vector<char>& cubin) {
  std::vector<KernelResources> out;
  if (!is_cubin(cubin)) return out;
  const ElfView elf(cubin);
  const auto sections = read_sections(elf);
  const auto attributes = per_symbol_attributes(elf, sections);
  const bool reserved_shared = has_reserved_shared(sections);

  for (const auto& symtab : sections) {
    if (symtab.type != kSectionSymtab || symtab.link >= sections.size()) continue;
    const Section& strings = sections[symtab.link];
    constexpr uint64_t kSymbolSize = 24;
    for (uint64_t i = 0; i < symtab.size / kSymbolSize; ++i) {
      const uint64_t at = symtab.offset + i * kSymbolSize;
      if ((elf.read<uint8_t>(at + 4) & 0xf) != kSymbolFunction) continue;
      const auto section_index = elf.read<uint16_t>(at + 6);
      if (section_index >= sections.size()) continue;
      const std::string name(elf.string_at(strings.offset, strings.size, elf.read<uint32_t>(at)));
      const Section* kernel_info = find(sections, ".nv.info." + name);
      if (name.empty() || sections[section_index].name != ".text." + name || !kernel_info) continue;

      KernelResources r;
      r.kernel = name;
      r.from_cubin = true;
      if (const auto it = attributes.find(static_cast<uint32_t>(i)); it != attributes.end()) {
        if (const auto a = it->second.find(kAttrRegCount); a != it->second.end()) r.registers = static_cast<int>(a->second);
        if (const auto a = it->second.find(kAttrFrameSize); a != it->second.end()) r.stack_bytes = static_cast<int>(a->second);
      }
      // Older layouts keep the register count in the top byte of the text section's sh_info.
      if (r.registers == KernelResources::kUnknown && (sections[section_index].info >> 24) != 0) {
        r.registers = static_cast<int>(sections[section_index].info >> 24);
      }
      r.barriers = barrier_count(elf, *kernel_info);
      r.shared_bytes = 0;
      if (const Section* shared = find(sections, ".nv.shared." + name)) {
        auto bytes = static_cast<int64_t>(shared->size);
        if (reserved_shared && bytes >= kReservedSharedBytes) bytes -= kReservedSharedBytes;
        r.shared_bytes = static_cast<int>(bytes);
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::map<std::string, std::vector<size_t>> cubin_parameter_sizes(const std::vector<char>& cubin) {
  std::map<std::string, std::vector<size_t>> out;
  if (!is_cubin(cubin)) return out;
  const ElfView elf(cubin);
  constexpr std::string_view kPrefix = ".nv.info.";
  for (const auto& section : read_sections(elf)) {
    if (section.name.rfind(kPrefix, 0) != 0 || section.name.size() == kPrefix.size()) continue;
    std::map<uint16_t, size_t> by_ordinal;
    for_each_attribute(elf, section, [&](uint8_t attribute, uint64_t at, uint64_t size) {
      if (attribute != kAttrParamInfo || size != 12) return;
      const auto ordinal = elf.read<uint16_t>(at + 4);
      by_ordinal[ordinal] = elf.read<uint32_t>(at + 8) >> 18;
    });
    if (by_ordinal.empty()) continue;
    if (by_ordinal.rbegin()->first + size_t{1} != by_ordinal.size())
      throw Error("cubin: " + section.name + " describes " + std::to_string(by_ordinal.size()) +
                  " parameters, numbered up to " + std::to_string(by_ordinal.rbegin()->first));
    std::vector<size_t>& sizes = out[section.name.substr(kPrefix.size())];
    for (const auto& entry : by_ordinal) sizes.push_back(entry.second);
  }
  return out;
}

std::vector<std::string> image_kernels(const std::vector<char>& image, bool is_ptx) {
  std::vector<std::string> names;
  if (!is_ptx) {
    for (const auto& r : read_cubin_resources(image)) names.push_back(r.kernel);
    return names;
  }
  static const std::regex entry(R"(\.entry\s+([A-Za-z_$%][A-Za-z0-9_$]*))");
  const std::string text(image.begin(), std::find(image.begin(), image.end(), '\0'));
  for (std::sregex_iterator it(text.begin(), text.end(), entry), end; it != end; ++it) names.push_back((*it)[1].str());
  return names;
}

}  // namespace kpg
