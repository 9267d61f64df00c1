"""kpg.op(): an op of kpg called on tensors, launched on the framework's current stream."""

from . import _kpg
from . import _tensors

_RESERVED = ("out", "stream", "all_outputs")


class Op:
    """An op (configs/<op>.yaml) ready to run on tensors: ``kpg.op("softmax")(x)``.

    Positional tensors are the YAML's input buffers in order; dims come from their shapes
    (leading dims of a higher-rank contiguous input merge into its first: softmax over the
    last dim of a [B, T, C] tensor), flags and any other dim from keywords (``causal=True``
    sets CAUSAL), scalars from keywords (``eps=1e-5``). The configuration of a shape is chosen
    once, on its first call (``config()`` tells which and why); later calls only launch.
    """

    def __init__(self, name_or_yaml, variant="fused", *, tune_on_first_use=False, tune_budget=0,
                 kernels_dir="", configs_dir="", cache_dir=""):
        self._options = dict(variant=variant, kernels_dir=str(kernels_dir), configs_dir=str(configs_dir),
                             cache_dir=str(cache_dir), tune_on_first_use=bool(tune_on_first_use),
                             tune_budget=int(tune_budget or 0))
        self._source = str(name_or_yaml)
        first = _kpg.Operation.open(self._source, device=0, **self._options)
        self._natives = {0: first}  # device ordinal -> Operation; others opened on first use
        self.name = first.name
        self.variant = first.variant
        self.inputs = tuple(first.inputs)
        self.outputs = tuple(first.outputs)
        self.scalars = tuple(first.scalar_names)
        self._flags = set(first.flags)
        self._dims_by_key = {d.lower(): d for d in first.dims}
        self._entries = {}  # (input shapes and dtypes, device, given dims, input type) -> _Entry

    def __repr__(self):
        return f"kpg.op({self.name!r}, variant={self.variant!r})"

    # The work of a call, split so that config(), bytes() and flops() share it.
    def _native(self, device):
        native = self._natives.get(device)
        if native is None:
            native = self._natives[device] = _kpg.Operation.open(self._source, device=device, **self._options)
        return native

    def _keywords(self, kw):
        """Keywords -> (dims given, scalar values); TypeError for anything else."""
        given, scalars = {}, {}
        for key, value in kw.items():
            dim = self._dims_by_key.get(key.lower())
            if key in self.scalars:
                scalars[key] = float(value)
            elif dim is not None:
                if dim in self._flags and value not in (True, False, 0, 1):
                    raise ValueError(f"{self.name}: {key} is a flag: True or False, got {value!r}")
                given[dim] = int(value)
            else:
                takes = sorted(set(k.lower() for k in self._flags) | set(self.scalars)) + list(_RESERVED)
                raise TypeError(f"{self.name}() got an unexpected keyword argument {key!r} (it takes: {', '.join(takes)})")
        return given, scalars

    def _views(self, tensors):
        if len(tensors) != len(self.inputs):
            raise TypeError(f"{self.name}() takes {len(self.inputs)} input tensor(s) ({', '.join(self.inputs)}), "
                            f"got {len(tensors)}")
        return [_tensors.view(t) for t in tensors]

    def _entry(self, first, views, given):
        device = _device_of(views)
        key = (tuple((v[1], v[2]) for v in views), device, tuple(sorted(given.items())), type(first))
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(self, self._native(device), first, views, given, device)
        return entry

    def _problem(self, tensors, kw):
        given, _ = self._keywords(kw)
        views = self._views(tensors)
        native = self._native(_device_of(views))
        dims = native.problem_for([list(v[1]) for v in views], views[0][2], given)
        return native, dims, views[0][2]

    def __call__(self, *tensors, out=None, stream=None, all_outputs=False, **kw):
        """Runs the op on the tensors and returns its first output (all outputs, in the YAML's
        order, with all_outputs=True). out=: a tensor for the first output, or a tuple/list (in
        order, None to allocate) or dict (by name) of outputs; the rest are allocated with the
        first input's framework. stream=: a stream to launch on instead of the framework's
        current one."""
        given, scalars = self._keywords(kw) if kw else ({}, None)
        views = self._views(tensors)
        entry = self._entry(tensors[0], views, given)
        outs = entry.outputs(tensors[0], out)
        pointers = [v[0] for v in views]
        pointers.extend(_tensors.view(o)[0] for o in outs)
        handle = entry.stream_of(entry.device) if stream is None else _tensors.stream_handle(stream)
        entry.launcher.launch(pointers, handle, entry.scalar_values(scalars) if scalars else None)
        return tuple(outs) if all_outputs else outs[0]

    def config(self, *tensors, **kw):
        """dict(id, source, variant, detail, params): the configuration a call on these tensors uses
        and where it came from ("tuned now", "tuning cache", "nearest tuned shape", "config default")."""
        native, dims, dtype = self._problem(tensors, kw)
        return native.config(dims, dtype)

    def bytes(self, *tensors, **kw):
        """The fewest bytes the op must move on these tensors: inputs read once, outputs written once."""
        native, dims, dtype = self._problem(tensors, kw)
        return native.bytes(dims, dtype)

    def flops(self, *tensors, **kw):
        """The op's arithmetic on these tensors where the YAML declares it (`flops:`), else None."""
        native, dims, dtype = self._problem(tensors, kw)
        return native.flops(dims, dtype)


