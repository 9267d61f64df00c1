#pragma once
// The library's boundary: kpg's internal exceptions become the public ones of
// kpg/errors.hpp, with the same message. Every exported entry point runs through it.
// Other exceptions pass unchanged (std::bad_alloc; a caller's own, thrown from a launch
// function being timed). The internal exception stays nested in the public one
// (std::throw_with_nested): kpg's own commands, built with the library, get it back
// (lib/front_door.hpp) and report it as they report every other error of kpg.

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

}  // namespace kpg
