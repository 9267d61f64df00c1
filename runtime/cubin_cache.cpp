#include "runtime/cubin_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "runtime/error.hpp"
#include "runtime/hash.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

constexpr char kMagic[8] = {'K', 'P', 'G', 'C', 'U', 'B', '0', '1'};
constexpr size_t kDigestHexSize = 64;
constexpr size_t kHeaderSize = sizeof(kMagic) + sizeof(uint64_t) + kDigestHexSize;

void check_key(const std::string& key) {
  const bool safe = !key.empty() && key.size() <= 128 &&
                    key.find_first_not_of("0123456789abcdefABCDEF-_") == std::string::npos;
  if (!safe) throw Error("invalid cubin cache key '" + key + "'");
}

// Why an entry's bytes cannot be trusted, or empty when they can.
std::string validate(const std::vector<char>& file) {
  if (file.size() < kHeaderSize) return "truncated header";
  if (std::memcmp(file.data(), kMagic, sizeof(kMagic)) != 0) return "bad magic";
  uint64_t length = 0;
  std::memcpy(&length, file.data() + sizeof(kMagic), sizeof(length));
  if (length != file.size() - kHeaderSize) {
    return "payload of " + std::to_string(file.size() - kHeaderSize) + " bytes, header says " + std::to_string(length);
  }
  const std::string stored(file.data() + sizeof(kMagic) + sizeof(length), kDigestHexSize);
  const std::string actual = sha256_hex(std::string_view(file.data() + kHeaderSize, length));
  if (stored != actual) return "checksum mismatch";
  return {};
}

void write_all(int fd, const char* data, size_t n, const fs::path& path) {
  while (n > 0) {
    const ssize_t written = ::write(fd, data, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    data += written;
    n -= static_cast<size_t>(written);
  }
}

}  // namespace

CubinCache::CubinCache(fs::path dir) : dir_(std::move(dir)) {}

fs::path CubinCache::default_dir() {
  if (const char* d = std::getenv("KPG_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "kpg";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "kpg";
  return fs::temp_directory_path() / "kpg-cache";
}

fs::path CubinCache::entry_path(const std::string& key) const {
  check_key(key);
  return dir_ / "cubin" / (key + ".bin");
}

std::optional<std::vector<char>> CubinCache::load(const std::string& key) const {
  const fs::path path = entry_path(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  if (const std::string why = validate(file); !why.empty()) {
    // Deleting the entry is what makes this report happen once: the next store replaces it.
    spdlog::warn("cubin cache: {} is corrupt ({}); deleted, recompiling", path.string(), why);
    std::error_code ec;
    fs::remove(path, ec);
    return std::nullopt;
  }
  return std::vector<char>(file.begin() + kHeaderSize, file.end());
}

void CubinCache::store(const std::string& key, const std::vector<char>& data) const {
  const fs::path path = entry_path(key);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw Error("cannot create cache folder " + path.parent_path().string() + ": " + ec.message());

  static std::atomic<unsigned> counter{0};
  const fs::path temp = path.parent_path() / ("." + key + "." + std::to_string(::getpid()) + "." +
                                              std::to_string(counter.fetch_add(1)) + ".tmp");
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot create " + temp.string() + ": " + std::strerror(errno));
  try {
    const uint64_t length = data.size();
    const std::string digest = sha256_hex(std::string_view(data.data(), data.size()));
    write_all(fd, kMagic, sizeof(kMagic), temp);
    write_all(fd, reinterpret_cast<const char*>(&length), sizeof(length), temp);
    write_all(fd, digest.data(), digest.size(), temp);
    write_all(fd, data.data(), data.size(), temp);
    if (::fsync(fd) != 0) throw Error("cannot fsync " + temp.string() + ": " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    fs::remove(temp, ec);
    throw;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    fs::remove(temp, ec);
    throw Error("cannot rename " + temp.string() + " to " + path.string() + ": " + why);
  }
}

}  // namespace kpg
