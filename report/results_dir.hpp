#pragma once
// Where a tutorial writes its results: every file replaced atomically, so a crash or a
// full disk never leaves a half-written report behind.

#include <filesystem>
#include <string>

namespace kpg::report {

class ResultsDir {
 public:
  explicit ResultsDir(std::filesystem::path dir);

  // Writes `content` to dir/name through write_output_file (runtime/output_file.hpp): a
  // temporary file in the same folder and a rename; only regular files are replaced.
  // Creates missing folders. `name` must be relative and stay inside the folder. Throws
  // InputError naming the path on any failure; the temporary is removed.
  void write(const std::string& name, const std::string& content) const;
  const std::filesystem::path& path() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// results/<tutorial>-<YYYYmmdd-HHMMSS> under the current directory (local time).
std::filesystem::path default_results_dir(const std::string& tutorial);

}  // namespace kpg::report
