"""What the benchmark measures: the cases (op, dtype, shape), the implementations of each,
the bytes and flops each case must move or compute, and the kernels of the timers section.

Pure Python: no GPU, torch or kpg needed.
"""
from dataclasses import dataclass

MEMORY_OPS = ("softmax", "layernorm", "rmsnorm")
OPS = MEMORY_OPS + ("attention",)
DTYPES = ("f32", "f16", "bf16")
ELEMENT_BYTES = {"f32": 4, "f16": 2, "bf16": 2}
STAT_BYTES = 4  # the row statistics kpg's norms write (mean, rstd) and attention's lse: float32

# In the order of the results file and its tables (scripts/results_tables.py IMPLEMENTATIONS).
KPG_FUSED, KPG_UNFUSED, TORCH, TRITON = "kpg fused", "kpg unfused", "torch", "triton"
FA2, CUDNN, COPY = "flash-attention-2 (SDPA)", "cuDNN (SDPA)", "copy"
MEMORY_IMPLEMENTATIONS = (KPG_FUSED, KPG_UNFUSED, TORCH, TRITON, COPY)
ATTENTION_IMPLEMENTATIONS = (KPG_FUSED, KPG_UNFUSED, TORCH, TRITON, FA2, CUDNN)


@dataclass(frozen=True)
class Case:
    """One op at one dtype and shape. `shape` holds (name, value) pairs in the results file's
    order: M, N for the row ops; B, H, N, D, causal for attention."""
    op: str
    dtype: str
    shape: tuple

    @property
    def dims(self):
        return dict(self.shape)

    @property
    def bound(self):
        return "compute" if self.op == "attention" else "memory"

    @property
    def implementations(self):
        return ATTENTION_IMPLEMENTATIONS if self.op == "attention" else MEMORY_IMPLEMENTATIONS

    def label(self):
        d = self.dims
        if self.op == "attention":
            causal = "causal" if d["causal"] else "non-causal"
            return f"attention {self.dtype} B{d['B']} H{d['H']} N{d['N']} D{d['D']} {causal}"
        return f"{self.op} {self.dtype} {d['M']}x{d['N']}"

    def read_write_bytes(self):
        """(bytes read, bytes written): each input read once, each output written once, as
        kpg's op declares them (configs/<op>.yaml): the norms also write their float32 row
        statistics, attention its float32 log-sum-exp."""
        e = ELEMENT_BYTES[self.dtype]
        d = self.dims
        if self.op == "attention":
            heads = d["B"] * d["H"]
            tensor = heads * d["N"] * d["D"] * e
            return 3 * tensor, tensor + heads * d["N"] * STAT_BYTES
        m, n = d["M"], d["N"]
        if self.op == "softmax":
            return m * n * e, m * n * e
        if self.op == "layernorm":  # x, gamma, beta -> y, mean, rstd
            return (m * n + 2 * n) * e, m * n * e + 2 * m * STAT_BYTES
        if self.op == "rmsnorm":  # x, gamma -> y, rstd
            return (m * n + n) * e, m * n * e + m * STAT_BYTES
        raise ValueError(f"unknown op {self.op!r}")

    def bytes(self):
        read, write = self.read_write_bytes()
        return read + write

    def flops(self):
        """Attention: 4*B*H*N^2*D (two matrix products), half when causal; 0 otherwise."""
        if self.op != "attention":
            return 0
        d = self.dims
        return 4 * d["B"] * d["H"] * d["N"] * d["N"] * d["D"] // (2 if d["causal"] else 1)

    def kpg_dims(self):
        """The dims kpg's YAML names (attention's flag is CAUSAL, 0 or 1)."""
        d = self.dims
        if self.op == "attention":
            return {"B": d["B"], "H": d["H"], "N": d["N"], "D": d["D"], "CAUSAL": int(d["causal"])}
        return {"M": d["M"], "N": d["N"]}


def row_case(op, dtype, m, n):
    if op not in MEMORY_OPS or dtype not in DTYPES or m <= 0 or n <= 0:
        raise ValueError(f"not a row case: {op} {dtype} {m}x{n}")
    return Case(op, dtype, (("M", m), ("N", n)))


def attention_case(dtype, b, h, n, d, causal):
    if dtype not in ("f16", "bf16") or min(b, h, n, d) <= 0:
        raise ValueError(f"not an attention case: {dtype} B{b} H{h} N{n} D{d}")
    return Case("attention", dtype, (("B", b), ("H", h), ("N", n), ("D", d), ("causal", bool(causal))))


def full_plan():
    """Every case of the full run."""
    cases = []
    for dtype in DTYPES:
        for m, n in ((4096, 4096), (128, 262144), (1, 262144)):  # mid rows, long rows, one row
            cases.append(row_case("softmax", dtype, m, n))
    for op in ("layernorm", "rmsnorm"):
        for dtype in ("f16", "bf16", "f32"):
            for m, n in ((16384, 1024), (4096, 8192)):
                cases.append(row_case(op, dtype, m, n))
    cases += attention_sweep((4096,))
    cases.append(attention_case("f16", 4, 16, 16384, 128, False))  # the long sequence
    return cases


def attention_sweep(lengths):
    """The lesson's attention rows at each sequence length: f16 and bf16, D 64 (32 heads) and
    128 (16 heads), causal or not, batch 4."""
    return [attention_case(dtype, 4, 32 if d == 64 else 16, n, d, causal)
            for dtype in ("f16", "bf16") for d in (64, 128) for causal in (False, True) for n in lengths]


def quick_plan():
    """A smoke run: one case of each op, the kernels of the timers section included."""
    return [
        row_case("softmax", "f32", 4096, 4096),
        row_case("softmax", "f16", 1, 262144),
        row_case("layernorm", "f16", 16384, 1024),
        row_case("rmsnorm", "bf16", 4096, 8192),
        attention_case("f16", 4, 32, 1024, 64, True),
    ]


def full_timer_kernels():
    """(case, implementation) of the timers section: the same kernels under every timer, in
    the order of the cases."""
    softmax = row_case("softmax", "f32", 4096, 4096)
    return [(softmax, KPG_FUSED), (softmax, TORCH), (softmax, TRITON), (softmax, COPY),
            (row_case("layernorm", "f16", 16384, 1024), KPG_FUSED)]


def quick_timer_kernels():
    softmax = row_case("softmax", "f32", 4096, 4096)
    return [(softmax, KPG_FUSED), (softmax, TORCH), (softmax, COPY)]


def select_ops(cases, timer_kernels, ops):
    """The cases and timer kernels of the given ops only (ops: None for all)."""
    if ops is None:
        return cases, timer_kernels
    return [c for c in cases if c.op in ops], [(c, i) for c, i in timer_kernels if c.op in ops]
