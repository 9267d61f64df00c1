"""Blocks of generated text in README.md and docs/ (doc_files), written back atomically
(write_atomically): the lines between two HTML comments, outside fenced code blocks,

    <!-- KIND: NAME -->
    ...generated...
    <!-- end KIND -->

KIND is `results-table` (scripts/results_tables.py) or `sample-output`
(scripts/sample_outputs.py). A fence inside a block belongs to the block (a sample output is
a fenced block); markers inside a fenced code block are examples, not blocks.
Python 3 standard library only.
"""
import os
import re
import tempfile

FENCE = re.compile(r"^\s*(```|~~~)")


class MarkerError(Exception):
    """A document's markers are broken (unterminated, nested, unknown name): file:line."""


def find_blocks(lines, path, kind, noun, known):
    """[(name, first line index inside, end marker's line index)] of the KIND blocks of a
    document given as lines; `noun` names a block in messages, `known` lists the names (None:
    any name)."""
    begin_marker = re.compile(rf"^<!-- {re.escape(kind)}: ([A-Za-z0-9_-]+) -->\s*$")
    end_marker = re.compile(rf"^<!-- end {re.escape(kind)} -->\s*$")
    blocks, fenced, open_at, name = [], False, None, None
    for i, line in enumerate(lines):
        if open_at is None and FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        begin, end = begin_marker.match(line), end_marker.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(f"{path}:{i + 1}: {noun} '{begin.group(1)}' starts inside {noun} '{name}'")
            if known is not None and begin.group(1) not in known:
                raise MarkerError(f"{path}:{i + 1}: unknown {noun} '{begin.group(1)}'; known: {', '.join(known)}")
            open_at, name = i + 1, begin.group(1)
        elif end:
            if open_at is None:
                raise MarkerError(f"{path}:{i + 1}: end of a {noun} that was not started")
            blocks.append((name, open_at, i))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{path}:{open_at}: {noun} '{name}' has no '<!-- end {kind} -->'")
    return blocks


def doc_files(root):
    """The product's documents under `root`: README.md, docs/*.md, then docs/design/*.md."""
    files = [os.path.join(root, "README.md")]
    for folder in ("docs", os.path.join("docs", "design")):
        directory = os.path.join(root, folder)
        if os.path.isdir(directory):
            files += [os.path.join(directory, n) for n in sorted(os.listdir(directory)) if n.endswith(".md")]
    return [f for f in files if os.path.isfile(f)]


def write_atomically(path, text):
    """Writes `text` to a temporary file beside `path`, then renames it over `path`: a reader
    sees the old file or the new one, never half of one, and a failure leaves no temporary
    file. The file keeps its mode (a new one gets 0644)."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
