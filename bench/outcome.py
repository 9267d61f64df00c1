"""What measuring one implementation of a case gives: a Measured, or a Skip with the reason."""
from dataclasses import dataclass


def error_text(e, limit=300):
    """An exception in one line: its type and the first line of its message."""
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"[:limit]


class Skip(Exception):
    """The implementation does not run here (not installed, refuses the shape, gives a wrong
    result, does not fit in memory); str() is the reason written into the results file."""


@dataclass(frozen=True)
class Timing:
    """A timing by kpg's timer (kpg_backend normalises the package's dict into this)."""
    median_ms: float
    min_ms: float
    spread_pct: float
    reps: int
    launch_ms: float  # the launch alone, write-back not charged (kpg-launch-only)
    method: str       # the timing method's name, e.g. kpg-writeback-charged


@dataclass(frozen=True)
class Measured:
    timing: Timing
    config: str = None  # kpg rows: the config id
    note: str = ""      # for the progress lines: where the config came from, the peer's choice
