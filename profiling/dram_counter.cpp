#include "profiling/dram_counter.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "runtime/buffer.hpp"
#include "runtime/driver.hpp"
#include "runtime/error.hpp"

#if KPG_HAVE_CUPTI
#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
#include <cupti_result.h>
#include <cupti_target.h>
#include <cupti_version.h>
#endif

namespace kpg::memory {

std::vector<std::string> DramCounter::search_list() {
  std::vector<std::string> list = {"libcupti.so.13", "libcupti.so"};
  const char* home = std::getenv("CUDA_HOME");
  const std::string root = (home && *home) ? home : "/usr/local/cuda";
  for (const char* dir : {"lib64", "lib", "extras/CUPTI/lib64", "targets/x86_64-linux/lib"})
    for (const char* name : {"libcupti.so.13", "libcupti.so"}) list.push_back(root + "/" + dir + "/" + name);
  return list;
}

#if !KPG_HAVE_CUPTI

struct DramCounter::Api {};

DramCounter::DramCounter() { load_first({}, false); }

DramCounter::DramCounter(const std::vector<std::string>& candidates) { load_first(candidates, false); }

void DramCounter::load_first(const std::vector<std::string>&, bool) {
  reason_ = "kpg was built without CUPTI's headers (cupti_range_profiler.h was not found when it was configured)";
}

std::string DramCounter::describe() const { return ""; }

std::optional<DramBytes> DramCounter::measure(const std::function<void(CUstream)>&, CUstream) { return std::nullopt; }

#else

// The functions used: loading fails, with their names, if one is missing.
#define KPG_CUPTI_REQUIRED_FUNCTIONS(X)                                                               \
  X(cuptiGetResultString) X(cuptiProfilerInitialize) X(cuptiProfilerDeInitialize)                   \
  X(cuptiDeviceGetChipName) X(cuptiProfilerGetCounterAvailability)                                  \
  X(cuptiProfilerHostInitialize) X(cuptiProfilerHostDeinitialize) X(cuptiProfilerHostConfigAddMetrics) \
  X(cuptiProfilerHostGetConfigImageSize) X(cuptiProfilerHostGetConfigImage)                         \
  X(cuptiProfilerHostGetNumOfPasses) X(cuptiProfilerHostEvaluateToGpuValues)                        \
  X(cuptiRangeProfilerEnable) X(cuptiRangeProfilerDisable) X(cuptiRangeProfilerGetCounterDataSize)  \
  X(cuptiRangeProfilerCounterDataImageInitialize) X(cuptiRangeProfilerSetConfig)                    \
  X(cuptiRangeProfilerStart) X(cuptiRangeProfilerStop) X(cuptiRangeProfilerPushRange)               \
  X(cuptiRangeProfilerPopRange) X(cuptiRangeProfilerDecodeData) X(cuptiRangeProfilerGetCounterDataInfo) \
  X(cuptiRangeProfilerCounterDataGetRangeInfo)

// Used when present (nullptr otherwise).
#define KPG_CUPTI_OPTIONAL_FUNCTIONS(X) X(cuptiGetErrorMessage) X(cuptiGetVersion) X(cuptiProfilerDeviceSupported)

#define KPG_CUPTI_DECLARE_MEMBER(name) decltype(&::name) name = nullptr;
struct DramCounter::Api {
  KPG_CUPTI_REQUIRED_FUNCTIONS(KPG_CUPTI_DECLARE_MEMBER)
  KPG_CUPTI_OPTIONAL_FUNCTIONS(KPG_CUPTI_DECLARE_MEMBER)
};
#undef KPG_CUPTI_DECLARE_MEMBER

namespace {

using Api = DramCounter::Api;

const char* const kMetrics[] = {"dram__bytes_read.sum", "dram__bytes_write.sum"};
constexpr size_t kMetricCount = 2;
const char* const kLaunchRange = "launch";
const char* const kFlushRange = "flush";
constexpr size_t kRanges = 2;
constexpr int kMaxPasses = 64;  // two metrics need one or two; more means something is off

// A CUPTI call that failed: turned into the reason sentence by measure().
struct CuptiFailure {
  const char* call;
  CUptiResult result;
};

// Another reason measurement cannot go on (not a CUPTI error code).
struct Unusable {
  std::string reason;
};

void check(CUptiResult result, const char* call) {
  if (result != CUPTI_SUCCESS) throw CuptiFailure{call, result};
}

// Calls api.fn(&params) and turns a failure into CuptiFailure naming fn.
#define KPG_CUPTI_CALL(api, fn, params) check((api).fn(&(params)), #fn)

// A CUPTI parameter struct: zeroed, with structSize set to the size this build knows.
template <class P>
P params(size_t struct_size) {
  P p{};
  p.structSize = struct_size;
  return p;
}
#define KPG_CUPTI_PARAMS(type) params<type>(type##_STRUCT_SIZE)

// A parameter struct for a call on the host object or on the range profiler: as above, with
// the object it acts on set.
template <class P>
P params(size_t struct_size, CUpti_Profiler_Host_Object* host) {
  P p = params<P>(struct_size);
  p.pHostObject = host;
  return p;
}
template <class P>
P params(size_t struct_size, CUpti_RangeProfiler_Object* profiler) {
  P p = params<P>(struct_size);
  p.pRangeProfilerObject = profiler;
  return p;
}
#define KPG_CUPTI_PARAMS_ON(type, object) params<type>(type##_STRUCT_SIZE, object)

// Sets the two fields by which a parameter struct takes an image, its address and its size
// in bytes, from one buffer.
template <class Image, class Pointer>
void point_at(Image& image, Pointer& data, size_t& size) {
  data = image.data();
  size = image.size();
}

std::string join(const std::vector<std::string>& parts) {
  std::string text;
  for (const auto& p : parts) text += (text.empty() ? "" : ", ") + p;
  return text;
}

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlerror";
}

std::string result_text(const Api& api, CUptiResult result) {
  const char* name = nullptr;
  if (api.cuptiGetResultString(result, &name) != CUPTI_SUCCESS || !name) name = nullptr;
  std::string text = name ? name : fmt::format("CUPTI error {}", static_cast<int>(result));
  const char* message = nullptr;
  if (api.cuptiGetErrorMessage && api.cuptiGetErrorMessage(result, &message) == CUPTI_SUCCESS && message && *message &&
      (!name || std::strcmp(message, name) != 0))
    text += fmt::format(" ({})", message);
  return text;
}

std::string failure_reason(const Api& api, const CuptiFailure& f) {
  const std::string what = fmt::format("{} returned {}", f.call, result_text(api, f.result));
  switch (f.result) {
    case CUPTI_ERROR_INSUFFICIENT_PRIVILEGES:
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES:
      return "profiling not permitted (ERR_NVGPUCTRPERM): " + what +
             "; the driver lets only admin users read GPU performance counters: run as root, or load the "
             "nvidia module with NVreg_RestrictProfilingToAdminUsers=0";
    case CUPTI_ERROR_NOT_SUPPORTED:
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED:
    case CUPTI_ERROR_CMP_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_SLI_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_WSL_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_INVALID_CHIP_NAME:
      return "hardware counters not supported on this device or setup: " + what;
    case CUPTI_ERROR_HARDWARE_BUSY:
      return "hardware counters busy (another profiler, e.g. ncu or DCGM, holds them): " + what;
    default:
      return "CUPTI failed: " + what;
  }
}

// Which of the profiler's support checks failed, for a device CUPTI says it cannot profile.
std::string unsupported_parts(const CUpti_Profiler_DeviceSupported_Params& p) {
  std::string parts;
  const auto add = [&](CUpti_Profiler_Support_Level level, const char* what) {
    if (level == CUPTI_PROFILER_CONFIGURATION_SUPPORTED) return;
    parts += std::string(parts.empty() ? "" : ", ") + what +
             (level == CUPTI_PROFILER_CONFIGURATION_DISABLED ? " (disabled)" : " (unsupported)");
  };
  add(p.architecture, "architecture");
  add(p.sli, "SLI");
  add(p.vGpu, "vGPU");
  add(p.confidentialCompute, "confidential computing");
  add(p.cmp, "CMP device");
  add(p.wsl, "WSL");
  return parts.empty() ? "no reason given" : parts;
}

// Owners of what CUPTI hands out, released in reverse order even when a step throws.
// Destructors ignore CUPTI's result: they run on the way out, after the real error.
class ProfilerSession {
 public:
  explicit ProfilerSession(const Api& api) : api_(api) {
    auto p = KPG_CUPTI_PARAMS(CUpti_Profiler_Initialize_Params);
    KPG_CUPTI_CALL(api_, cuptiProfilerInitialize, p);
  }
  ~ProfilerSession() {
    auto p = KPG_CUPTI_PARAMS(CUpti_Profiler_DeInitialize_Params);
    api_.cuptiProfilerDeInitialize(&p);
  }
  ProfilerSession(const ProfilerSession&) = delete;
  ProfilerSession& operator=(const ProfilerSession&) = delete;

