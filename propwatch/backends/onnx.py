"""Shared loading of ONNX models and their tokenizers (onnxruntime + tokenizers, no torch)."""

from __future__ import annotations

import os
from pathlib import Path


def onnx_session(path: str | Path, threads: int = 0):
    """A CPU inference session; ``threads`` 0 means up to 4 of the machine's cores."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def load_tokenizer(path: str | Path):
    """A fast tokenizer from its ``tokenizer.json``, with no padding."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    return tok
