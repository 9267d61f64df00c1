#!/usr/bin/env python3
"""Regenerates the sample outputs shown in README.md and docs/: each is the real output of
one command, written between two markers (outside fenced code blocks):

    <!-- sample-output: NAME -->
    ```text
    $ COMMAND
    OUTPUT
    ```
    <!-- end sample-output -->

NAME is one of the SAMPLES below. Samples marked `gpu` need a GPU: on a machine without one
their block holds what the command prints there (the no-driver message) and a line saying
what the GPU run puts in its place. Samples marked `exact` print the same thing on every
machine (no timing, no device): `--check` regenerates them and fails on any difference.

Commands run in a scratch folder with a fresh tuning and cubin cache; kernels and configs come
from this repository. In the output, the repository's path reads `~/kpg`, the scratch
folder's `~/work` and its cache `~/.cache/kpg`.

Usage:
    sample_outputs.py [--kpg PATH] [--only NAME ...]   rewrite every block this machine can
    sample_outputs.py --gpu [--kpg PATH]                the same, but fail without a GPU
    sample_outputs.py --check [--kpg PATH]              exit 1 when a marker names no sample or
                                                        an exact sample differs
The kpg binary defaults to ${KPG_BUILD_DIR:-build}/cli/kpg. Python 3 standard library only.
"""
import argparse
import dataclasses
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import doc_markers

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
NO_GPU = re.compile(r"no (usable )?CUDA driver")


@dataclasses.dataclass
class Sample:
    command: str          # as shown after `$ `; `kpg` runs the binary under test
    gpu: bool = False     # needs a GPU
    exact: bool = False   # same output on every machine: compared by --check
    until: str = ""       # keep the output up to (not including) the first line starting so
    timeout: int = 120
    gpu_note: str = ""    # what a GPU run shows, for the block written without a GPU


SAMPLES = {
    "doctor": Sample("kpg doctor"),
    "compile": Sample("kpg compile examples/vector_add.cu"),
    "theory-softmax": Sample("kpg tutorial memory-analysis --theory --card h100 --results theory",
                             exact=True, until="Roofline, softmax"),
    "online-softmax": Sample("scripts/online_softmax_trace.py", exact=True),
    "tune": Sample("kpg tune softmax --shape M=4096,N=781 --top 5", gpu=True, timeout=1800,
                   gpu_note="the candidates pruned and compiled, the ranked table of the fastest "
                            "checked candidates and the chosen configuration"),
    "run": Sample("kpg run softmax --shape M=4096,N=781", gpu=True, timeout=600,
                  gpu_note="one row per variant: the configuration, where it came from, the check "
                           "and the median time"),
    "tutorial-softmax": Sample("kpg tutorial softmax --quick --budget 4 --results softmax-quick", gpu=True,
                               timeout=1800,
                               gpu_note="the fused and unfused times at a few shapes, each beside a copy "
                                        "of the same bytes, and the lesson"),
}


def find_blocks(lines, path):
    """[(name, first line inside, end marker line)] of the sample blocks of a document."""
    return doc_markers.find_blocks(lines, path, "sample-output", "sample", list(SAMPLES))