class _Entry:
    """One shape of one Op: its Launcher and how its outputs are made."""

    __slots__ = ("launcher", "device", "stream_of", "out_specs", "first_dims", "scalar_defaults", "scalar_names",
                 "name", "output_names")

    def __init__(self, op, native, first, views, given, device):
        dtype = views[0][2]
        dims = native.problem_for([list(v[1]) for v in views], dtype, given)
        # Inputs then outputs, checked before anything touches the GPU.
        buffers = native.buffers(dims, dtype)
        io = [b for b in buffers if b[1] == "input"] + [b for b in buffers if b[1] == "output"]
        for (_, _, got, _), (name, _, wanted, _) in zip(views, io):
            if got != wanted:
                raise TypeError(f"{op.name}: input {name!r} must be {wanted}, got {got}")
        self.launcher = native.prepare(dims, dtype)
        self.device = device
        self.name = op.name
        self.stream_of = _tensors.stream_getter(_tensors.framework(first))
        self.first_dims = _merged(views[0][1], len(io[0][3]))
        self.out_specs = []
        self.output_names = []
        for name, _, dtype_out, out_dims in io[len(views):]:
            # An output shaped like the first input takes that input's own (unmerged) shape.
            shape = views[0][1] if out_dims == self.first_dims else out_dims
            self.out_specs.append((name, dtype_out, shape, out_dims))
            self.output_names.append(name)
        self.scalar_names = [n for n, _ in self.launcher.scalars]
        self.scalar_defaults = [v for _, v in self.launcher.scalars]

    def scalar_values(self, given):
        return [given.get(n, v) for n, v in zip(self.scalar_names, self.scalar_defaults)]

    def outputs(self, first_input, out):
        given = _given_outputs(self, out)
        outs = []
        for (name, dtype, shape, dims), tensor in zip(self.out_specs, given):
            if tensor is None:
                tensor = _tensors.empty_like_framework(first_input, shape, dtype)
            else:
                _, got_shape, got_dtype, _ = _tensors.view(tensor)
                if got_dtype != dtype or _merged(got_shape, len(dims)) != dims:
                    raise ValueError(f"{self.name}: out {name!r} must be {dtype} of shape {tuple(shape)}, "
                                     f"got {got_dtype} of shape {tuple(got_shape)}")
            outs.append(tensor)
        return outs


def _device_of(views):
    """The device of the first input that names one (CUDA array interface objects do not): 0 otherwise."""
    return next((v[3] for v in views if v[3] is not None), 0)


def _merged(shape, rank):
    """A shape's leading dims merged so that it has `rank` dims (as the C++ side does)."""
    shape = tuple(shape)
    if len(shape) <= rank:
        return shape
    lead = 1
    for d in shape[: len(shape) - rank + 1]:
        lead *= d
    return (lead,) + shape[len(shape) - rank + 1:]


def _given_outputs(entry, out):
    n = len(entry.out_specs)
    if out is None:
        return [None] * n
    if isinstance(out, dict):
        unknown = set(out) - set(entry.output_names)
        if unknown:
            raise ValueError(f"{entry.name}: no output named {sorted(unknown)} (outputs: {', '.join(entry.output_names)})")
        return [out.get(name) for name in entry.output_names]
    if isinstance(out, (tuple, list)):
        if len(out) != n:
            raise ValueError(f"{entry.name}: out= takes {n} output(s) ({', '.join(entry.output_names)}), got {len(out)}")
        return list(out)
    return [out] + [None] * (n - 1)


def op(name_or_yaml, variant="fused", **options):
    """kpg.op("softmax") -> Op. name_or_yaml: an op name of the installed configs or a .yaml path.
    variant: "fused" (the op's variant of that name, else its first) or another of its variants.
    Options: tune_on_first_use (tune a shape that has no record for this card on its first call,
    recording the results), tune_budget, kernels_dir, configs_dir, cache_dir."""
    return Op(name_or_yaml, variant, **options)
