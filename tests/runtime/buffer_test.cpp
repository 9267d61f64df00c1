// DeviceBuffer behaviour that needs no GPU: an empty buffer allocates nothing.
#include <gtest/gtest.h>

#include <utility>

#include "runtime/buffer.hpp"
#include "runtime/error.hpp"

namespace kpg {
namespace {

TEST(BufferTest, ZeroBytesAllocatesNothing) {
  DeviceBuffer empty(0);
  EXPECT_EQ(empty.ptr(), 0u);
  EXPECT_EQ(empty.bytes(), 0u);
  EXPECT_NO_THROW(empty.upload(nullptr, 0));
  EXPECT_NO_THROW(empty.fill_bytes(0xFF));
  DeviceBuffer moved = std::move(empty);
  EXPECT_EQ(moved.bytes(), 0u);
}

TEST(BufferTest, OutOfRangeCopiesThrowBeforeTouchingTheDriver) {
  DeviceBuffer empty;
  char byte = 0;
  EXPECT_THROW(empty.upload(&byte, 1), Error);
  EXPECT_THROW(empty.download(&byte, 1, 0), Error);
}

}  // namespace
}  // namespace kpg
