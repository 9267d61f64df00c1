// kpg._kpg: the library's C++ API (include/kpg/) for Python. The package's Python side
// (src/kpg/) turns tensors into pointers, shapes and streams; this layer only converts.
// Errors: kpg::InvalidInput -> ValueError, kpg::NoDeviceError -> kpg.NoDeviceError,
// any other kpg::LibraryError -> kpg.Error (a RuntimeError), each with kpg's message.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <kpg/kpg.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

PyObject* g_error = nullptr;      // kpg.Error
PyObject* g_no_device = nullptr;  // kpg.NoDeviceError

const char* role_name(kpg::BufferRole r) {
  switch (r) {
    case kpg::BufferRole::input: return "input";
    case kpg::BufferRole::output: return "output";
    case kpg::BufferRole::scratch: return "scratch";
  }
  return "?";
}

nb::dict choice_dict(const kpg::ConfigChoice& c) {
  nb::dict d;
  d["id"] = c.id;
  d["source"] = kpg::to_string(c.source);
  d["variant"] = c.variant;
  d["detail"] = c.detail;
  d["params"] = c.params;
  return d;
}

nb::tuple buffer_tuple(const kpg::BufferInfo& b) {
  nb::list dims;
  for (const int64_t d : b.dims) dims.append(d);
  return nb::make_tuple(b.name, role_name(b.role), b.dtype, nb::tuple(dims));
}

// The statistics of the timed repetitions that TimeResult and TuneSummary::Best both carry,
// under the same keys in both dicts.
template <class Timed>
void add_time_stats(nb::dict& d, const Timed& t) {
  d["median_ms"] = t.median_ms;
  d["min_ms"] = t.min_ms;
  d["spread_pct"] = t.spread_pct;
  d["reps"] = t.reps;
}

nb::dict timing_dict(const kpg::TimeResult& t) {
  nb::dict d;
  add_time_stats(d, t);
  d["launch_ms"] = t.launch_ms;
  d["writeback_ms"] = t.writeback_ms;
  d["method"] = t.method;
  d["graph_replay"] = t.graph_replay;
  return d;
}

kpg::TimeOptions time_options(double warmup_ms, double rep_ms, bool graph, int device) {
  kpg::TimeOptions o;
  o.warmup_ms = warmup_ms;
  o.rep_ms = rep_ms;
  o.graph = graph;
  o.device = device;
  return o;
}

kpg::Problem problem_of(const std::map<std::string, int64_t>& dims, const std::string& dtype) {
  return kpg::Problem{dims, dtype};
}

// (pointer, shape, dtype, device ordinal) of a DLPack tensor on a CUDA device, row-major
// and contiguous; ValueError / TypeError otherwise. Nothing is copied.
nb::tuple dlpack_view(nb::ndarray<> a) {
  if (a.device_type() != nb::device::cuda::value)
    throw nb::value_error("kpg runs on CUDA device memory; this tensor is not on a CUDA device");
  int64_t expected = 1;
  nb::list shape;
  for (size_t i = a.ndim(); i-- > 0;) {
    if (a.shape(i) != 1 && a.stride(i) != expected)
      throw nb::value_error("kpg takes contiguous row-major tensors; this one is strided (make a contiguous copy)");
    expected *= a.shape(i);
  }
  for (size_t i = 0; i < a.ndim(); ++i) shape.append(a.shape(i));
  const nb::dlpack::dtype t = a.dtype();
  std::string dtype;
  if (t.lanes == 1 && t.code == uint8_t(nb::dlpack::dtype_code::Float) && t.bits == 32) dtype = "f32";
  if (t.lanes == 1 && t.code == uint8_t(nb::dlpack::dtype_code::Float) && t.bits == 16) dtype = "f16";
  if (t.lanes == 1 && t.code == uint8_t(nb::dlpack::dtype_code::Bfloat) && t.bits == 16) dtype = "bf16";
  if (t.lanes == 1 && t.code == uint8_t(nb::dlpack::dtype_code::Int) && t.bits == 32) dtype = "i32";
  if (dtype.empty()) throw nb::type_error("kpg takes float32, float16, bfloat16 or int32 tensors");
  return nb::make_tuple(reinterpret_cast<uintptr_t>(a.data()), nb::tuple(shape), dtype, a.device_id());
}

}  // namespace

