#pragma once
// Validators of flag values that CLI11 would otherwise take too loosely: a count given as
// "-1" must not wrap around to 18446744073709551615, and a duration must be a finite
// number of seconds in a range the message states.

#include <CLI/CLI.hpp>

namespace kpg {

// A whole number from 0 to `max`, digits only ("-1", "1e3", "12abc" and overflow refused).
CLI::Validator whole_number(unsigned long long max = 18446744073709551615ULL);

// --watchdog: seconds above 0, at most a day; "nan", "inf", 0 and negatives are refused.
CLI::Validator watchdog_seconds();

}  // namespace kpg
