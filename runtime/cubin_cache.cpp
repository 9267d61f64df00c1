#include "runtime/cubin_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "runtime/atomic_write.hpp"
#include "runtime/error.hpp"
#include "runtime/hash.hpp"
#include "runtime/input_file.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

// [magic][origin length: u64][payload length: u64][SHA-256 hex of origin + payload][origin][payload]
constexpr char kMagic[8] = {'K', 'P', 'G', 'C', 'U', 'B', '0', '2'};
constexpr size_t kDigestHexSize = 64;
constexpr size_t kHeaderSize = sizeof(kMagic) + 2 * sizeof(uint64_t) + kDigestHexSize;

bool is_key(std::string_view key) {
  return key.size() == kDigestHexSize && key.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void check_key(const std::string& key) {
  if (!is_key(key)) throw Error("invalid cubin cache key '" + key + "'");
}

std::string digest_of(std::string_view origin, std::string_view payload) {
  Sha256 h;
  h.update(origin);
  h.update(payload);
  return h.hex_digest();
}

struct Entry {
  std::string_view origin, payload;
};

// The parts of an entry's bytes, or why they cannot be trusted.
std::optional<Entry> parse_entry(const std::vector<char>& file, std::string& why) {
  if (file.size() < kHeaderSize) {
    why = "truncated header";
    return std::nullopt;
  }
  if (std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) {
    why = "bad magic";
    return std::nullopt;
  }
  uint64_t origin_size = 0, payload_size = 0;
  std::memcpy(&origin_size, file.data() + sizeof(kMagic), sizeof(uint64_t));
  std::memcpy(&payload_size, file.data() + sizeof(kMagic) + sizeof(uint64_t), sizeof(uint64_t));
  const uint64_t body = file.size() - kHeaderSize;
  if (origin_size > body || payload_size != body - origin_size) {
    why = std::to_string(body) + " bytes after the header, which says " + std::to_string(origin_size) + " + " +
          std::to_string(payload_size);
    return std::nullopt;
  }
  const char* start = file.data() + kHeaderSize;
  const Entry entry{std::string_view(start, origin_size), std::string_view(start + origin_size, payload_size)};
  const std::string_view stored(file.data() + sizeof(kMagic) + 2 * sizeof(uint64_t), kDigestHexSize);
  if (stored != digest_of(entry.origin, entry.payload)) {
    why = "checksum mismatch";
    return std::nullopt;
  }
  return entry;
}

// The first line where two origins differ, for the message about a mismatch.
std::string first_difference(std::string_view stored, std::string_view wanted) {
  size_t at = 0;
  while (at < stored.size() && at < wanted.size() && stored[at] == wanted[at]) ++at;
  const size_t line_start = stored.substr(0, at).rfind('\n');
  const size_t from = line_start == std::string_view::npos ? 0 : line_start + 1;
  const std::string_view line = stored.substr(from, stored.find('\n', from) - from);
  return std::string(line.substr(0, 120));
}

// The bytes of the entry for `payload` compiled from `origin` (the layout parse_entry reads).
std::string encode_entry(std::string_view origin, std::string_view payload) {
  const uint64_t sizes[2] = {origin.size(), payload.size()};
  std::string bytes(kMagic, sizeof(kMagic));
  bytes.append(reinterpret_cast<const char*>(sizes), sizeof(sizes));
  bytes += digest_of(origin, payload);
  bytes += origin;
  bytes += payload;
  return bytes;
}

// <temp>/kpg-cache-<uid>: this user's own folder, created 0700. One that exists but is a
// symlink, someone else's, or writable by others is refused: a shared temp folder is where
// another user could plant one, with cubins of their choosing in it.
fs::path private_temp_dir() {
  const uid_t uid = ::getuid();
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  const fs::path dir = base / ("kpg-cache-" + std::to_string(uid));
  const std::string advice = "; set KPG_CACHE_DIR to a folder of yours";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw InputError("cannot create the cache folder " + dir.string() + ": " + std::strerror(errno) + advice);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0)
    throw InputError("cannot use the cache folder " + dir.string() + ": " + std::strerror(errno) + advice);
  if (!S_ISDIR(st.st_mode))
    throw InputError("the cache folder " + dir.string() + " is not a folder (a symlink or a file is there)" + advice);
  if (st.st_uid != uid)
    throw InputError("the cache folder " + dir.string() + " belongs to user id " + std::to_string(st.st_uid) +
                     ", not to you (" + std::to_string(uid) + ")" + advice);
  if ((st.st_mode & 022) != 0)
    throw InputError("the cache folder " + dir.string() + " can be written by other users" + advice);
  return dir;
}

}  // namespace