 private:
  const Api& api_;
};

class HostObject {
 public:
  HostObject(const Api& api, const char* chip, const std::vector<uint8_t>& availability) : api_(api) {
    auto p = KPG_CUPTI_PARAMS(CUpti_Profiler_Host_Initialize_Params);
    p.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
    p.pChipName = chip;
    p.pCounterAvailabilityImage = availability.data();
    KPG_CUPTI_CALL(api_, cuptiProfilerHostInitialize, p);
    object_ = p.pHostObject;
  }
  ~HostObject() {
    if (!object_) return;
    auto p = KPG_CUPTI_PARAMS_ON(CUpti_Profiler_Host_Deinitialize_Params, object_);
    api_.cuptiProfilerHostDeinitialize(&p);
  }
  HostObject(const HostObject&) = delete;
  HostObject& operator=(const HostObject&) = delete;
  CUpti_Profiler_Host_Object* get() const { return object_; }

 private:
  const Api& api_;
  CUpti_Profiler_Host_Object* object_ = nullptr;
};

class RangeProfiler {
 public:
  RangeProfiler(const Api& api, CUcontext context) : api_(api) {
    auto p = KPG_CUPTI_PARAMS(CUpti_RangeProfiler_Enable_Params);
    p.ctx = context;
    KPG_CUPTI_CALL(api_, cuptiRangeProfilerEnable, p);
    object_ = p.pRangeProfilerObject;
  }
  ~RangeProfiler() {
    if (!object_) return;
    if (started_) {  // left by an exception between Start and Stop
      auto stop = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_Stop_Params, object_);
      api_.cuptiRangeProfilerStop(&stop);
    }
    auto p = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_Disable_Params, object_);
    api_.cuptiRangeProfilerDisable(&p);
  }
  RangeProfiler(const RangeProfiler&) = delete;
  RangeProfiler& operator=(const RangeProfiler&) = delete;
  CUpti_RangeProfiler_Object* get() const { return object_; }

  void start() {
    auto p = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_Start_Params, object_);
    KPG_CUPTI_CALL(api_, cuptiRangeProfilerStart, p);
    started_ = true;
  }
  // True once every pass the config needs has been submitted.
  bool stop() {
    auto p = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_Stop_Params, object_);
    started_ = false;
    KPG_CUPTI_CALL(api_, cuptiRangeProfilerStop, p);
    return p.isAllPassSubmitted != 0;
  }
  void push(const char* name) {
    auto p = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_PushRange_Params, object_);
    p.pRangeName = name;
    KPG_CUPTI_CALL(api_, cuptiRangeProfilerPushRange, p);
  }
  void pop() {
    auto p = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_PopRange_Params, object_);
    KPG_CUPTI_CALL(api_, cuptiRangeProfilerPopRange, p);
  }

 private:
  const Api& api_;
  CUpti_RangeProfiler_Object* object_ = nullptr;
  bool started_ = false;
};

