"""The peers kpg is measured against: PyTorch's kernels and tutorial-style Triton kernels."""