CubinCache::CubinCache(fs::path dir) : dir_(std::move(dir)) {}

fs::path CubinCache::default_dir() {
  if (const char* d = std::getenv("KPG_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "kpg";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "kpg";
  return private_temp_dir();
}

std::string CubinCache::key_of(const std::string& origin) { return sha256_hex(origin); }

fs::path CubinCache::entry_path(const std::string& key) const {
  check_key(key);
  return dir_ / "cubin" / (key + ".bin");
}

std::optional<std::vector<char>> CubinCache::load(const std::string& origin) const {
  const fs::path path = entry_path(key_of(origin));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;  // absent (or unreachable: compiled again)
  std::vector<char> file;
  try {
    const std::string bytes = read_input_file(path, "cubin cache entry");
    file.assign(bytes.begin(), bytes.end());
  } catch (const InputError& e) {  // a folder or an unreadable file where an entry belongs
    spdlog::warn("{}; recompiling", e.what());
    return std::nullopt;
  }
  std::string why;
  const auto entry = parse_entry(file, why);
  const bool older_version = file.size() >= sizeof(kMagic) && std::memcmp(file.data(), kMagic, 6) == 0 &&
                             std::memcmp(file.data() + 6, kMagic + 6, 2) != 0;
  if (older_version) {
    // An entry of an older kpg ("KPGCUB01"): expected after an upgrade, not worth a warning.
    spdlog::debug("cubin cache: {} is from an older kpg; replacing it", path.string());
    std::error_code ec;
    fs::remove(path, ec);
    return std::nullopt;
  }
  if (!entry) {
    // Deleting the entry is what makes this report happen once: the next store replaces it.
    spdlog::warn("cubin cache: {} is corrupt ({}); deleted, recompiling", path.string(), why);
    std::error_code ec;
    fs::remove(path, ec);
    return std::nullopt;
  }
  if (entry->origin != origin) {
    spdlog::warn("cubin cache: {} was compiled from something else ({}); recompiling", path.string(),
                 first_difference(entry->origin, origin));
    return std::nullopt;
  }
  return std::vector<char>(entry->payload.begin(), entry->payload.end());
}

void CubinCache::store(const std::string& origin, const std::vector<char>& data) const {
  const std::string key = key_of(origin);
  const fs::path path = entry_path(key);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw Error("cannot create cache folder " + path.parent_path().string() + ": " + ec.message());

  // Temp files are .<key>.<unique>.tmp: clear() recognises those a killed writer left.
  write_file_atomic(path, encode_entry(origin, std::string_view(data.data(), data.size())),
                    FileMode{}, TempName{"." + key + ".", ".tmp"});
}

size_t CubinCache::clear() const {
  const fs::path folder = dir_ / "cubin";
  std::error_code ec;
  const auto status = fs::symlink_status(folder, ec);
  if (!fs::exists(status)) return 0;
  if (!fs::is_directory(status))
    throw InputError("cannot clear the cubin cache: " + folder.string() + " is not a folder; nothing was removed");
  std::vector<fs::path> entries;  // collected first: no removal while iterating
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool entry = name.size() == kDigestHexSize + 4 && name.ends_with(".bin") &&
                       is_key(std::string_view(name).substr(0, kDigestHexSize));
    const bool temp = name.size() > kDigestHexSize + 1 && name.front() == '.' && name.ends_with(".tmp") &&
                      is_key(std::string_view(name).substr(1, kDigestHexSize));
    std::error_code type_ec;
    if ((entry || temp) && it->is_regular_file(type_ec) && !it->is_symlink(type_ec)) entries.push_back(it->path());
  }
  if (ec) throw InputError("cannot list " + folder.string() + ": " + ec.message());
  size_t removed = 0;
  for (const auto& path : entries) {
    if (!fs::remove(path, ec) && ec) throw InputError("cannot remove " + path.string() + ": " + ec.message());
    removed += path.extension() == ".bin" ? 1 : 0;
  }
  fs::remove(folder, ec);  // only when empty: anything kpg did not write stays
  return removed;
}

}  // namespace kpg
