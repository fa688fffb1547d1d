"""Writes python-written.safetensors, the fixture of SafetensorsTests.pythonWrittenFixture.

Run with the `safetensors` and `numpy` packages installed: python make_fixture.py
"""
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "weight": (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1).astype(np.float32),
    "double": np.array([[1 / 3, -2.5e-3], [1e10, np.nan]], dtype=np.float64),
    "counts": np.array([0, -7, 123456789012], dtype=np.int64),
    "scalar": np.array(3.25, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}
save_file(tensors, "python-written.safetensors", metadata={"source": "python safetensors", "unicode": "τ_mem ✓"})
