#pragma once
// The library's boundary, both ways. api_guard: kpg's internal exceptions become the public
// ones of kpg/errors.hpp, with the same message; every exported entry point runs through it.
// Other exceptions pass unchanged (std::bad_alloc; a caller's own, thrown from a launch
// function being timed). The internal exception stays nested in the public one
// (std::throw_with_nested). with_internal_errors: kpg's own commands, built with the
// library, get it back and report it as they report every other error of kpg.

#include <exception>
#include <utility>

#include "kpg/errors.hpp"
#include "runtime/error.hpp"

namespace kpg {

template <class F>
decltype(auto) api_guard(F&& body) {
  try {
    return std::forward<F>(body)();
  } catch (const LibraryError&) {
    throw;
  } catch (const NoDriverError& e) {
    std::throw_with_nested(NoDeviceError(e.what()));
  } catch (const InputError& e) {
    std::throw_with_nested(InvalidInput(e.what()));
  } catch (const Error& e) {
    std::throw_with_nested(LibraryError(e.what()));
  }
}

// Runs `body`, a call of the public API, rethrowing kpg's internal exception that a
// LibraryError carries nested.
template <class F>
decltype(auto) with_internal_errors(F&& body) {
  try {
    return std::forward<F>(body)();
  } catch (const LibraryError& e) {
    std::rethrow_if_nested(e);
    throw;
  }
}

}  // namespace kpg
