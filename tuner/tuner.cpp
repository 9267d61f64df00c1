#include "tuner/tuner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "runtime/driver.hpp"
#include "runtime/error.hpp"
#include "tuner/failure_log.hpp"
#include "tuner/progress.hpp"
#include "tuner/sampled_reference.hpp"

namespace kpg {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Result of compiling one candidate on a worker thread.
struct CompileOutcome {
  std::optional<CompiledKernel> kernel;
  std::string error;  // compile error summary when kernel is empty
};

std::string first_error_line(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find("error") != std::string::npos) return line;
  return log.substr(0, log.find('\n'));
}

// Compiles candidates on `jobs` threads, in index order, so the consumer can take
// candidate k while later ones are still compiling.
class CompilePool {
 public:
  CompilePool(size_t count, unsigned jobs, std::function<CompileOutcome(size_t)> compile)
      : compile_(std::move(compile)), promises_(count) {
    for (auto& p : promises_) futures_.push_back(p.get_future());
    const unsigned n = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(count)));
    for (unsigned i = 0; i < n && count > 0; ++i) workers_.emplace_back([this] { work(); });
  }
  CompilePool(const CompilePool&) = delete;
  CompilePool& operator=(const CompilePool&) = delete;
  ~CompilePool() {
    stop_ = true;
    for (auto& w : workers_) w.join();
  }
  CompileOutcome take(size_t i) { return futures_[i].get(); }
  size_t finished() const { return finished_; }

 private:
  void work() {
    for (size_t i; !stop_ && (i = next_++) < promises_.size();) {
      try {
        promises_[i].set_value(compile_(i));
      } catch (...) {
        promises_[i].set_exception(std::current_exception());
      }
      ++finished_;
    }
  }

  std::function<CompileOutcome(size_t)> compile_;
  std::vector<std::promise<CompileOutcome>> promises_;
  std::vector<std::future<CompileOutcome>> futures_;
  std::vector<std::thread> workers_;
  std::atomic<size_t> next_{0}, finished_{0};
  std::atomic<bool> stop_{false};
};

// A record naming the candidate, not yet measured (ok = false).
TuneRecord candidate_record(const Candidate& c) {
  TuneRecord r;
  r.candidate_id = c.id();
  r.params = c.params;
  r.variant = c.variant;
  r.timestamp = utc_timestamp();
  return r;
}

TuneRecord failure_record(const Candidate& c, std::string why) {
  TuneRecord r = candidate_record(c);
  r.failure = std::move(why);
  return r;
}

}  // namespace

std::string_view to_string(ChoiceSource s) {
  switch (s) {
    case ChoiceSource::tuned_now: return "tuned now";
    case ChoiceSource::cache: return "tuning cache";
    case ChoiceSource::nearest_shape: return "nearest tuned shape";
    case ChoiceSource::config_default: return "config default";
  }
  return "?";
}

std::optional<Candidate> default_candidate(const OpConfig& config, const VariantSpec& variant,
                                           const Shape& shape, const DeviceLimits& limits) {
  const auto all = enumerate(config, variant, shape, limits, nullptr);
  for (const auto& c : all)
    if (c.is_default) return c;
  if (!all.empty()) return all.front();
  return std::nullopt;
}

Tuner::Tuner(const Gpu& gpu, const Compiler& compiler, const TuningCache& cache,
             std::filesystem::path kernels_dir)
    : gpu_(gpu), compiler_(compiler), cache_(cache), kernels_dir_(std::move(kernels_dir)) {}

CacheKey Tuner::cache_key(const OpConfig& config, const VariantSpec& variant, const Shape& shape) const {
  CacheKey key;
  key.op = config.op;
  key.source_hash = source_hash(config, {kernels_dir_}, &variant);
  key.device = gpu_.cache_identity();
  key.driver_version = std::to_string(driver_version());
  key.nvrtc_version = std::to_string(nvrtc_version());
  key.shape_key = shape_key(config, shape);
  key.variant = variant.name;
  return key;
}

