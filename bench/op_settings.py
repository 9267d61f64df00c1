"""The settings the benchmark takes from kpg's own op configs, so that every implementation
of an op is held to kpg's standard and sees the inputs kpg's tuner checks with: the tolerance
of the output check (per dtype), the timer's warm-up and repetition time, the normal
distribution of each input buffer and the scalars (configs/<op>.yaml, keys `tolerance`,
`timing`, `buffers` and `scalars`).

Reads only those keys, written as flow maps (`f16: {abs: 2.0e-3, rel: 1.0e-2}`,
`x: {dtype: T, shape: [M, N], init: {normal: [0.0, 1.0]}}`), with the standard library: the
benchmark must not need PyYAML.
"""
import os
import re
from dataclasses import dataclass

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "configs")
_FLOW_ITEM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([-+0-9.eE]+)")
_NORMAL_INIT = re.compile(r"init\s*:\s*\{\s*normal\s*:\s*\[\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\]")


class SettingsError(Exception):
    """A config lacks a key the benchmark needs; the message names the file and the key."""


@dataclass(frozen=True)
class OpSettings:
    tolerance: dict  # dtype -> (abs, rel): |out - ref| <= abs + rel * |ref| elementwise
    warmup_ms: float
    rep_ms: float
    inputs: tuple = ()  # (name, mean, std) of each buffer with a normal init, in YAML order
    scalars: dict = None  # name -> value (`scalars: {eps: 1.0e-5}`)


def _flow_map(text):
    return {k: float(v) for k, v in _FLOW_ITEM.findall(text)}


def parse(text, path):
    tolerance, timing, section, inputs, scalars = {}, None, None, [], {}
    for number, line in enumerate(text.split("\n"), 1):
        code = line.split("#", 1)[0].rstrip()
        if not code:
            continue
        indented = code[0] in " \t"
        if not indented:
            section = code.split(":", 1)[0]
            if section == "timing":
                timing = _flow_map(code.split(":", 1)[1])
            elif section == "scalars":
                scalars = _flow_map(code.split(":", 1)[1])
            continue
        if section == "buffers":
            init = _NORMAL_INIT.search(code)
            if init:
                inputs.append((code.split(":", 1)[0].strip(), float(init.group(1)), float(init.group(2))))
        elif section == "tolerance":
            m = re.match(r"\s+(\w+)\s*:\s*(\{.*\})", code)
            values = _flow_map(m.group(2)) if m else {}
            if "abs" not in values or "rel" not in values:
                raise SettingsError(f"{path}:{number}: tolerance: expected 'DTYPE: {{abs: X, rel: Y}}'")
            tolerance[m.group(1)] = (values["abs"], values["rel"])
    if not tolerance:
        raise SettingsError(f"{path}: no 'tolerance:' map of dtypes")
    if not timing or "warmup_ms" not in timing or "rep_ms" not in timing:
        raise SettingsError(f"{path}: no 'timing: {{warmup_ms: ..., rep_ms: ...}}'")
    return OpSettings(tolerance, timing["warmup_ms"], timing["rep_ms"], tuple(inputs), scalars)


def load(op, configs=CONFIGS):
    path = os.path.join(configs, f"{op}.yaml")
    try:
        with open(path, encoding="utf-8") as f:
            return parse(f.read(), path)
    except OSError as e:
        raise SettingsError(f"{path}: {e.strerror}")
