#!/usr/bin/env python3
"""The project's #include graph, checked against the layers of docs/design (GUIDE.md).

A unit is a file path without its extension (tuner/space.hpp and tuner/space.cpp are the
unit tuner/space); unit A uses unit B when a file of A includes a header of B. Two rules:

  1. no cycle of units (config.cpp including space.hpp which includes config.hpp is one);
  2. no include that points up the layers: runtime <- tuner <- report, profiling <- tutorials
     <- cli (the library, lib/ include/ python/, sits beside report). Folders of the same rank
     may include each other; folders not in LAYERS (tests/, kernels_src/, bench/) are not
     ranked, but their cycles count.

KNOWN_CYCLES lists the accepted exceptions to rule 1, each with its reason.

Usage:
  include_layers.py [--root DIR]            check; print each problem, exit 1 if there is one
  include_layers.py --graph FOLDER [...]    print FOLDER's units, each with the units it uses

Only quoted includes of a project file ("tuner/space.hpp", or a name beside the including
file) count; system and third-party headers are skipped.
"""

import argparse
import os
import re
import sys

# Folder -> rank: a file may include only files of its rank or below.
LAYERS = {
    "runtime": 0,
    "tuner": 1,
    "report": 2, "profiling": 2, "lib": 2, "include": 2, "python": 2,
    "tutorials": 3,
    "cli": 4,
}
# Cycles known and accepted, each with its reason; any other cycle fails the check.
KNOWN_CYCLES = {
    frozenset({"runtime/driver", "runtime/error"}):
        "error.cpp names a CUresult through the loaded driver, and the driver throws errors",
}
SOURCE_SUFFIXES = (".hpp", ".h", ".cpp", ".cc", ".cu", ".cuh")
SKIPPED_DIRS = {".git", "build", "third_party", "node_modules", "__pycache__"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def source_files(root):
    """Every C++/CUDA file under root (relative paths, '/'-separated), build folders skipped."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("build"))
        for name in sorted(files):
            if name.endswith(SOURCE_SUFFIXES):
                out.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return out


def unit_of(path):
    return os.path.splitext(path)[0]


def layer_of(path):
    top = path.split("/", 1)[0]
    return top, LAYERS.get(top)


def resolve(root, including, name, known):
    """The project file an include names: beside the including file, else from the root."""
    beside = os.path.normpath(os.path.join(os.path.dirname(including), name)).replace(os.sep, "/")
    if beside in known:
        return beside
    from_root = os.path.normpath(name).replace(os.sep, "/")
    return from_root if from_root in known else None


def include_edges(root):
    """(file, included file) for every project include."""
    files = source_files(root)
    known = set(files)
    edges = []
    for path in files:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for name in INCLUDE.findall(text):
            target = resolve(root, path, name, known)
            if target:
                edges.append((path, target))
    return edges


def unit_graph(edges):
    graph = {}
    for src, dst in edges:
        a, b = unit_of(src), unit_of(dst)
        graph.setdefault(a, set())
        graph.setdefault(b, set())
        if a != b:
            graph[a].add(b)
    return graph


def cycles(graph):
    """One cycle per strongly connected component of more than one unit (Tarjan), each as a
    closed path of units, smallest unit first."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1 and frozenset(component) not in KNOWN_CYCLES:
                found.append(path_through(graph, component))

    sys.setrecursionlimit(max(10000, 4 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def path_through(graph, component):
    """A closed path inside the component, from its smallest unit back to it."""
    start = min(component)
    previous = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                path = [v]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if w in component and w not in previous:
                previous[w] = v
                queue.append(w)
    return [start, start]


def upward(edges):
    problems = []
    for src, dst in edges:
        (src_top, src_rank), (dst_top, dst_rank) = layer_of(src), layer_of(dst)
        if src_rank is not None and dst_rank is not None and dst_rank > src_rank:
            problems.append(f"{src} includes {dst}: {src_top}/ may not use {dst_top}/ (a higher layer)")
    return problems


def check(root):
    edges = include_edges(root)
    problems = upward(edges)
    for cycle in cycles(unit_graph(edges)):
        problems.append("circular include: " + " -> ".join(cycle))
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s); the layers: " +
              " <- ".join("/".join(sorted(k for k, r in LAYERS.items() if r == rank))
                          for rank in sorted(set(LAYERS.values()))))
        return 1
    print(f"{len(edges)} project includes, no cycle and none pointing up the layers")
    return 0


def print_graph(root, folders):
    graph = unit_graph(include_edges(root))
    for unit in sorted(graph):
        if any(unit.startswith(f.rstrip("/") + "/") for f in folders):
            print(unit + " -> " + (", ".join(sorted(graph[unit])) or "(nothing)"))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
                        help="the repository (default: this script's parent folder)")
    parser.add_argument("--graph", nargs="+", metavar="FOLDER", help="print the unit graph of these folders")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        print(f"include_layers.py: {root} is not a folder", file=sys.stderr)
        return 2
    return print_graph(root, args.graph) if args.graph else check(root)


if __name__ == "__main__":
    sys.exit(main())
