"""Verifiers: read a new claim and a linked claim together and say whether they are one claim.

The linker's cheap score (cosine, word and entity overlap) finds candidates;
claims about the same actors often score alike whatever they say of them
("Turkey buys oil from IS" and "Turkey lets IS fighters cross the border").
A verifier reads both texts at once and gives P(same claim), so a claim joins
a narrative only when a verifier (when one is set) agrees with the score.

``[narratives] verifier``: ``""`` (none), ``"auto"`` (the shipped claim
cross-encoder, ``propwatch/models/claim_crossencoder/``, when it is there) or
a directory holding such a model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError
from .linker import Verifier


class CrossEncoderVerifier:
    """P(same claim) = sigmoid(logit) of a claim cross-encoder."""

    def __init__(self, model):
        self.model = model

    @property
    def name(self) -> str:
        return self.model.name

    def probabilities(self, claim: str, others: Sequence[str]) -> np.ndarray:
        from ..mathutil import sigmoid

        return sigmoid(self.model.logits(claim, list(others)))


def load_verifier(setting: str | None) -> Verifier | None:
    """The verifier a ``[narratives] verifier`` setting names (see the module docstring)."""
    if not setting or setting == "none":
        return None
    from ..debunks.crossencoder import CrossEncoder

    model = CrossEncoder.load(None if setting == "auto" else setting)
    if model is None:
        if setting == "auto":
            return None
        raise ConfigError(f"narratives.verifier: no cross-encoder model (model.json, tokenizer.json, ONNX file) in {setting!r}")
    return CrossEncoderVerifier(model)


__all__ = ["CrossEncoderVerifier", "load_verifier"]
