#include "tuner/tuning_cache.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <mutex>
#include <set>
#include <sstream>

#include "runtime/error.hpp"
#include "runtime/hash.hpp"
#include "tuner/cache_file.hpp"

namespace kpg {
namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "kpg-tuning-cache";
constexpr int kFormatVersion = 1;

int64_t pow2_ceil(int64_t v) {
  int64_t p = 1;
  while (p < v) p *= 2;
  return p;
}

// --- JSON encoding -------------------------------------------------------------------

json encode_record(const TuneRecord& r) {
  json params = json::object();
  for (const auto& [k, v] : r.params) params[k] = v;
  return json{{"candidate", r.candidate_id}, {"variant", r.variant},  {"params", params},
              {"ok", r.ok},                  {"median_ms", r.median_ms}, {"min_ms", r.min_ms},
              {"spread_pct", r.spread_pct},  {"reps", r.reps},        {"failure", r.failure},
              {"timestamp", r.timestamp}};
}

TuneRecord decode_record(const json& j) {
  TuneRecord r;
  r.candidate_id = j.at("candidate").get<std::string>();
  r.variant = j.at("variant").get<std::string>();
  for (const auto& [k, v] : j.at("params").items()) r.params[k] = v.get<int64_t>();
  r.ok = j.at("ok").get<bool>();
  r.median_ms = j.at("median_ms").get<double>();
  r.min_ms = j.at("min_ms").get<double>();
  r.spread_pct = j.at("spread_pct").get<double>();
  r.reps = j.at("reps").get<int>();
  r.failure = j.at("failure").get<std::string>();
  r.timestamp = j.at("timestamp").get<std::string>();
  return r;
}

json encode_key(const CacheKey& k) {
  return json{{"op", k.op},
              {"variant", k.variant},
              {"shape", k.shape_key},
              {"device", k.device},
              {"driver_version", k.driver_version},
              {"nvrtc_version", k.nvrtc_version},
              {"source_hash", k.source_hash},
              {"timing", k.timing}};
}

CacheKey decode_key(const json& j) {
  CacheKey k;
  k.op = j.at("op").get<std::string>();
  k.variant = j.at("variant").get<std::string>();
  k.shape_key = j.at("shape").get<std::string>();
  k.device = j.at("device").get<std::string>();
  k.driver_version = j.at("driver_version").get<std::string>();
  k.nvrtc_version = j.at("nvrtc_version").get<std::string>();
  k.source_hash = j.at("source_hash").get<std::string>();
  k.timing = j.value("timing", "");  // files from before the field: another method
  return k;
}

// The file: a header naming what was tuned (like Kernel Tuner's cache files), the
// records, and a checksum over the records so that a damaged file is never trusted.
std::string encode_file(const CacheKey& key, const std::vector<TuneRecord>& records) {
  json list = json::array();
  for (const auto& r : records) list.push_back(encode_record(r));
  json file{{"format", kFormat}, {"version", kFormatVersion}, {"header", encode_key(key)}, {"records", list}};
  file["records_sha256"] = sha256_hex(list.dump());
  return file.dump(1) + "\n";
}

}  // namespace

std::optional<CacheFileContents> decode_cache_file(const std::string& text, std::string& why, bool* foreign) {
  if (foreign) *foreign = false;
  try {
    const json file = json::parse(text);
    if (!file.is_object() || !file.contains("format") || file.at("format") != std::string(kFormat)) {
      why = "not a kpg tuning-cache file";
      if (foreign) *foreign = true;
      return std::nullopt;
    }
    if (file.at("version").get<int>() != kFormatVersion) {
      why = "format version " + std::to_string(file.at("version").get<int>()) + ", expected " + std::to_string(kFormatVersion);
      return std::nullopt;
    }
    const json& list = file.at("records");
    if (file.at("records_sha256").get<std::string>() != sha256_hex(list.dump())) {
      why = "checksum mismatch";
      return std::nullopt;
    }
    CacheFileContents out{decode_key(file.at("header")), {}};
    for (const auto& r : list) out.records.push_back(decode_record(r));
    return out;
  } catch (const json::exception& e) {
    why = readable_error(e);
    // Text that is not JSON is someone else's file, unless it names our format (a damaged one).
    if (foreign && e.id / 100 == 1 && text.find(kFormat) == std::string::npos) {
      why = "not a kpg tuning-cache file (not JSON)";
      *foreign = true;
    }
    return std::nullopt;
  }
}

