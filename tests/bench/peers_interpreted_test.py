#!/usr/bin/env python3
"""The benchmark's Triton kernels (bench/peers/) and its float64 references and output check
(bench/reference.py), run on the CPU by Triton's interpreter (TRITON_INTERPRET=1) at small
shapes. Needs torch and triton; exits 77 (skipped) without them.

bfloat16 is left out: the interpreter's bfloat16 dot products are wrong (float16 runs the same
kernel code)."""
import math
import os
import sys
import unittest

os.environ["TRITON_INTERPRET"] = "1"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..")))

try:
    import torch
    import triton  # noqa: F401
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

from bench import op_settings, reference  # noqa: E402
from bench.outcome import Skip  # noqa: E402
from bench.peers import triton_attention, triton_norms, triton_softmax  # noqa: E402


def tolerance(op, dtype):
    return op_settings.load(op).tolerance[dtype]


class Softmax(unittest.TestCase):
    def test_whole_row_and_tiled_kernels_match_the_reference(self):
        g = torch.Generator().manual_seed(1)
        for dtype, name in ((torch.float32, "f32"), (torch.float16, "f16")):
            for m, n in ((3, 1000), (2, 20000)):  # an odd row; a row both kernels take
                x = (torch.randn(m, n, generator=g) * 3).to(dtype)
                ref = reference.softmax(x)
                found = triton_softmax.candidates(x)
                self.assertTrue(found)
                for label, fn in found[::3]:  # one num_warps of each kernel: the interpreter is slow
                    reference.check(fn(), ref, tolerance("softmax", name))
        self.assertTrue(any(label.startswith("tiled") for label, _ in triton_softmax.candidates(x)))


class Norms(unittest.TestCase):
    def test_layernorm_and_rmsnorm_match_the_reference(self):
        g = torch.Generator().manual_seed(2)
        for dtype, name in ((torch.float32, "f32"), (torch.float16, "f16")):
            x = torch.randn(5, 1000, generator=g).to(dtype)
            w = (1 + 0.1 * torch.randn(1000, generator=g)).to(dtype)
            b = (0.1 * torch.randn(1000, generator=g)).to(dtype)
            _, fn = triton_norms.layernorm_candidates(x, w, b, 1e-5)[0]
            reference.check(fn(), reference.layernorm(x, w, b, 1e-5), tolerance("layernorm", name))
            _, fn = triton_norms.rmsnorm_candidates(x, w, 1e-5)[0]
            reference.check(fn(), reference.rmsnorm(x, w, 1e-5), tolerance("rmsnorm", name))


class Attention(unittest.TestCase):
    def test_flash_forward_matches_the_reference_causal_or_not(self):
        g = torch.Generator().manual_seed(3)
        for d in (64, 128):
            q, k, v = (torch.randn(1, 2, 256, d, generator=g).half() for _ in range(3))
            for causal in (False, True):
                ref = reference.attention(q, k, v, causal)
                found = triton_attention.candidates(q, k, v, causal, configs=((128, 64, 4, 3), (128, 128, 8, 2)))
                self.assertEqual(len(found), 2)
                for label, fn in found:
                    with self.subTest(d=d, causal=causal, config=label):
                        reference.check(fn(), ref, tolerance("attention", "f16"))

    def test_shapes_off_the_block_size_have_no_candidate(self):
        q = torch.zeros(1, 1, 200, 64, dtype=torch.float16)
        self.assertEqual(triton_attention.candidates(q, q, q, False), [])


class Reference(unittest.TestCase):
    def test_attention_reference_in_chunks_equals_one_piece(self):
        g = torch.Generator().manual_seed(4)
        q, k, v = (torch.randn(2, 3, 32, 8, generator=g).half() for _ in range(3))
        whole = reference.attention(q, k, v, True)
        saved = reference.ATTENTION_CHUNK_BYTES
        try:
            reference.ATTENTION_CHUNK_BYTES = 32 * 32 * 8 * 2  # two heads at a time
            chunked = reference.attention(q, k, v, True)
        finally:
            reference.ATTENTION_CHUNK_BYTES = saved
        self.assertTrue(torch.equal(whole, chunked))
        # Row 0 of causal attention sees only key 0: o = v[0].
        self.assertTrue(torch.allclose(whole[:, :, 0], v[:, :, 0].float()))
        s = q.double()[0, 0] @ k.double()[0, 0].T / math.sqrt(8)
        self.assertAlmostEqual(float(whole[0, 0, 1, 0]),
                               float((torch.softmax(s[1, :2], 0) @ v.double()[0, 0, :2, 0])), places=5)

    def test_check_refuses_wrong_nan_and_misshaped_outputs(self):
        ref = torch.rand(4, 8, dtype=torch.float64)
        reference.check(ref.float(), ref, (1e-6, 1e-4))
        wrong = ref.clone()
        wrong[1, 2] += 0.01
        with self.assertRaisesRegex(Skip, r"^wrong result: 1 of 32 elements"):
            reference.check(wrong, ref, (1e-6, 1e-4))
        nan = ref.clone()
        nan[0, 0] = float("nan")
        with self.assertRaisesRegex(Skip, "largest error inf"):
            reference.check(nan, ref, (1e-6, 1e-4))
        with self.assertRaisesRegex(Skip, "shape"):
            reference.check(ref[:2], ref, (1e-6, 1e-4))


if __name__ == "__main__":
    unittest.main()