std::vector<uint8_t> counter_availability(const Api& api, CUcontext context) {
  auto p = KPG_CUPTI_PARAMS(CUpti_Profiler_GetCounterAvailability_Params);
  p.ctx = context;
  KPG_CUPTI_CALL(api, cuptiProfilerGetCounterAvailability, p);  // size only
  std::vector<uint8_t> image(p.counterAvailabilityImageSize);
  p.pCounterAvailabilityImage = image.data();
  KPG_CUPTI_CALL(api, cuptiProfilerGetCounterAvailability, p);
  return image;
}

std::vector<uint8_t> config_image(const Api& api, CUpti_Profiler_Host_Object* host, size_t& passes) {
  std::vector<const char*> metrics(std::begin(kMetrics), std::end(kMetrics));
  auto add = KPG_CUPTI_PARAMS_ON(CUpti_Profiler_Host_ConfigAddMetrics_Params, host);
  add.ppMetricNames = metrics.data();
  add.numMetrics = metrics.size();
  KPG_CUPTI_CALL(api, cuptiProfilerHostConfigAddMetrics, add);

  auto size = KPG_CUPTI_PARAMS_ON(CUpti_Profiler_Host_GetConfigImageSize_Params, host);
  KPG_CUPTI_CALL(api, cuptiProfilerHostGetConfigImageSize, size);
  std::vector<uint8_t> image(size.configImageSize);
  auto get = KPG_CUPTI_PARAMS_ON(CUpti_Profiler_Host_GetConfigImage_Params, host);
  point_at(image, get.pConfigImage, get.configImageSize);
  KPG_CUPTI_CALL(api, cuptiProfilerHostGetConfigImage, get);

  auto count = KPG_CUPTI_PARAMS(CUpti_Profiler_Host_GetNumOfPasses_Params);
  point_at(image, count.pConfigImage, count.configImageSize);
  KPG_CUPTI_CALL(api, cuptiProfilerHostGetNumOfPasses, count);
  passes = count.numOfPasses;
  return image;
}

