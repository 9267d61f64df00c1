#include "cli/watch/watch_rounds.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/core/command.hpp"
#include "cli/watch/compile_round.hpp"
#include "cli/watch/watched_files.hpp"
#include "runtime/error.hpp"

namespace fs = std::filesystem;

namespace kpg {

int RoundOutcome::exit_code() const {
  if (!config_ok || compile_errors > 0 || input_errors > 0) return kExitBadInput;
  if (fatal || wrong > 0 || faults > 0 || other_errors > 0) return kExitRuntimeError;
  return kExitOk;
}

WatchRounds::WatchRounds(WatchSettings settings, const Compiler& compiler, GpuBench* gpu, std::ostream& out)
    : settings_(std::move(settings)), compiler_(compiler), gpu_(gpu),
      gpu_round_(gpu ? std::make_unique<GpuRound>(*gpu) : nullptr), out_(out),
      watched_{fs::absolute(settings_.config_file).lexically_normal()} {}

WatchRounds::~WatchRounds() {
  if (gpu_round_) gpu_round_->release_workload();  // before the config it refers to
}

const OpConfig& WatchRounds::load() {
  std::ifstream in(settings_.config_file, std::ios::binary);
  if (!in) throw InputError("cannot read " + settings_.config_file.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (config_ && text.str() == config_text_) return *config_;
  if (gpu_round_) gpu_round_->release_workload();
  config_.reset();
  config_text_.clear();
  config_ = std::make_unique<OpConfig>(load_config(settings_.config_file, settings_.kernels_dir));
  config_text_ = text.str();
  return *config_;
}

void WatchRounds::body(RoundOutcome& outcome) {
  const OpConfig* config = nullptr;
  Shape shape;
  std::vector<const VariantSpec*> variants;
  try {
    config = &load();
    watched_ = kpg::watched_files(*config, settings_.kernels_dir);
    shape = watched_shape(*config, settings_.target);
    variants = watched_variants(*config, settings_.target);
  } catch (const Error& e) {  // ConfigError: "file:line:column: key: message"
    outcome.config_ok = false;
    out_ << "config error: " << e.what() << "\n";
    const fs::path config_file = fs::absolute(settings_.config_file).lexically_normal();
    if (std::find(watched_.begin(), watched_.end(), config_file) == watched_.end()) watched_.push_back(config_file);
    return;
  }
  out_ << config->op << " at " << shape.to_string() << ": " << variants.size() << " variant(s), "
       << (gpu_ ? "check and time on " + gpu_->gpu().props().name : "compile only for " + settings_.arch) << "\n";
  out_.flush();
  if (gpu_round_) {
    gpu_round_->run(*config, shape, variants, settings_, history_, outcome, out_);
  } else {
    compile_round(*config, shape, variants, settings_, compiler_, history_, outcome, out_);
  }
}

void WatchRounds::prepare() {
  try {
    watched_ = kpg::watched_files(load(), settings_.kernels_dir);
  } catch (const Error&) {
    // The first round will say what is wrong; the config file is watched already.
  }
}

RoundOutcome WatchRounds::run(const std::set<fs::path>& changed) {
  ++round_;
  out_ << "== round " << round_;
  if (!changed.empty()) out_ << ": " << file_names(changed) << " changed";
  out_ << "\n";
  RoundOutcome outcome;
  body(outcome);
  out_.flush();
  return outcome;
}

}  // namespace kpg
