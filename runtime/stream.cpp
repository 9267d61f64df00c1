#include "runtime/stream.hpp"

#include "runtime/driver.hpp"
#include "runtime/error.hpp"

namespace kpg {

namespace detail {
void destroy_stream(CUstream stream) noexcept { warn_on_failure("cuStreamDestroy", driver().cuStreamDestroy(stream)); }
}  // namespace detail

Stream::Stream() {
  CUstream stream = nullptr;
  KPG_CU_CHECK(driver().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  stream_ = decltype(stream_)(stream);
}

void Stream::synchronize() const { KPG_CU_CHECK(driver().cuStreamSynchronize(get())); }

}  // namespace kpg