std::vector<uint8_t> counter_data_image(const Api& api, CUpti_RangeProfiler_Object* profiler) {
  std::vector<const char*> metrics(std::begin(kMetrics), std::end(kMetrics));
  auto size = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_GetCounterDataSize_Params, profiler);
  size.pMetricNames = metrics.data();
  size.numMetrics = metrics.size();
  size.maxNumOfRanges = kRanges;
  size.maxNumRangeTreeNodes = kRanges;
  KPG_CUPTI_CALL(api, cuptiRangeProfilerGetCounterDataSize, size);
  std::vector<uint8_t> image(size.counterDataSize);
  auto init = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_CounterDataImage_Initialize_Params, profiler);
  point_at(image, init.pCounterData, init.counterDataSize);
  KPG_CUPTI_CALL(api, cuptiRangeProfilerCounterDataImageInitialize, init);
  return image;
}

// The metric values of range `index`, checking that it is the range called `name`.
std::vector<double> evaluate(const Api& api, CUpti_Profiler_Host_Object* host, const std::vector<uint8_t>& data,
                             size_t index, const char* name) {
  auto info = KPG_CUPTI_PARAMS(CUpti_RangeProfiler_CounterData_GetRangeInfo_Params);
  point_at(data, info.pCounterDataImage, info.counterDataImageSize);
  info.rangeIndex = index;
  info.rangeDelimiter = "/";
  KPG_CUPTI_CALL(api, cuptiRangeProfilerCounterDataGetRangeInfo, info);
  const std::string got = info.rangeName ? info.rangeName : "";
  if (got != name)
    throw Unusable{fmt::format("CUPTI returned range '{}' at index {} where '{}' was pushed", got, index, name)};

  std::vector<const char*> metrics(std::begin(kMetrics), std::end(kMetrics));
  std::vector<double> values(kMetricCount, 0.0);
  auto p = KPG_CUPTI_PARAMS_ON(CUpti_Profiler_Host_EvaluateToGpuValues_Params, host);
  point_at(data, p.pCounterDataImage, p.counterDataImageSize);
  p.rangeIndex = index;
  p.ppMetricNames = metrics.data();
  p.numMetrics = metrics.size();
  p.pMetricValues = values.data();
  KPG_CUPTI_CALL(api, cuptiProfilerHostEvaluateToGpuValues, p);
  return values;
}

