// UniqueHandle: every handle it owns is released exactly once, whatever moves happen.

#include <gtest/gtest.h>

#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/unique_handle.hpp"

namespace kpg {
namespace {

std::vector<int> released;
void release(int* handle) noexcept { released.push_back(*handle); }
using Owner = UniqueHandle<int*, &release>;

class UniqueHandleTest : public ::testing::Test {
 protected:
  void SetUp() override { released.clear(); }
  int a_ = 1, b_ = 2;
};

TEST_F(UniqueHandleTest, ReleasesOnceWhenDestroyed) {
  { const Owner owner(&a_); EXPECT_EQ(owner.get(), &a_); }
  EXPECT_EQ(released, std::vector<int>{1});
  { const Owner empty; EXPECT_FALSE(empty); }
  EXPECT_EQ(released, std::vector<int>{1});
}

TEST_F(UniqueHandleTest, AMoveHandsTheHandleOn) {
  {
    Owner first(&a_);
    Owner second(std::move(first));
    EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): the moved-from owner is empty
    EXPECT_EQ(second.get(), &a_);
    EXPECT_TRUE(released.empty());
  }
  EXPECT_EQ(released, std::vector<int>{1});
}

TEST_F(UniqueHandleTest, MoveAssignmentReleasesWhatItHeld) {
  Owner target(&a_);
  target = Owner(&b_);
  EXPECT_EQ(released, std::vector<int>{1});
  EXPECT_EQ(target.get(), &b_);
  target.reset();
  EXPECT_EQ(released, (std::vector<int>{1, 2}));
  EXPECT_FALSE(target);
}

TEST_F(UniqueHandleTest, CannotBeCopied) {
  EXPECT_FALSE(std::is_copy_constructible_v<Owner>);
  EXPECT_FALSE(std::is_copy_assignable_v<Owner>);
  EXPECT_TRUE(std::is_nothrow_move_constructible_v<Owner>);
}

}  // namespace
}  // namespace kpg
