"""Analysts correcting the machine: decisions stored beside its output, kept over reruns.

:mod:`.decisions` stores and lists decisions (who, when, what, on which
item), :mod:`.attach` finds each one again in the current machine output
and gives the corrected view of a story, :mod:`.training` turns them into
training data (JSONL with offsets; Label Studio tasks and their import),
:mod:`.agreement` measures how far analysts and the machine agree.
"""

from __future__ import annotations

from .attach import Verdict, apply_corrections, corrected_record, story_verdicts
from .decisions import (DECISIONS, Correction, Decision, corrections, entity_merges, layer_name, recent,
                        record_decision, undo)

__all__ = ["DECISIONS", "Correction", "Decision", "Verdict", "apply_corrections", "corrected_record",
           "corrections", "entity_merges", "layer_name", "recent", "record_decision", "story_verdicts", "undo"]
