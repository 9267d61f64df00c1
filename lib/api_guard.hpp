#pragma once
// The library's boundary: kpg's internal exceptions become the public ones of
// kpg/errors.hpp, with the same message. Every exported entry point runs through it.
// Other exceptions pass unchanged (std::bad_alloc; a caller's own, thrown from a launch
// function being timed).

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
    throw NoDeviceError(e.what());
  } catch (const InputError& e) {
    throw InvalidInput(e.what());
  } catch (const Error& e) {
    throw LibraryError(e.what());
  }
}

}  // namespace kpg