CompileOptions Tuner::compile_options(const OpConfig& config, const Candidate& candidate,
                                      const Shape& shape) const {
  CompileOptions o;
  o.arch = gpu_.props().arch();
  const auto& space = config.space_of(candidate.variant, candidate.space_index);
  if (!space.arch.empty()) o.arch = space.arch;
  o.defines = compile_defines(config, candidate, shape, gpu_.limits());
  o.include_dirs = {kernels_dir_, space.source.parent_path()};
  return o;
}

BoundCandidate Tuner::bind(const OpConfig& config, const VariantSpec& variant, const Candidate& candidate,
                           const Workload& workload) const {
  BoundCandidate b{candidate,
                   compiler_.compile_file(variant.spaces.at(candidate.space_index).source,
                                          compile_options(config, candidate, workload.shape())),
                   nullptr, nullptr};
  b.module = std::make_unique<Module>(Module::load(b.compiled.image));
  b.plan = std::make_unique<LaunchPlan>(variant.spaces.at(candidate.space_index), candidate, workload,
                                        gpu_.limits(), *b.module);
  return b;
}

CheckReport Tuner::verify(const BoundCandidate& bound, Workload& workload) const {
  const auto& expected = workload.reference();
  workload.poison_outputs(gpu_.stream());
  bound.plan->launch(gpu_.stream());
  gpu_.synchronize();
  return workload.check(expected);
}

void Tuner::ensure_reference(const OpConfig& config, Workload& workload,
                             const std::function<void(const TuneEvent&)>& on_event) const {
  if (workload.has_reference()) return;
  // Large attention shapes: sampled rows, so that a reference takes a second, not minutes
  // (every tuning worker computes its own).
  if (config.reference.builtin == "attention") {
    choose_attention_reference(workload, std::random_device{}());
    return;
  }
  if (config.reference.variant.empty()) return;
  const VariantSpec* ref_variant = config.find_variant(config.reference.variant);
  if (!ref_variant) throw Error(config.op + ": reference variant '" + config.reference.variant + "' not found");
  const auto c = default_candidate(config, *ref_variant, workload.shape(), gpu_.limits());
  if (!c) throw Error(config.op + ": reference variant '" + ref_variant->name + "' has no valid configuration");
  const auto bound = bind(config, *ref_variant, *c, workload);
  const CacheKey key = on_event ? cache_key(config, *ref_variant, workload.shape()) : CacheKey{};
  TuneRecord record = candidate_record(*c);
  if (on_event) on_event(TuneEvent{TuneEvent::Kind::start, key, record, true});
  workload.poison_outputs(gpu_.stream());
  bound.plan->launch(gpu_.stream());
  gpu_.synchronize();
  workload.set_reference(workload.download_outputs());
  record.ok = true;
  if (on_event) on_event(TuneEvent{TuneEvent::Kind::result, key, record, true});
}

TuneRecord Tuner::evaluate(const OpConfig& config, const VariantSpec& variant, const Candidate& candidate,
                           const CompiledKernel& compiled, Workload& workload) const {
  const auto module = Module::load(compiled.image);
  const LaunchPlan plan(variant.spaces.at(candidate.space_index), candidate, workload, gpu_.limits(), module);
  if (auto why = plan.resource_problem(gpu_.props())) return failure_record(candidate, "resources: " + *why);

  const auto& expected = workload.reference();
  workload.poison_outputs(gpu_.stream());
  plan.launch(gpu_.stream());
  gpu_.synchronize();
  const CheckReport check = workload.check(expected);
  if (!check.ok) return failure_record(candidate, "wrong result: " + check.describe());

  const TimingSettings settings{config.timing.warmup_ms, config.timing.rep_ms, config.timing.min_reps,
                                config.timing.max_reps, config.timing.graph_below_us};
  const Timing t = gpu_.timer().time([&](CUstream s) { plan.launch(s); }, settings, gpu_.stream());
  TuneRecord r;
  r.candidate_id = candidate.id();
  r.params = candidate.params;
  r.variant = candidate.variant;
  r.ok = true;
  r.median_ms = t.median_ms;
  r.min_ms = t.min_ms;
  r.spread_pct = t.spread_pct;
  r.reps = t.reps;
  r.timestamp = utc_timestamp();
  return r;
}