namespace {

// --- corrupt files -------------------------------------------------------------------

void warn_once(const std::filesystem::path& path, const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  const std::lock_guard<std::mutex> guard(mutex);
  if (warned.insert(path.string()).second) spdlog::warn("{}", message);
}

// Moves a damaged file to <file>.corrupt (call with the lock held, after re-reading it).
void quarantine(const std::filesystem::path& path, const std::string& why) {
  auto aside = path;
  aside += ".corrupt";
  std::error_code ec;
  std::filesystem::rename(path, aside, ec);
  warn_once(path, "tuning cache file " + path.string() + " is damaged (" + why + "); moved it to " + aside.string() +
                      (ec ? " (failed: " + ec.message() + ")" : "") + " and starting it afresh");
}

// Reads and decodes a file with the lock held; a damaged one is quarantined.
std::vector<TuneRecord> read_locked(const std::filesystem::path& path, std::optional<CacheKey>* key_out = nullptr) {
  const auto text = read_text_file(path);
  if (!text) return {};
  std::string why;
  auto file = decode_cache_file(*text, why);
  if (!file) {
    quarantine(path, why);
    return {};
  }
  if (key_out) *key_out = file->key;
  return std::move(file->records);
}

}  // namespace

std::string CacheKey::file_stem() const {
  Sha256 h;
  for (const std::string* field : {&op, &source_hash, &device, &driver_version, &nvrtc_version, &shape_key, &variant,
                                   &timing})
    h.update_field(*field);
  return variant + "-" + h.hex_digest().substr(0, 16);
}

std::string utc_timestamp() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string encode_json(const CacheKey& key) { return encode_key(key).dump(); }
std::string encode_json(const TuneRecord& record) { return encode_record(record).dump(); }

CacheKey decode_key_json(const std::string& text) {
  try {
    return decode_key(json::parse(text));
  } catch (const json::exception& e) {
    throw Error("malformed tuning-cache key: " + readable_error(e));
  }
}

TuneRecord decode_record_json(const std::string& text) {
  try {
    return decode_record(json::parse(text));
  } catch (const json::exception& e) {
    throw Error("malformed tuning record: " + readable_error(e));
  }
}

std::string shape_key(const OpConfig& config, const Shape& shape) {
  std::string s;
  for (const auto& dim : config.dims) {
    const auto it = shape.dims.find(dim);
    if (it == shape.dims.end()) throw InputError("shape " + shape.to_string() + " has no dim " + dim);
    const auto policy = config.cache_key.find(dim);
    const bool pow2 = policy != config.cache_key.end() && policy->second == "pow2";
    s += dim + (pow2 ? "<=" + std::to_string(pow2_ceil(it->second)) : "=" + std::to_string(it->second)) + ",";
  }
  return s + "dtype=" + std::string(dtype_name(shape.dtype));
}

