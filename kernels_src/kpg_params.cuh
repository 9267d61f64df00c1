// kpg_params.cuh: how a kernel reads its tuning parameters. Device code only (NVRTC).
//
// Every tuning parameter reaches a kernel from its op's YAML as -D<NAME>=<integer> (the
// params and defines of the candidate's space, configs/README.md). Kernels keep no values
// of their own, so the YAML is the one place a default lives and nothing can drift:
//
//   KPG_PARAM(kThreads, THREADS);   // constexpr int kThreads = <the value of -DTHREADS>;
//
// Compiled without -DTHREADS, the kernel stops with
//   static assertion failed with "tuning parameter THREADS is not defined: ..."
// (one such line for each missing parameter); a value that is not a decimal integer stops
// it too. Preprocessor tests of a parameter (`#if CLUSTER > 1`) come after its KPG_PARAM.
#pragma once

#define KPG_STRINGIFY_RAW(x) #x
#define KPG_STRINGIFY(x) KPG_STRINGIFY_RAW(x)

#define KPG_PARAM(VAR, NAME)                                                                     \
  static_assert(kpg_param_given(KPG_STRINGIFY(NAME), #NAME),                                     \
                "tuning parameter " #NAME " is not defined: compile with -D" #NAME               \
                "=<integer> (the op's YAML in configs/ gives its value for each candidate)");     \
  constexpr int VAR = kpg_param_value(KPG_STRINGIFY(NAME), #NAME)

// Never defined: reaching it while evaluating a constant expression stops the compile.
__host__ __device__ int kpg_error_tuning_parameter_is_not_a_decimal_integer();

__host__ __device__ constexpr bool kpg_str_equal(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

__host__ __device__ constexpr int kpg_parse_int(const char* s) {
  bool negative = false;
  if (*s == '-') {
    negative = true;
    ++s;
  }
  if (*s == '\0') return kpg_error_tuning_parameter_is_not_a_decimal_integer();
  long long value = 0;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9') return kpg_error_tuning_parameter_is_not_a_decimal_integer();
    value = value * 10 + (*s - '0');
    if (value > 0x7fffffffLL) return kpg_error_tuning_parameter_is_not_a_decimal_integer();
  }
  return static_cast<int>(negative ? -value : value);
}

// An undefined macro stringifies to its own name.
__host__ __device__ constexpr bool kpg_param_given(const char* expanded, const char* name) {
  return !kpg_str_equal(expanded, name);
}

// 1 when missing, so that the static_assert above is the error reported, not a zero-sized
// array further down.
__host__ __device__ constexpr int kpg_param_value(const char* expanded, const char* name) {
  return kpg_param_given(expanded, name) ? kpg_parse_int(expanded) : 1;
}