TuneResult Tuner::tune(const OpConfig& config, const VariantSpec& variant, Workload& workload,
                       const TuneOptions& options) const {
  const auto t0 = Clock::now();
  TuneResult result;
  result.op = config.op;
  result.variant = variant.name;
  result.shape = workload.shape();
  result.key = cache_key(config, variant, workload.shape());

  const auto candidates = enumerate(config, variant, workload.shape(), gpu_.limits(), &result.pruned);
  result.candidates = candidates.size();
  std::set<std::string> live;
  for (const auto& c : candidates) live.insert(c.id());
  const auto find_candidate = [&](const std::string& id) -> const Candidate* {
    for (const auto& c : candidates)
      if (c.id() == id) return &c;
    return nullptr;
  };

  std::map<std::string, TuneRecord> known;  // candidate id -> latest record
  for (auto& r : cache_.load(result.key))
    if (live.count(r.candidate_id)) known[r.candidate_id] = r;

  const auto needs_timing = [&](const Candidate& c) {
    const auto it = known.find(c.id());
    return options.force || it == known.end() ||
           (!options.retime_before.empty() && it->second.timestamp < options.retime_before);
  };
  std::vector<size_t> todo;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (i % options.shard_count == options.shard_index && needs_timing(candidates[i])) todo.push_back(i);

  if ((options.no_tune || options.timed_elsewhere) && !todo.empty()) {
    // Nothing is timed: take what the cache knows for this shape, else (no_tune) the
    // nearest tuned shape's choice, else the config's default.
    todo.clear();
  }

  if (!todo.empty()) {
    const auto emit = [&](TuneEvent::Kind kind, const TuneRecord& r) {
      if (options.on_event) options.on_event(TuneEvent{kind, result.key, r});
    };
    const auto record = [&](TuneRecord r) {
      cache_.append(result.key, r);
      if (!r.ok) {
        const Candidate& c = *find_candidate(r.candidate_id);
        const auto options = compile_options(config, c, workload.shape());
        keep_failure(cache_, result.key, r, variant.spaces.at(c.space_index).source, &options);
      }
      emit(TuneEvent::Kind::result, r);
      (r.ok ? result.timed : result.failed)++;
      known[r.candidate_id] = std::move(r);
    };
    const auto compile_one = [&](size_t i) {
      CompileOutcome out;
      try {
        out.kernel = compiler_.compile_file(variant.spaces.at(candidates[i].space_index).source,
                                            compile_options(config, candidates[i], workload.shape()));
      } catch (const CompileError& e) {
        out.error = "compile error: " + first_error_line(e.log());
      }
      return out;
    };
    const auto consume = [&](const Candidate& c, CompileOutcome outcome) -> double {
      if (!outcome.kernel) {
        record(failure_record(c, outcome.error));
        return std::numeric_limits<double>::infinity();
      }
      ++result.compiled;
      result.compile_cache_hits += outcome.kernel->cache_hit ? 1 : 0;
      result.compile_ms_total += outcome.kernel->compile_ms;
      TuneRecord r;
      emit(TuneEvent::Kind::start, candidate_record(c));
      try {
        r = evaluate(config, variant, c, *outcome.kernel, workload);
      } catch (const CudaError& e) {
        // A fault poisons the context: record it so a rerun skips this candidate, then stop.
        record(failure_record(c, std::string("fault: ") + e.what()));
        throw CandidateFault("candidate " + c.id() + " faulted on the GPU (" + e.what() +
                             "); it is recorded as failed and the results so far are in the tuning cache");
      } catch (const Error& e) {
        r = failure_record(c, std::string("launch error: ") + e.what());
      }
      const double ms = r.ok ? r.median_ms : std::numeric_limits<double>::infinity();
      record(std::move(r));
      return ms;
    };

    if (options.prepare) options.prepare(workload);
    workload.reference();  // computed once, before the GPU starts waiting on it
    const unsigned jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
    const size_t budget =
        options.budget ? (*options.budget + options.shard_count - 1) / options.shard_count : todo.size();
    if (budget < todo.size()) {
      std::vector<Candidate> pool;
      for (size_t i : todo) pool.push_back(candidates[i]);
      Progress progress(config.op + "/" + variant.name, budget, options.progress);
      size_t done = 0;
      budget_order(pool, budget, options.seed ? options.seed : std::random_device{}(),
                   [&](const Candidate& c) {
                     const size_t index = static_cast<size_t>(&c - pool.data());
                     const double ms = consume(c, compile_one(todo[index]));
                     progress.update(result.compiled, ++done, result.failed);
                     return ms;
                   });
      progress.finish();
    } else {
      Progress progress(config.op + "/" + variant.name, todo.size(), options.progress);
      CompilePool pool(todo.size(), jobs, [&](size_t k) { return compile_one(todo[k]); });
      for (size_t k = 0; k < todo.size(); ++k) {
        consume(candidates[todo[k]], pool.take(k));
        progress.update(pool.finished(), k + 1, result.failed);
      }
      progress.finish();
    }
  }

  for (const auto& [id, r] : known) result.records.push_back(r);
  Selection sel = select_best(result.records, live);

  // Two candidates closer than their run-to-run spread are measured again, alternately,
  // before one is declared the winner.
  const bool timed_now = !todo.empty() || options.timed_elsewhere;
  if (sel.within_noise && sel.best && sel.runner_up && options.rematch_ties && !options.no_tune && timed_now) {
    if (options.prepare) options.prepare(workload);
    for (const TuneRecord* r : {&*sel.best, &*sel.runner_up}) {
      const Candidate* c = find_candidate(r->candidate_id);
      const auto bound = bind(config, variant, *c, workload);
      const TimingSettings settings{0, config.timing.rep_ms * 2, config.timing.min_reps * 2,
                                    config.timing.max_reps * 2, config.timing.graph_below_us};
      const Timing t = gpu_.timer().time([&](CUstream s) { bound.plan->launch(s); }, settings, gpu_.stream());
      TuneRecord updated = *r;
      updated.median_ms = t.median_ms;
      updated.min_ms = t.min_ms;
      updated.spread_pct = t.spread_pct;
      updated.reps = t.reps;
      updated.timestamp = utc_timestamp();
      cache_.append(result.key, updated);
      known[updated.candidate_id] = updated;
    }
    result.records.clear();
    for (const auto& [id, r] : known) result.records.push_back(r);
    sel = select_best(result.records, live);
  }

  result.best = sel.best;
  if (const auto def = default_candidate(config, variant, workload.shape(), gpu_.limits())) {
    if (known.count(def->id())) result.default_record = known[def->id()];
    result.chosen = *def;
  }
  if (sel.best) {
    result.chosen = *find_candidate(sel.best->candidate_id);
    result.source = timed_now ? ChoiceSource::tuned_now : ChoiceSource::cache;
  } else if (options.no_tune) {
    if (auto near = nearest_tuned(cache_, result.key, live)) {
      result.chosen = *find_candidate(near->candidate_id);
      result.source = ChoiceSource::nearest_shape;
      result.source_detail = near->shape_key;
    }
  }
  if (!sel.best && !options.no_tune && result.candidates > 0)
    spdlog::warn("{}/{} at {}: no candidate passed; using the config default", config.op, variant.name,
                 workload.shape().to_string());
  result.wall_ms = ms_since(t0);
  return result;
}

}  // namespace kpg