NB_MODULE(_kpg, m) {
  m.doc() = "kpg's library (include/kpg/) for Python; use the kpg package, not this module.";

  g_error = PyErr_NewException("kpg.Error", PyExc_RuntimeError, nullptr);
  g_no_device = PyErr_NewException("kpg.NoDeviceError", g_error, nullptr);
  m.attr("Error") = nb::handle(g_error);
  m.attr("NoDeviceError") = nb::handle(g_no_device);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const kpg::NoDeviceError& e) {
      PyErr_SetString(g_no_device, e.what());
    } catch (const kpg::InvalidInput& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const kpg::LibraryError& e) {
      PyErr_SetString(g_error, e.what());
    }
  });

  nb::class_<kpg::Launcher>(m, "Launcher")
      .def_prop_ro("config", [](const kpg::Launcher& l) { return choice_dict(l.config()); })
      .def_prop_ro("io",
                   [](const kpg::Launcher& l) {
                     nb::list out;
                     for (const auto& b : l.io()) out.append(buffer_tuple(b));
                     return out;
                   })
      .def_prop_ro("scalars", [](const kpg::Launcher& l) { return l.scalars(); })
      .def("describe", &kpg::Launcher::describe)
      .def(
          "launch",
          [](kpg::Launcher& l, const std::vector<uint64_t>& pointers, uintptr_t stream,
             const std::optional<std::vector<double>>& scalars) {
            if (scalars && scalars->size() != l.scalars().size())
              throw nb::value_error("launch: one value per scalar of the op expected");
            static_assert(sizeof(CUdeviceptr) == sizeof(uint64_t));
            l.launch(reinterpret_cast<const CUdeviceptr*>(pointers.data()), pointers.size(),
                     reinterpret_cast<CUstream>(stream), scalars ? scalars->data() : nullptr);
          },
          "pointers"_a, "stream"_a, "scalars"_a = nb::none());

  nb::class_<kpg::Operation>(m, "Operation")
      .def_static(
          "open",
          [](const std::string& name, const std::string& variant, int device, const std::string& kernels_dir,
             const std::string& configs_dir, const std::string& cache_dir, bool tune_on_first_use,
             size_t tune_budget) {
            kpg::OperationOptions o;
            o.variant = variant;
            o.device = device;
            o.kernels_dir = kernels_dir;
            o.configs_dir = configs_dir;
            o.cache_dir = cache_dir;
            o.tune_on_first_use = tune_on_first_use;
            o.tune_budget = tune_budget;
            return kpg::Operation::open(name, o);
          },
          "name"_a, "variant"_a = "", "device"_a = 0, "kernels_dir"_a = "", "configs_dir"_a = "",
          "cache_dir"_a = "", "tune_on_first_use"_a = false, "tune_budget"_a = 0)
      .def_prop_ro("name", &kpg::Operation::name)
      .def_prop_ro("variant", &kpg::Operation::variant)
      .def_prop_ro("variants", &kpg::Operation::variants)
      .def_prop_ro("dims", &kpg::Operation::dims)
      .def_prop_ro("flags", &kpg::Operation::flags)
      .def_prop_ro("dtypes", &kpg::Operation::dtypes)
      .def_prop_ro("inputs", &kpg::Operation::inputs)
      .def_prop_ro("outputs", &kpg::Operation::outputs)
      .def_prop_ro("scalar_names", &kpg::Operation::scalar_names)
      .def(
          "problem_for",
          [](const kpg::Operation& op, const std::vector<std::vector<int64_t>>& input_dims, const std::string& dtype,
             const std::map<std::string, int64_t>& given) { return op.problem_for(input_dims, dtype, given).dims; },
          "input_dims"_a, "dtype"_a, "given"_a)
      .def(
          "buffers",
          [](const kpg::Operation& op, const std::map<std::string, int64_t>& dims, const std::string& dtype) {
            nb::list out;
            for (const auto& b : op.buffers(problem_of(dims, dtype))) out.append(buffer_tuple(b));
            return out;
          },
          "dims"_a, "dtype"_a)
      .def(
          "bytes",
          [](const kpg::Operation& op, const std::map<std::string, int64_t>& dims, const std::string& dtype) {
            return op.bytes(problem_of(dims, dtype));
          },
          "dims"_a, "dtype"_a)
      .def(
          "flops",
          [](const kpg::Operation& op, const std::map<std::string, int64_t>& dims, const std::string& dtype) {
            return op.flops(problem_of(dims, dtype));
          },
          "dims"_a, "dtype"_a)
      .def(
          "config",
          [](kpg::Operation& op, const std::map<std::string, int64_t>& dims, const std::string& dtype) {
            return choice_dict(op.config(problem_of(dims, dtype)));
          },
          "dims"_a, "dtype"_a)
      .def(
          "prepare",
          [](kpg::Operation& op, const std::map<std::string, int64_t>& dims, const std::string& dtype,
             const std::string& config_id) -> kpg::Launcher& { return op.prepare(problem_of(dims, dtype), config_id); },
          "dims"_a, "dtype"_a, "config_id"_a = "", nb::rv_policy::reference_internal)
      .def(
          "verify",
          [](kpg::Operation& op, const std::map<std::string, int64_t>& dims, const std::string& dtype, uint64_t seed,
             const std::string& config_id) {
            const kpg::VerifyResult r = op.verify(problem_of(dims, dtype), seed, config_id);
            nb::dict d;
            d["ok"] = r.ok;
            d["config"] = choice_dict(r.config);
            d["details"] = r.details;
            return d;
          },
          "dims"_a, "dtype"_a, "seed"_a = 0, "config_id"_a = "")
      .def(
          "tune",
          [](kpg::Operation& op, const std::map<std::string, int64_t>& dims, const std::string& dtype,
             size_t budget) {
            const kpg::TuneSummary s = op.tune(problem_of(dims, dtype), budget);
            nb::dict d;
            if (s.best) {
              nb::dict best;
              best["id"] = s.best->id;
              add_time_stats(best, *s.best);
              d["best"] = best;
            } else {
              d["best"] = nb::none();
            }
            d["chosen"] = choice_dict(s.chosen);
            d["candidates"] = s.candidates;
            d["timed"] = s.timed;
            d["failed"] = s.failed;
            return d;
          },
          "dims"_a, "dtype"_a, "budget"_a = 0);

  m.def(
      "time",
      [](nb::callable fn, uintptr_t stream, double warmup_ms, double rep_ms, bool graph, int device) {
        // The callable enqueues on the framework's current stream, which is `stream`.
        return timing_dict(kpg::time([&](CUstream) { fn(); }, reinterpret_cast<CUstream>(stream),
                                     time_options(warmup_ms, rep_ms, graph, device)));
      },
      "fn"_a, "stream"_a, "warmup_ms"_a, "rep_ms"_a, "graph"_a, "device"_a);

  m.def(
      "same_bytes_copy",
      [](int64_t read_bytes, int64_t write_bytes, uintptr_t stream, double warmup_ms, double rep_ms, bool graph,
         int device) {
        const kpg::CopyResult r = kpg::same_bytes_copy(read_bytes, write_bytes, reinterpret_cast<CUstream>(stream),
                                                       time_options(warmup_ms, rep_ms, graph, device));
        nb::dict d = timing_dict(r);
        d["read_bytes"] = r.read_bytes;
        d["write_bytes"] = r.write_bytes;
        d["gbs"] = r.gbs;
        d["copier"] = r.copier;
        nb::dict copiers;
        for (const auto& c : r.copiers) copiers[c.name.c_str()] = c.median_ms;
        d["copiers"] = copiers;
        return d;
      },
      "read_bytes"_a, "write_bytes"_a, "stream"_a, "warmup_ms"_a, "rep_ms"_a, "graph"_a, "device"_a);

  m.def(
      "device_info",
      [](int device) {
        const kpg::DeviceInfo i = kpg::device_info(device);
        nb::dict d;
        d["name"] = i.name;
        d["arch"] = i.arch;
        d["sm_count"] = i.sm_count;
        d["l2_bytes"] = i.l2_bytes;
        d["memory_bytes"] = i.memory_bytes;
        d["driver"] = i.driver;
        d["cuda_runtime_of_driver"] = i.cuda_runtime_of_driver;
        d["nvrtc"] = i.nvrtc;
        d["kpg_version"] = i.kpg_version;
        d["identity"] = i.identity;
        d["ordinal"] = i.ordinal;
        return d;
      },
      "device"_a = 0);

  m.def("library_version", &kpg::library_version);
  m.def("dlpack_view", &dlpack_view, "tensor"_a.noconvert());

  // The host time of one launch of a prepared Launcher with no Python in the loop: the bare
  // launch that the Python path's overhead is measured against (python/tests/overhead.py).
  m.def(
      "_bare_launch_us",
      [](kpg::Launcher& l, const std::vector<uint64_t>& pointers, uintptr_t stream, int count) {
        const auto* p = reinterpret_cast<const CUdeviceptr*>(pointers.data());
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < count; ++i) l.launch(p, pointers.size(), reinterpret_cast<CUstream>(stream));
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / count;
      },
      "launcher"_a, "pointers"_a, "stream"_a, "count"_a);
}
