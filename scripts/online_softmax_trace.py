#!/usr/bin/env python3
"""Online softmax, step by step, on a short row: the trace that docs/LEARNING_GUIDE.md shows.

One pass keeps a running maximum m and a running sum s of exp(x - m). When a new value
raises the maximum, the sum so far was taken against the old maximum and is rescaled by
exp(m_old - m_new). The trace prints every step, then the final probabilities beside the
ones of the two-pass softmax, then the same row split in two halves whose (m, s) pairs are
merged the way a block merges its warps' pairs (and flash attention its key tiles).

Usage: online_softmax_trace.py [x1 x2 ...]   (default row: 2 1 4 3 6 5)
Python 3 standard library only; scripts/sample_outputs.py puts its output in the guide.
"""
import math
import sys

DEFAULT_ROW = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0]


def online_pass(row):
    """(m, s, steps): one pass over `row`; each step is (x, m_old, m_new, scale, s_new)."""
    m, s, steps = -math.inf, 0.0, []
    for x in row:
        m_new = max(m, x)
        scale = math.exp(m - m_new)  # exp(-inf) = 0: nothing to rescale at the first step
        s_new = s * scale + math.exp(x - m_new)
        steps.append((x, m, m_new, scale, s_new))
        m, s = m_new, s_new
    return m, s, steps


def merge(a, b):
    """The (m, s) pair of two parts of a row from the pairs of the parts."""
    (m1, s1), (m2, s2) = a, b
    m = max(m1, m2)
    return m, s1 * math.exp(m1 - m) + s2 * math.exp(m2 - m)


def fmt(v):
    return "-inf" if v == -math.inf else f"{v:.4f}"


def main(argv):
    row = [float(v) for v in argv] if argv else DEFAULT_ROW
    if len(row) < 2:
        print("online_softmax_trace: give at least two values", file=sys.stderr)
        return 2
    print("row x = " + " ".join(f"{v:g}" for v in row))
    print()
    print("step   x     m_old     m_new   exp(m_old-m_new)   s = s*scale + exp(x-m_new)")
    m, s, steps = online_pass(row)
    for i, (x, m_old, m_new, scale, s_new) in enumerate(steps, 1):
        print(f"{i:>4} {x:>4g} {fmt(m_old):>9} {fmt(m_new):>9} {fmt(scale):>18} {fmt(s_new):>28}")
    print()
    print(f"one pass: m = {fmt(m)}, s = {fmt(s)}")
    two_pass_m = max(row)
    two_pass_s = sum(math.exp(v - two_pass_m) for v in row)
    print(f"two passes (max first, then the sum): m = {fmt(two_pass_m)}, s = {fmt(two_pass_s)}")
    print()
    print("   x   online exp(x-m)/s   two-pass exp(x-max)/sum")
    for v in row:
        print(f"{v:>4g} {math.exp(v - m) / s:>19.6f} {math.exp(v - two_pass_m) / two_pass_s:>25.6f}")
    half = len(row) // 2
    left, right = online_pass(row[:half]), online_pass(row[half:])
    merged = merge(left[:2], right[:2])
    print()
    print(f"split in two: left (m, s) = ({fmt(left[0])}, {fmt(left[1])}), "
          f"right (m, s) = ({fmt(right[0])}, {fmt(right[1])})")
    print(f"merged: m = max(m1, m2) = {fmt(merged[0])}, "
          f"s = s1*exp(m1-m) + s2*exp(m2-m) = {fmt(merged[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
