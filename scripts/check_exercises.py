#!/usr/bin/env python3
"""Runs the exercises of README.md and docs/ and compares each with its stated outcome.

An exercise is two fenced blocks in a document. The commands, run in order as one bash
script (`set -euo pipefail`) in a fresh copy of the repository:

    ```bash exercise NAME            (add `gpu` after NAME when it needs a GPU)
    sed -i 's/.../.../' kernels_src/...
    kpg compile ...  # exits 2
    ```

A line whose trailing comment is `# exits N` must exit with N (the script goes on); any other
failing command fails the exercise. Then the expected outcome, checked against everything the
script printed (stdout and stderr):

    ```text expect NAME
    contains: TEXT          the output holds TEXT
    lacks: TEXT             the output does not hold TEXT
    matches: REGEX          a line matches REGEX (Python syntax)
    first NAME: REGEX       NAME = the number captured by REGEX's group 1 at its first match
    last NAME: REGEX        ... at its last match
    count NAME: REGEX       NAME = how many lines match REGEX
    check: A OP B           A and B are names or numbers, OP one of < <= > >= == !=
    ```

Expected outcomes that are measurements are relations (`check: fused_ms < unfused_ms`), never
typed figures. The copy holds every top-level entry of the repository except build folders,
results and .git; `kpg` is the binary under test, reading the copy's kernels_src/ and
configs/ (KPG_KERNELS_DIR, KPG_CONFIGS_DIR) with a fresh cache (KPG_CACHE_DIR). The real
tree is never modified.

Usage:
    check_exercises.py [--kpg PATH] [--gpu] [--only NAME ...] [--list] [FILE ...]
Without --gpu, exercises marked `gpu` are skipped. FILE defaults to README.md, docs/*.md
and docs/design/*.md; the kpg binary to ${KPG_BUILD_DIR:-build}/cli/kpg. Exit 0 when every
exercise run passed, 1 when one failed, 2 for a malformed exercise or a missing kpg.
Python 3 standard library only.
"""
import argparse
import dataclasses
import operator
import os
import re
import shutil
import subprocess
import sys
import tempfile

import doc_markers

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OPEN = re.compile(r"^\s*```+\s*(\S+)\s+(exercise|expect)\s+([A-Za-z0-9_-]+)((?:\s+\w+)*)\s*$")
FENCE = re.compile(r"^\s*```")
EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")
EXPECTATION = re.compile(r"^(contains|lacks|matches|check|(?:first|last|count)\s+[A-Za-z_]\w*):\s?(.*)$")
COMPARE = re.compile(r"^\s*(\S+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$")
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
SKIP_ENTRIES = {".git", "results"}
CPU_TIMEOUT_S, GPU_TIMEOUT_S = 300, 1200


class ExerciseError(Exception):
    """A malformed exercise: the message names the file and line."""


@dataclasses.dataclass
class Exercise:
    name: str
    where: str             # file:line of the commands
    gpu: bool = False
    commands: list = dataclasses.field(default_factory=list)
    expect: list = dataclasses.field(default_factory=list)   # (kind, text, file:line)
    expect_where: str = ""


