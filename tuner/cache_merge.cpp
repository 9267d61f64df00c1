#include "tuner/cache_merge.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "runtime/error.hpp"
#include "tuner/cache_file.hpp"

namespace fs = std::filesystem;

namespace kpg {
namespace {

const char* const kWhatACacheHolds = "a kpg cache folder holds tuning/<op>/<variant>-<hash>.json files";

// Adds `records` to the entry of `key`, keeping the newer record of a candidate (the first
// one on equal timestamps), as TuningCache::merge would.
class Combiner {
 public:
  void add(const CacheKey& key, const std::vector<TuneRecord>& records) {
    const auto [at, is_new] = index_.try_emplace(key.file_stem(), out_.size());
    if (is_new) out_.push_back({key, {}});
    auto& kept = out_[at->second].second;
    for (const auto& r : records) {
      const auto same = std::find_if(kept.begin(), kept.end(),
                                     [&](const TuneRecord& k) { return k.candidate_id == r.candidate_id; });
      if (same == kept.end()) kept.push_back(r);
      else if (r.timestamp > same->timestamp) *same = r;
    }
  }
  KeyedRecords take() { return std::move(out_); }

 private:
  std::map<std::string, size_t> index_;  // file stem -> position in out_
  KeyedRecords out_;
};

}  // namespace

CacheSource read_cache_source(const fs::path& path) {
  CacheSource source{path, {}, {}, 0};
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(path.string() + ": no such file or folder");

  if (fs::is_regular_file(status)) {
    const auto text = read_text_file(path);
    std::string why;
    bool foreign = false;
    auto file = text ? decode_cache_file(*text, why, &foreign) : std::nullopt;
    if (!file)
      throw InputError(path.string() + (foreign ? " is not a kpg tuning-cache file (" + std::string(kWhatACacheHolds) + ")"
                                                : " is a damaged kpg tuning-cache file (" + why + ")"));
    source.files.emplace_back(std::move(file->key), std::move(file->records));
    return source;
  }
  if (!fs::is_directory(status)) throw InputError(path.string() + " is neither a file nor a folder");

  std::vector<fs::path> candidates;
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().extension() == ".json" && it->is_regular_file(type_ec)) candidates.push_back(it->path());
  }
  if (ec) throw InputError("cannot read the folder " + path.string() + ": " + ec.message());
  std::sort(candidates.begin(), candidates.end());
  for (const auto& file_path : candidates) {
    const auto text = read_text_file(file_path);
    if (!text) continue;  // removed meanwhile
    std::string why;
    bool foreign = false;
    if (auto file = decode_cache_file(*text, why, &foreign)) {
      source.files.emplace_back(std::move(file->key), std::move(file->records));
    } else if (foreign) {
      ++source.foreign;
    } else {
      source.damaged.push_back(file_path.string() + ": " + why);
    }
  }
  if (source.files.empty()) {
    std::string message = path.string() + " is not a kpg cache: it holds no intact tuning-cache file (" +
                          kWhatACacheHolds + ")";
    if (!source.damaged.empty()) message += "; damaged: " + source.damaged.front();
    throw InputError(message);
  }
  return source;
}

KeyedRecords combine(const std::vector<KeyedRecords>& sources) {
  Combiner combiner;
  for (const auto& source : sources)
    for (const auto& [key, records] : source) combiner.add(key, records);
  return combiner.take();
}

MergeTally merge_into(TuningCache& cache, const KeyedRecords& records) {
  MergeTally tally;
  for (const auto& [key, list] : records) {
    ++tally.keys;
    tally.records += list.size();
    tally.changed += cache.merge(key, list);
  }
  return tally;
}

std::string encode_keyed_records(const KeyedRecords& records) {
  std::string text;
  for (const auto& [key, list] : records) {
    const std::string key_json = encode_json(key);
    for (const auto& r : list) text += key_json + "\t" + encode_json(r) + "\n";
  }
  return text;
}

KeyedRecords decode_keyed_records(const std::string& text) {
  Combiner combiner;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const size_t tab = line.find('\t');  // JSON escapes tabs inside strings
    if (tab == std::string::npos) throw Error("malformed record line (no tab): " + line.substr(0, 80));
    combiner.add(decode_key_json(line.substr(0, tab)), {decode_record_json(line.substr(tab + 1))});
  }
  return combiner.take();
}

}  // namespace kpg
