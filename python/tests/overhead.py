"""What the Python path costs: the host time of one call of a cached op, next to a bare launch
of the same prepared kernel, and the time from `import kpg` to the first launch of a cached op.

Host times are measured per call over batches of 100 calls (the GPU queue never fills: the
stream is synchronised between batches, outside the timed part), median over 50 batches, on
a tiny softmax (1 x 256 f32) so that the GPU is never the bottleneck. Printed, not asserted.

Run: python python/tests/overhead.py
"""

import os
import statistics
import subprocess
import sys
import time

import torch

import kpg
from kpg import _kpg

BATCH, BATCHES = 100, 50
TARGET_US = 10.0


def host_us(call):
    """Median host microseconds per call over BATCHES batches of BATCH calls."""
    samples = []
    for _ in range(5):  # warm-up batches
        for _ in range(BATCH):
            call()
    torch.cuda.synchronize()
    for _ in range(BATCHES):
        t0 = time.perf_counter_ns()
        for _ in range(BATCH):
            call()
        samples.append((time.perf_counter_ns() - t0) / BATCH / 1e3)
        torch.cuda.synchronize()
    return statistics.median(samples)


def per_call_overhead():
    op = kpg.op("softmax")
    x = torch.randn(1, 256, device="cuda")
    y = torch.empty_like(x)
    op(x, out=y)  # the shape's configuration chosen, compiled, loaded: the op is cached from here on
    launcher = op._entries[next(iter(op._entries))].launcher
    pointers = [x.data_ptr(), y.data_ptr()]
    stream = torch.cuda.current_stream().cuda_stream
    print(f"softmax 1 x 256 f32, config {launcher.config['id']} ({launcher.config['source']}), "
          f"{torch.cuda.get_device_name()}")

    def bare_cpp():
        return _kpg._bare_launch_us(launcher, pointers, stream, BATCH)

    rows = []
    # The C++ loop times itself: per launch, no Python between launches.
    samples = []
    for _ in range(BATCHES):
        samples.append(bare_cpp())
        torch.cuda.synchronize()
    bare = statistics.median(samples)
    rows.append(("bare launch (C++ Launcher::launch in a loop)", bare))
    rows.append(("Launcher.launch from Python (pointers given)", host_us(lambda: launcher.launch(pointers, stream))))
    rows.append(("op(x, out=y)", host_us(lambda: op(x, out=y))))
    rows.append(("op(x) (allocates y with torch.empty)", host_us(lambda: op(x))))
    rows.append(("for comparison: torch.softmax(x, -1)", host_us(lambda: torch.softmax(x, -1))))
    width = max(len(name) for name, _ in rows)
    print(f"{'path':<{width}}  host us/call  over bare")
    for name, us in rows:
        print(f"{name:<{width}}  {us:12.2f}  {us - bare:9.2f}")
    over = dict(rows)["op(x, out=y)"] - bare
    print(f"per-call overhead of the Python path over a bare launch: {over:.2f} us "
          f"({'under' if over < TARGET_US else 'NOT under'} the {TARGET_US:g} us target)")


CHILD = """
import time, torch
x = torch.randn(4096, 781, device="cuda")
torch.cuda.synchronize()
t0 = time.perf_counter()
import kpg
y = kpg.op("softmax")(x)
torch.cuda.synchronize()
print((time.perf_counter() - t0) * 1e3)
"""


def import_to_first_launch():
    """A fresh process each time; the first run fills the disk caches (cubin) if needed."""
    times = []
    for _ in range(4):
        out = subprocess.run([sys.executable, "-c", CHILD], check=True, capture_output=True, text=True,
                             env=dict(os.environ))
        times.append(float(out.stdout.strip().splitlines()[-1]))
    print(f"import kpg -> first launch of softmax 4096 x 781 f32, done: first process {times[0]:.1f} ms "
          f"(may compile), then {', '.join(f'{t:.1f}' for t in times[1:])} ms (cubin and choice on disk)")


if __name__ == "__main__":
    per_call_overhead()
    import_to_first_launch()