// dlopen of the first candidate that loads, dlsym of every function; on failure `reason`
// says why and nullptr is returned. `from_env`: the one candidate came from KPG_CUPTI_LIBRARY.
std::shared_ptr<const Api> load(const std::vector<std::string>& candidates, bool from_env, std::string& library,
                                std::string& reason) {
  void* handle = nullptr;
  std::string last_error;
  for (const auto& candidate : candidates) {
    dlerror();
    handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle) {
      library = candidate;
      break;
    }
    last_error = dl_error();
  }
  if (!handle) {
    if (from_env)
      reason = fmt::format("CUPTI not found: KPG_CUPTI_LIBRARY={} could not be loaded ({})", candidates.front(),
                           last_error);
    else
      reason = "CUPTI not found (searched " + join(candidates) +
               "): install CUDA's CUPTI or set KPG_CUPTI_LIBRARY to libcupti.so";
    return nullptr;
  }
  // Where the loader really found it, when the name had no folder.
  if (library.find('/') == std::string::npos) {
    Dl_info info{};
    void* any = dlsym(handle, "cuptiGetResultString");
    if (any && dladdr(any, &info) && info.dli_fname) library = info.dli_fname;
  }

  auto api = std::make_shared<Api>();
  std::string missing;
#define KPG_LOAD_REQUIRED(name)                                                 \
  api->name = reinterpret_cast<decltype(api->name)>(dlsym(handle, #name));      \
  if (!api->name) missing += std::string(missing.empty() ? "" : ", ") + #name;
#define KPG_LOAD_OPTIONAL(name) api->name = reinterpret_cast<decltype(api->name)>(dlsym(handle, #name));
  KPG_CUPTI_REQUIRED_FUNCTIONS(KPG_LOAD_REQUIRED)
  KPG_CUPTI_OPTIONAL_FUNCTIONS(KPG_LOAD_OPTIONAL)
#undef KPG_LOAD_REQUIRED
#undef KPG_LOAD_OPTIONAL
  if (!missing.empty()) {
    dlclose(handle);
    reason = fmt::format("CUPTI at {} lacks {}: the range profiler needs CUPTI from CUDA 12.6 or newer", library,
                         missing);
    library.clear();
    return nullptr;
  }
  return api;  // the handle stays open: CUPTI may keep hooks in the driver after use
}

}  // namespace

DramCounter::DramCounter() {
  const char* custom = std::getenv("KPG_CUPTI_LIBRARY");
  if (custom && *custom)
    load_first({custom}, true);
  else
    load_first(search_list(), false);
}

DramCounter::DramCounter(const std::vector<std::string>& candidates) { load_first(candidates, false); }

void DramCounter::load_first(const std::vector<std::string>& candidates, bool from_env) {
  std::string library, reason;
  auto api = load(candidates, from_env, library, reason);
  if (!api) {
    reason_ = reason;
    return;
  }
  api_ = std::move(api);
  library_ = library;
}

std::string DramCounter::describe() const {
  if (!api_) return "";
  std::string text = "CUPTI range profiler (" + library_;
  uint32_t version = 0;
  if (api_->cuptiGetVersion && api_->cuptiGetVersion(&version) == CUPTI_SUCCESS)
    text += fmt::format(", API version {}", version);
  return text + ")";
}

