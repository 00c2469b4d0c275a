"""How far analysts agree with each other and with the machine: Cohen's kappa per layer.

Each decided item gets one label per side: what the machine said (the
technique, the speaker, the debunk case, "claim"; nothing for a span an
analyst added) and what the analyst says (the same when accepted, the new
value when changed, nothing when rejected). Two analysts are compared on the
items both decided (each one's latest decision); an analyst and the machine
on every item the analyst decided.

Kappa is (p_o - p_e) / (1 - p_e), observed agreement against the agreement
two raters with the same label frequencies would reach by chance. When one
side gives a single label to every item (the machine calls every decided
claim a claim) chance agreement equals observed agreement and kappa says
nothing: it is reported as ``None`` beside the plain agreement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from .decisions import DECISIONS, Correction, analysts, corrections

MACHINE = "machine"
NOTHING = "(none)"  # no item: rejected, or a span the machine missed
UNNAMED = "(unnamed)"  # an item without a label (a quote whose speaker the machine did not find)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items (None when undefined:
    no items, or chance agreement 1)."""
    n = len(pairs)
    if not n:
        return None
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(left[k] * right.get(k, 0) for k in left) / (n * n)
    if chance >= 1.0:
        return None
    return (observed - chance) / (1.0 - chance)


def analyst_label(c: Correction) -> str:
    """The item's label in the analyst's word (a stance keeps the match: the case is right)."""
    if c.decision == "reject":
        return NOTHING
    if c.decision in ("accept", "stance"):
        return "claim" if c.layer == "claims" else c.machine_label or UNNAMED
    return c.label or UNNAMED


def machine_side(c: Correction) -> str:
    """The item's label as the machine gave it (nothing for a span it missed)."""
    if c.decision == "add":
        return NOTHING
    if c.layer == "claims":
        return "claim"
    return c.machine_label or UNNAMED


@dataclass(frozen=True)
class Agreement:
    """Agreement of two raters (an analyst's name or :data:`MACHINE`) on one layer."""

    layer: str
    first: str
    second: str
    items: int
    agreed: int
    kappa: float | None

    @property
    def observed(self) -> float | None:
        return self.agreed / self.items if self.items else None

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "first": self.first, "second": self.second, "items": self.items,
                "agreed": self.agreed, "observed": self.observed, "kappa": self.kappa}


def _measure(layer: str, first: str, second: str, pairs: list[tuple[str, str]]) -> Agreement:
    return Agreement(layer, first, second, len(pairs), sum(a == b for a, b in pairs), cohen_kappa(pairs))


def with_machine(con: Any, layers: Sequence[str] = ()) -> list[Agreement]:
    """Each analyst against the machine, per layer, on the items the analyst decided."""
    out = []
    for layer in layers or [name for name in DECISIONS if name != "entities"]:
        for name in analysts(con):
            decided = corrections(con, layer=layer, analyst=name)
            if decided:
                out.append(_measure(layer, name, MACHINE, [(analyst_label(c), machine_side(c)) for c in decided]))
    return out


def between_analysts(con: Any, layers: Sequence[str] = ()) -> list[Agreement]:
    """Each pair of analysts, per layer, on the items both decided."""
    out = []
    for layer in layers or [name for name in DECISIONS if name != "entities"]:
        by_analyst = {}
        for name in analysts(con):
            decided = {(c.doc_id, c.item_key): analyst_label(c) for c in corrections(con, layer=layer, analyst=name)}
            if decided:
                by_analyst[name] = decided
        for a, b in combinations(sorted(by_analyst), 2):
            shared = sorted(set(by_analyst[a]) & set(by_analyst[b]))
            if shared:
                out.append(_measure(layer, a, b, [(by_analyst[a][k], by_analyst[b][k]) for k in shared]))
    return out


__all__ = ["MACHINE", "NOTHING", "UNNAMED", "Agreement", "analyst_label", "between_analysts", "cohen_kappa", "machine_side",
           "with_machine"]