def parse(path, rel):
    """The exercises of one markdown file, in order."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    found, i = {}, 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        kind, name, flags, start = m.group(2), m.group(3), m.group(4).split(), i + 1
        body = []
        i += 1
        while i < len(lines) and not FENCE.match(lines[i]):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ExerciseError(f"{rel}:{start}: {kind} block '{name}' has no closing ```")
        i += 1
        ex = found.setdefault(name, Exercise(name, f"{rel}:{start}"))
        if kind == "exercise":
            if ex.commands:
                raise ExerciseError(f"{rel}:{start}: a second exercise named '{name}' (first at {ex.where})")
            unknown = [f for f in flags if f != "gpu"]
            if unknown:
                raise ExerciseError(f"{rel}:{start}: unknown exercise flag(s) {', '.join(unknown)}; known: gpu")
            ex.where, ex.gpu, ex.commands = f"{rel}:{start}", "gpu" in flags, body
        else:
            if ex.expect:
                raise ExerciseError(f"{rel}:{start}: a second expect block for '{name}'")
            ex.expect_where = f"{rel}:{start}"
            for k, line in enumerate(body, start + 1):
                if not line.strip():
                    continue
                e = EXPECTATION.match(line.strip())
                if not e:
                    raise ExerciseError(f"{rel}:{k}: expected 'contains:', 'lacks:', 'matches:', 'first NAME:', "
                                        f"'last NAME:', 'count NAME:' or 'check:', got '{line.strip()}'")
                ex.expect.append((" ".join(e.group(1).split()), e.group(2), f"{rel}:{k}"))
    for ex in found.values():
        if not ex.commands:
            raise ExerciseError(f"{ex.expect_where}: expect block '{ex.name}' has no exercise block")
        if not ex.expect:
            raise ExerciseError(f"{ex.where}: exercise '{ex.name}' has no expect block (```text expect {ex.name})")
        validate(ex)
    return list(found.values())


def validate(ex):
    """Regexes compile, names are defined before a check uses them."""
    names = set()
    for kind, text, where in ex.expect:
        if kind == "matches" or kind.split()[0] in ("first", "last", "count"):
            try:
                pattern = re.compile(text)
            except re.error as e:
                raise ExerciseError(f"{where}: bad regex: {e}")
            if kind.split()[0] in ("first", "last") and pattern.groups < 1:
                raise ExerciseError(f"{where}: '{kind}' needs a regex with a group capturing the number")
        if kind.split()[0] in ("first", "last", "count"):
            names.add(kind.split()[1])
        if kind == "check":
            c = COMPARE.match(text)
            if not c:
                raise ExerciseError(f"{where}: expected 'check: A OP B' with OP one of {' '.join(OPS)}")
            for operand in (c.group(1), c.group(3)):
                if not _is_number(operand) and operand not in names:
                    raise ExerciseError(f"{where}: '{operand}' is neither a number nor a name defined above")
        if kind in ("contains", "lacks") and not text:
            raise ExerciseError(f"{where}: '{kind}:' needs the text")


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def script_of(ex):
    """The bash script: `# exits N` lines run with errexit off and their status compared."""
    out = ["set -euo pipefail"]
    for line in ex.commands:
        m = EXITS.search(line)
        if m and line.strip() and not line.lstrip().startswith("#"):
            want = m.group(1)
            out += ["set +e", line, "__status=$?", "set -e",
                    f'if [[ $__status -ne {want} ]]; then echo "check_exercises: exit $__status, expected {want}: "'
                    f"{shell_quote(line.strip())}; exit 97; fi"]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def copy_tree(dest):
    for entry in sorted(os.listdir(REPO)):
        if entry in SKIP_ENTRIES or entry.startswith("build"):
            continue
        src = os.path.join(REPO, entry)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, entry), symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, os.path.join(dest, entry), follow_symlinks=False)


def run(ex, kpg):
    """(output, exit status) of the exercise's script in a fresh copy of the repository."""
    scratch = tempfile.mkdtemp(prefix=f"kpg-exercise-{ex.name}.")
    try:
        tree = os.path.join(scratch, "kpg")
        os.makedirs(tree)
        copy_tree(tree)
        bin_dir = os.path.join(scratch, "bin")
        os.makedirs(bin_dir)
        os.symlink(kpg, os.path.join(bin_dir, "kpg"))
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
                   KPG_KERNELS_DIR=os.path.join(tree, "kernels_src"), KPG_CONFIGS_DIR=os.path.join(tree, "configs"),
                   KPG_CACHE_DIR=os.path.join(scratch, "cache"))
        env.pop("KPG_LOG", None)
        timeout = GPU_TIMEOUT_S if ex.gpu else CPU_TIMEOUT_S
        try:
            p = subprocess.run(["bash", "-c", script_of(ex)], cwd=tree, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
            return p.stdout.decode("utf-8", "replace"), p.returncode
        except subprocess.TimeoutExpired as e:
            return (e.stdout or b"").decode("utf-8", "replace") + f"\n(timed out after {timeout} s)", 124
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def number(text):
    return float(text.replace(",", ""))


def evaluate(ex, output):
    """Every unmet expectation, one line each; empty when the outcome is as stated."""
    problems, values = [], {}
    lines = output.split("\n")
    for kind, text, where in ex.expect:
        word = kind.split()[0]
        if kind == "contains" and text not in output:
            problems.append(f"{where}: the output does not contain '{text}'")
        elif kind == "lacks" and text in output:
            problems.append(f"{where}: the output contains '{text}'")
        elif kind == "matches" and not any(re.search(text, line) for line in lines):
            problems.append(f"{where}: no line matches /{text}/")
        elif word == "count":
            values[kind.split()[1]] = float(sum(1 for line in lines if re.search(text, line)))
        elif word in ("first", "last"):
            hits = [m for m in (re.search(text, line) for line in lines) if m]
            if not hits:
                problems.append(f"{where}: no line matches /{text}/, so {kind.split()[1]} is unknown")
                continue
            hit = hits[0] if word == "first" else hits[-1]
            try:
                values[kind.split()[1]] = number(hit.group(1))
            except ValueError:
                problems.append(f"{where}: '{hit.group(1)}' (group 1 of /{text}/) is not a number")
        elif kind == "check":
            a, op, b = COMPARE.match(text).groups()
            try:
                va = number(a) if _is_number(a) else values[a]
                vb = number(b) if _is_number(b) else values[b]
            except KeyError as e:
                problems.append(f"{where}: {e.args[0]} is unknown (its regex did not match)")
                continue
            if not OPS[op](va, vb):
                problems.append(f"{where}: {text} does not hold ({a} = {va:g}, {b} = {vb:g})")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="markdown files (default: README.md, docs/*.md and docs/design/*.md)")
    parser.add_argument("--kpg", default=os.path.join(os.environ.get("KPG_BUILD_DIR", "build"), "cli", "kpg"))
    parser.add_argument("--gpu", action="store_true", help="also run the exercises marked gpu")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these exercises only")
    parser.add_argument("--list", action="store_true", help="list the exercises, run nothing")
    args = parser.parse_args(argv)

    try:
        exercises = []
        for path in [os.path.abspath(f) for f in args.files] or doc_markers.doc_files(REPO):
            exercises += parse(path, os.path.relpath(path, REPO))
    except (ExerciseError, OSError) as e:
        print(f"check_exercises: {e}", file=sys.stderr)
        return 2
    names = [ex.name for ex in exercises]
    for name in args.only or []:
        if name not in names:
            print(f"check_exercises: no exercise '{name}'; known: {', '.join(names)}", file=sys.stderr)
            return 2
    if args.list:
        for ex in exercises:
            print(f"{ex.name:24} {'gpu' if ex.gpu else 'cpu'}  {ex.where}")
        return 0
    kpg = args.kpg if os.path.isabs(args.kpg) else os.path.join(REPO, args.kpg)
    if not os.access(kpg, os.X_OK):
        print(f"check_exercises: {kpg} not found; build first (scripts/build.sh) or pass --kpg", file=sys.stderr)
        return 2

    passed = failed = skipped = 0
    for ex in exercises:
        if args.only and ex.name not in args.only:
            continue
        if ex.gpu and not args.gpu:
            skipped += 1
            continue
        output, status = run(ex, kpg)
        problems = [f"the commands exited {status}"] if status != 0 else evaluate(ex, output)
        if problems:
            failed += 1
            print(f"FAIL {ex.name} ({ex.where})")
            for p in problems:
                print(f"  {p}")
            for line in output.rstrip("\n").split("\n")[-25:]:
                print(f"    | {line}")
        else:
            passed += 1
            print(f"ok   {ex.name}")
    print(f"check_exercises: {passed} passed, {failed} failed, {skipped} skipped (gpu; run with --gpu on a GPU)")
    if passed + failed == 0:
        print("check_exercises: no exercise ran", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