std::optional<DramBytes> DramCounter::measure(const std::function<void(CUstream)>& launch, CUstream stream) {
  if (!available()) return std::nullopt;
  const Api& api = *api_;
  try {
    const auto& d = driver();
    CUcontext context = nullptr;
    KPG_CU_CHECK(d.cuCtxGetCurrent(&context));
    if (!context) throw Unusable{"no current CUDA context on this thread"};
    CUdevice device = 0;
    KPG_CU_CHECK(d.cuCtxGetDevice(&device));
    int l2_bytes = 0;
    KPG_CU_CHECK(d.cuDeviceGetAttribute(&l2_bytes, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, device));

    if (api.cuptiProfilerDeviceSupported) {
      auto p = KPG_CUPTI_PARAMS(CUpti_Profiler_DeviceSupported_Params);
      p.cuDevice = device;
      p.api = CUPTI_PROFILER_RANGE_PROFILING;
      KPG_CUPTI_CALL(api, cuptiProfilerDeviceSupported, p);
      if (p.isSupported != CUPTI_PROFILER_CONFIGURATION_SUPPORTED)
        throw Unusable{"hardware counters not supported on this device: " + unsupported_parts(p)};
    }

    // Allocated first, freed last: twice the L2, overwritten to push everything else out.
    DeviceBuffer flush(static_cast<size_t>(std::max(l2_bytes, 1 << 20)) * 2);
    const auto flush_l2 = [&] { flush.fill_bytes(0x5a, stream); };

    // Host side: the chip's metrics, scheduled into a config image.
    ProfilerSession session(api);
    auto chip = KPG_CUPTI_PARAMS(CUpti_Device_GetChipName_Params);
    chip.deviceIndex = static_cast<size_t>(device);
    KPG_CUPTI_CALL(api, cuptiDeviceGetChipName, chip);
    const std::string chip_name = chip.pChipName ? chip.pChipName : "";
    const auto availability = counter_availability(api, context);
    HostObject host(api, chip_name.c_str(), availability);
    size_t passes_needed = 0;
    const auto config = config_image(api, host.get(), passes_needed);

    // Target side: profile the two ranges, once per pass.
    RangeProfiler profiler(api, context);
    auto data = counter_data_image(api, profiler.get());
    auto set = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_SetConfig_Params, profiler.get());
    point_at(config, set.pConfig, set.configSize);
    point_at(data, set.pCounterDataImage, set.counterDataImageSize);
    set.range = CUPTI_UserRange;
    set.replayMode = CUPTI_UserReplay;
    set.maxRangesPerPass = kRanges;
    set.numNestingLevels = 1;
    set.minNestingLevel = 1;
    set.passIndex = 0;
    set.targetNestingLevel = 1;
    KPG_CUPTI_CALL(api, cuptiRangeProfilerSetConfig, set);

    int passes = 0;
    bool all_submitted = false;
    while (!all_submitted) {
      if (++passes > kMaxPasses)
        throw Unusable{fmt::format("CUPTI asked for more than {} passes ({} expected)", kMaxPasses, passes_needed)};
      flush_l2();
      KPG_CU_CHECK(d.cuCtxSynchronize());
      profiler.start();
      profiler.push(kLaunchRange);
      launch(stream);
      flush_l2();
      KPG_CU_CHECK(d.cuCtxSynchronize());
      profiler.pop();
      profiler.push(kFlushRange);
      flush_l2();
      KPG_CU_CHECK(d.cuCtxSynchronize());
      profiler.pop();
      all_submitted = profiler.stop();
    }

    auto decode = KPG_CUPTI_PARAMS_ON(CUpti_RangeProfiler_DecodeData_Params, profiler.get());
    KPG_CUPTI_CALL(api, cuptiRangeProfilerDecodeData, decode);
    if (decode.numOfRangeDropped != 0)
      throw Unusable{fmt::format("CUPTI dropped {} of the {} profiled ranges", decode.numOfRangeDropped, kRanges)};
    auto info = KPG_CUPTI_PARAMS(CUpti_RangeProfiler_GetCounterDataInfo_Params);
    point_at(data, info.pCounterDataImage, info.counterDataImageSize);
    KPG_CUPTI_CALL(api, cuptiRangeProfilerGetCounterDataInfo, info);
    if (info.numTotalRanges != kRanges)
      throw Unusable{fmt::format("CUPTI returned {} ranges, {} were profiled", info.numTotalRanges, kRanges)};

    const auto with_flush = evaluate(api, host.get(), data, 0, kLaunchRange);
    const auto flush_only = evaluate(api, host.get(), data, 1, kFlushRange);
    DramBytes bytes;
    bytes.read = std::max(0.0, with_flush[0] - flush_only[0]);
    bytes.write = std::max(0.0, with_flush[1] - flush_only[1]);
    bytes.flush_read = flush_only[0];
    bytes.flush_write = flush_only[1];
    bytes.passes = passes;
    return bytes;
  } catch (const CuptiFailure& f) {
    reason_ = failure_reason(api, f);
  } catch (const Unusable& u) {
    reason_ = u.reason;
  }
  return std::nullopt;
}

#endif  // KPG_HAVE_CUPTI

}  // namespace kpg::memory