class Runner:
    """Runs sample commands in one scratch folder with one fresh cache (in SAMPLES order, so
    `run` finds what `tune` stored)."""

    def __init__(self, kpg):
        self.kpg = kpg
        self.scratch = tempfile.mkdtemp(prefix="kpg-samples.")
        self.cache = os.path.join(self.scratch, "cache")
        self.work = os.path.join(self.scratch, "work")
        os.makedirs(self.work)
        bin_dir = os.path.join(self.scratch, "bin")
        os.makedirs(bin_dir)
        os.symlink(os.path.abspath(kpg), os.path.join(bin_dir, "kpg"))
        os.symlink(os.path.join(REPO, "scripts"), os.path.join(self.work, "scripts"))
        self.env = dict(os.environ, KPG_CACHE_DIR=self.cache, PATH=bin_dir + os.pathsep + os.environ["PATH"],
                        KPG_KERNELS_DIR=os.path.join(REPO, "kernels_src"),
                        KPG_CONFIGS_DIR=os.path.join(REPO, "configs"))
        self.env.pop("KPG_LOG", None)

    def close(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def run(self, sample):
        try:
            p = subprocess.run(["bash", "-c", sample.command], cwd=self.work, env=self.env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=sample.timeout)
            out, code = p.stdout.decode("utf-8", "replace"), p.returncode
        except subprocess.TimeoutExpired:
            return None, f"timed out after {sample.timeout} s"
        out = out.replace(self.cache, "~/.cache/kpg").replace(self.work, "~/work").replace(REPO, "~/kpg")
        lines = [line.rstrip() for line in out.splitlines()]
        if sample.until:
            cut = next((i for i, line in enumerate(lines) if line.startswith(sample.until)), None)
            if cut is None:
                return None, f"no line starts with '{sample.until}'"
            lines = lines[:cut]
        while lines and not lines[-1]:
            lines.pop()
        return (lines, code), None

    def has_gpu(self):
        (lines, code), _ = self.run(Sample("kpg doctor"))
        return code == 0 and any(line.strip().startswith("devices") for line in lines)


def render(sample, lines, gpu_present):
    block = ["```text", f"$ {sample.command}"] + lines + ["```"]
    if sample.gpu and not gpu_present:
        block += ["", f"_Written on a machine without a GPU. On a GPU, `scripts/sample_outputs.py --gpu` puts "
                      f"here {sample.gpu_note}._"]
    return block


def generate(runner, names, gpu_present):
    """{name: block lines} for the samples this machine can produce; raises on a failure."""
    out = {}
    for name in SAMPLES:
        if name not in names:
            continue
        sample = SAMPLES[name]
        result, why = runner.run(sample)
        if result is None:
            raise RuntimeError(f"sample '{name}' ({sample.command}): {why}")
        lines, code = result
        expected_failure = sample.gpu and not gpu_present and any(NO_GPU.search(line) for line in lines)
        if code != 0 and not expected_failure:
            tail = "\n".join("    | " + line for line in lines[-15:])
            raise RuntimeError(f"sample '{name}' ({sample.command}) exited {code}:\n{tail}")
        out[name] = render(sample, lines, gpu_present)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kpg", default=os.path.join(os.environ.get("KPG_BUILD_DIR", "build"), "cli", "kpg"))
    parser.add_argument("--check", action="store_true", help="change nothing; compare the exact samples")
    parser.add_argument("--gpu", action="store_true", help="fail when there is no GPU")
    parser.add_argument("--only", nargs="+", choices=list(SAMPLES), help="these samples only")
    parser.add_argument("--root", default=REPO, help=argparse.SUPPRESS)  # tests: another document tree
    args = parser.parse_args(argv)
    kpg = args.kpg if os.path.isabs(args.kpg) else os.path.join(REPO, args.kpg)
    if not os.access(kpg, os.X_OK):
        print(f"sample_outputs: {kpg} not found; build first (scripts/build.sh) or pass --kpg", file=sys.stderr)
        return 2

    docs = {}
    try:
        for path in doc_markers.doc_files(args.root):
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            blocks = find_blocks(lines, os.path.relpath(path, args.root))
            if blocks:
                docs[path] = (lines, blocks)
    except doc_markers.MarkerError as e:
        print(f"sample_outputs: {e}", file=sys.stderr)
        return 2
    used = {name for _, blocks in docs.values() for name, _, _ in blocks}
    if args.check:
        wanted = {n for n in used if SAMPLES[n].exact}
    else:
        wanted = set(args.only or used)

    runner = Runner(kpg)
    try:
        gpu_present = runner.has_gpu()
        if args.gpu and not gpu_present:
            print("sample_outputs: --gpu, but kpg doctor finds no GPU on this machine", file=sys.stderr)
            return 1
        new = generate(runner, wanted, gpu_present)
    except RuntimeError as e:
        print(f"sample_outputs: {e}", file=sys.stderr)
        return 1
    finally:
        runner.close()

    failed = False
    for path, (lines, blocks) in docs.items():
        rel = os.path.relpath(path, args.root)
        changed = []
        for name, start, end in reversed(blocks):
            if name not in new:
                continue
            if lines[start:end] != new[name]:
                changed.append(name)
                if args.check:
                    diff = difflib.unified_diff(lines[start:end], new[name], "in " + rel, "now", lineterm="", n=1)
                    print(f"{rel}: sample '{name}' differs from what `{SAMPLES[name].command}` prints now; "
                          f"run scripts/sample_outputs.py --only {name}\n" + "\n".join(diff), file=sys.stderr)
                    failed = True
                else:
                    lines[start:end] = new[name]
        if changed and not args.check:
            doc_markers.write_atomically(path, "\n".join(lines))
            print(f"{rel}: regenerated {', '.join(reversed(changed))}")
    if args.check and not failed:
        print(f"sample_outputs: {len(used)} sample(s) marked, every exact one matches "
              f"({', '.join(sorted(wanted)) or 'none marked'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