std::optional<Shape> parse_shape_key(const std::string& key) {
  Shape shape;
  bool has_dtype = false;
  std::istringstream in(key);
  for (std::string item; std::getline(in, item, ',');) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return std::nullopt;
    const bool bucket = item[eq - 1] == '<';
    const std::string name = item.substr(0, bucket ? eq - 1 : eq);
    const std::string value = item.substr(eq + 1);
    if (name == "dtype") {
      const auto t = parse_dtype(value);
      if (!t) return std::nullopt;
      shape.dtype = *t;
      has_dtype = true;
      continue;
    }
    try {
      size_t used = 0;
      const int64_t v = std::stoll(value, &used);
      if (used != value.size() || v < 0 || name.empty()) return std::nullopt;  // 0: a flag's off
      shape.dims[name] = v;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (!has_dtype) return std::nullopt;
  return shape;
}

TuningCache::TuningCache(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(root(), ec);
  if (ec)
    throw InputError("cannot create the tuning cache directory " + root().string() + ": " + ec.message() +
                     " (set KPG_CACHE_DIR to a writable directory)");
  try {
    FileLock probe(root() / ".lock");
  } catch (const InputError& e) {
    throw InputError(std::string(e.what()) + " (the tuning cache directory must be writable; set KPG_CACHE_DIR)");
  }
}

std::filesystem::path TuningCache::file_for(const CacheKey& key) const {
  return root() / key.op / (key.file_stem() + ".json");
}

std::vector<TuneRecord> TuningCache::load(const CacheKey& key) const {
  const auto path = file_for(key);
  const auto text = read_text_file(path);  // no lock: files are only ever replaced by rename
  if (!text) return {};
  std::string why;
  if (auto file = decode_cache_file(*text, why)) {
    if (file->key == key) return std::move(file->records);
    warn_once(path, "tuning cache file " + path.string() + " belongs to another key; ignoring it");
    return {};
  }
  const FileLock lock(root() / ".lock");
  std::optional<CacheKey> found;
  auto records = read_locked(path, &found);  // re-read: another process may have fixed it meanwhile
  return found && *found == key ? records : std::vector<TuneRecord>{};
}

void TuningCache::append(const CacheKey& key, const TuneRecord& record) { append(key, std::vector<TuneRecord>{record}); }

void TuningCache::append(const CacheKey& key, const std::vector<TuneRecord>& records) {
  update(key, records, false);
}

size_t TuningCache::merge(const CacheKey& key, const std::vector<TuneRecord>& records) {
  return update(key, records, true);
}

size_t TuningCache::update(const CacheKey& key, const std::vector<TuneRecord>& records, bool only_newer) {
  const auto path = file_for(key);
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw InputError("cannot create " + path.parent_path().string() + ": " + ec.message());
  const FileLock lock(root() / ".lock");
  remove_stale_temp_files(path);
  std::optional<CacheKey> found;
  std::vector<TuneRecord> merged = read_locked(path, &found);
  if (found && !(*found == key)) merged.clear();  // a stem collision: the newer key wins
  size_t changed = 0;
  for (const auto& r : records) {
    const auto same = std::find_if(merged.begin(), merged.end(), [&](const TuneRecord& m) { return m.candidate_id == r.candidate_id; });
    if (same == merged.end()) {
      merged.push_back(r);
    } else if (!only_newer || r.timestamp > same->timestamp) {
      if (*same == r) continue;
      *same = r;
    } else {
      continue;
    }
    ++changed;
  }
  if (changed > 0 || !only_newer) write_cache_file(path, encode_file(key, merged));
  return changed;
}

std::vector<std::pair<CacheKey, std::vector<TuneRecord>>> TuningCache::list(std::optional<std::string> op) const {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  const auto scan = [&](const std::filesystem::path& dir) {
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  };
  if (op && !is_op_name(*op)) throw InputError("'" + *op + "' is not an op name");
  if (op) scan(root() / *op);
  else
    for (const auto& entry : std::filesystem::directory_iterator(root(), ec))
      if (entry.is_directory()) scan(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<std::pair<CacheKey, std::vector<TuneRecord>>> out;
  for (const auto& path : files) {
    const auto text = read_text_file(path);
    if (!text) continue;  // removed meanwhile
    std::string why;
    if (auto file = decode_cache_file(*text, why)) {
      out.emplace_back(std::move(file->key), std::move(file->records));
      continue;
    }
    const FileLock lock(root() / ".lock");
    std::optional<CacheKey> found;
    auto records = read_locked(path, &found);
    if (found) out.emplace_back(std::move(*found), std::move(records));
  }
  return out;
}

size_t TuningCache::clear(std::optional<std::string> op) {
  // Only what kpg writes here goes: <op>/ folders (never through a symlink) and, in them,
  // the cache files, their temp files and the .corrupt copies. Anything else stays.
  const auto is_ours = [](const std::string& name) {
    return name.ends_with(".json") || name.ends_with(".json.corrupt") || name.find(".json.tmp.") != std::string::npos;
  };
  const FileLock lock(root() / ".lock");
  std::vector<std::filesystem::path> dirs;
  std::error_code ec;
  if (op) {
    if (!is_op_name(*op)) throw InputError("'" + *op + "' is not an op name");
    dirs.push_back(root() / *op);
  } else {
    for (const auto& entry : std::filesystem::directory_iterator(root(), ec)) dirs.push_back(entry.path());
  }
  size_t removed = 0;
  for (const auto& dir : dirs) {
    if (!std::filesystem::is_directory(std::filesystem::symlink_status(dir, ec))) continue;
    std::vector<std::filesystem::path> entries;  // collected first: no removal while iterating
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.is_regular_file(ec) && !entry.is_symlink(ec) && is_ours(entry.path().filename().string()))
        entries.push_back(entry.path());
    for (const auto& path : entries) {
      std::error_code rm;
      if (std::filesystem::remove(path, rm) && path.extension() == ".json") ++removed;
      if (rm) throw InputError("cannot remove " + path.string() + ": " + rm.message());
    }
    std::filesystem::remove(dir, ec);  // only when empty
  }
  return removed;
}

}  // namespace kpg
