"""The learned risk model: a calibrated logistic regression over the factors.

The model file (``models/risk/risk.json``, written by ``train/risk.py``)
holds, per learned factor, a weight in calibrated log-odds per unit of the
factor, the value it is clipped at and its value in the *reference* article
(the mean over the training articles); the intercept is the log-odds of that
reference article. Platt scaling, fitted on outlet-disjoint out-of-fold
scores, is folded into the weights, so

    score = sigmoid(intercept + sum(contribution_i))
    contribution_i = clamp(weight_i * (min(value_i, clip_i) - reference_i), -cap, cap)

and each contribution is what its reason shows: how much the factor moves
this article's log-odds away from a typical one (a factor found less than
usual lowers the score). Numpy only; no training
library at run time.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..mathutil import sigmoid

from ..errors import PropwatchError


class ModelFileError(PropwatchError, ValueError):
    """A risk model file that cannot be used (names the file and the reason)."""


@dataclass(frozen=True)
class RiskModel:
    name: str
    intercept: float
    weights: Mapping[str, float]
    clip: Mapping[str, float]
    reference: Mapping[str, float]
    source: str

    def contribution(self, factor: str, value: float, cap: float) -> tuple[float, bool]:
        """(log-odds contribution, whether it was capped) of ``factor`` at ``value``."""
        w = self.weights.get(factor, 0.0)
        raw = w * (min(value, self.clip.get(factor, math.inf)) - self.reference.get(factor, 0.0))
        capped = abs(raw) > cap
        return max(-cap, min(cap, raw)), capped


@functools.lru_cache(maxsize=4)
def load_model(path: str = "") -> RiskModel:
    if path:
        source = path
        try:
            blob = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read the risk model ({exc.strerror or exc})") from exc
    else:
        source = "propwatch/models/risk/risk.json"
        blob = resources.files("propwatch").joinpath("models/risk/risk.json").read_text("utf-8")
    try:
        data: dict[str, Any] = json.loads(blob)
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        clip = {str(k): float(v) for k, v in data.get("clip", {}).items()}
        reference = {str(k): float(v) for k, v in data.get("reference", {}).items()}
        return RiskModel(str(data.get("name", "risk")), float(data["intercept"]), weights, clip, reference, source)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelFileError(f"{source}: not a risk model file ({type(exc).__name__}: {exc})") from exc
