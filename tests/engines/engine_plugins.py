"""Test stages for the engine tests, imported by the workers as a plugin (``plugins``)."""

from __future__ import annotations

import os
from pathlib import Path

from propwatch.stages.base import Stage, register_stage


@register_stage("crash_once", version=1)
class CrashOnce(Stage):
    """Passes stories through, but kills its process (as an out-of-memory kill would) the
    first time it sees a story whose text holds ``word``; ``marker`` records that it did."""

    kind = "ingest"
    requires = ("text",)
    assigns = ("text",)
    defaults = {"marker": "", "word": "Sandbank"}

    def __call__(self, docs):
        marker = Path(self.config["marker"])
        for doc in docs:
            if self.config["word"] in doc.text and not marker.exists():
                marker.write_text(str(os.getpid()), "utf-8")
                os._exit(17)
        return list(docs)
