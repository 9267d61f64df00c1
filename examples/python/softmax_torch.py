"""A softmax and a layer norm from kpg in a PyTorch program, on PyTorch's tensors and stream."""
import kpg

softmax, layernorm = kpg.op("softmax"), kpg.op("layernorm")  # reads the YAML: no GPU needed
try:
    print("kpg on", kpg.device_info()["name"])
except kpg.NoDeviceError as e:
    raise SystemExit(f"kpg: no GPU: {e}")
import torch  # noqa: E402

x = torch.randn(4096, 781, device="cuda", dtype=torch.float16)
w, b = torch.randn(781, device="cuda", dtype=torch.float16), torch.randn(781, device="cuda", dtype=torch.float16)
print("softmax config:", softmax.config(x))
torch.testing.assert_close(softmax(x), torch.softmax(x.float(), -1).half(), atol=1e-3, rtol=1e-2)
y = layernorm(x, w, b, eps=1e-5)
torch.testing.assert_close(y, torch.nn.functional.layer_norm(x.float(), (781,), w.float(), b.float()).half(),
                           atol=2e-2, rtol=1e-2)
print("softmax and layer norm match PyTorch")
