"""Stage ``quotes``: who is quoted saying what, directly or indirectly.

A :class:`Quote` spans the quoted content; its ``cue`` is the verb or
phrase that introduces it ("said", "told", "according to", "described ...
as"), and its ``speaker`` says who: a named person or organization (with
the entity id), the media, a document, an anonymous source, or unknown.
See :mod:`propwatch.who.quotes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from ..records import Document, Span, layer_record
from ..settings import Field, StageSettings
from ..stages.base import LayerStage, register_stage

SPEAKER_KINDS = ("person", "organization", "media", "document", "anonymous", "unknown")


@dataclass(frozen=True, slots=True)
class Cue(Span):
    """The words that introduce a quote."""


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who a quote is attributed to; ``start``/``end``/``text`` locate the
    phrase that names them in this story (a pronoun keeps its own offsets
    and takes the name it points to)."""

    name: str | None = None
    entity_id: str | None = None
    kind: str = "unknown"
    start: int | None = None
    end: int | None = None
    text: str | None = None


@layer_record("quotes")
@dataclass(frozen=True, slots=True)
class Quote(Span):
    """Quoted content (direct) or reported content (indirect) with its attribution."""

    layer_name: ClassVar[str]
    direct: bool = True
    cue: Cue | None = None
    speaker: Speaker = field(default_factory=Speaker)


class QuotesSettings(StageSettings):
    model: str = Field("", description='The spaCy pipeline; "" reuses the parse the entities stage made.')
    scare_max_words: int = Field(
        4, ge=0, description="Quoted phrases this short with no cue are scare quotes, not speech."
    )
    indirect: bool = Field(True, description='Also report indirect speech ("X said that ...", "according to X").')
    speaker_ranker: bool = Field(
        False, description="Choose each speaker with the trained ranker (propwatch/models/speakers/) among the "
        "candidates the text names; no speaker when it is unsure. Off: the rules' pick."
    )
    speaker_model: str = Field("", description='The ranker\'s model.json; "" is the packaged one.')


@register_stage("quotes", version=3)
class QuotesStage(LayerStage):
    requires = ("entities", "sentences")
    assigns = ("quotes",)
    # English: spaCy and English word lists; Russian: natasha/slovnet and pymorphy3 (propwatch.who.ru)
    languages = ("en", "ru")
    layer = "quotes"
    settings_model = QuotesSettings

    def setup(self, resources) -> None:
        model = self.config.get("model", "")
        self._nlp = resources.spacy(model or "auto")
        self._resources = resources  # the Russian models load from it when a Russian story arrives
        self._ranker = None
        if self.config.get("speaker_ranker"):
            from .ranker import SpeakerRanker

            path = self.config.get("speaker_model", "")
            self._ranker = resources.get(("speaker_ranker", path), lambda: SpeakerRanker.load(path or None))

    def state_key(self) -> str:
        """The ranker's weights when it is on (a retrained model re-runs the stage)."""
        r = self._ranker
        return f"{r.version}:{r.intercept}:{r.threshold_named}:{r.threshold_other}" if r is not None else ""

    def predict(self, docs: Sequence[Document]) -> list[list[Quote]]:
        from .aliases import load_table
        from .ru import by_language, quotes_ru

        def russian(ru_docs):
            table = self._resources.get(("aliases", ""), lambda: load_table(None))
            found = quotes_ru(ru_docs, self._resources, table, indirect=self.settings.indirect)
            return [[to_record(d.text, f) for f in fs] for d, fs in zip(ru_docs, found)]

        return by_language(docs, self._predict_english, russian)

    def _predict_english(self, docs: Sequence[Document]) -> list[list[Quote]]:
        from . import quotes as rules
        from .entities import Mention
        from .nlp import parses as parse_batch

        cfg = self.settings
        parses = parse_batch(docs, self._nlp, cfg.model)
        out = []
        for doc, sdoc in zip(docs, parses):
            mentions = [Mention(e.start, e.end, e.label, e.entity_id, e.name, e.source, e.kind)
                        for e in doc.layer("entities")]
            sentences = [(s.start, s.end) for s in doc.layer("sentences")]
            found = rules.find_quotes(doc.text, sdoc, mentions, sentences, indirect=cfg.indirect,
                                      scare_max_words=cfg.scare_max_words, ranker=self._ranker)
            out.append([to_record(doc.text, f) for f in found])
        return out


def to_record(text: str, f) -> Quote:
    cue = Cue.of(text, *f.cue) if f.cue else None
    sp = f.speaker
    if sp is None:
        speaker = Speaker()
    else:
        has_span = sp.start is not None and sp.end is not None
        speaker = Speaker(
            name=sp.name, entity_id=sp.entity_id, kind=sp.kind,
            start=sp.start if has_span else None, end=sp.end if has_span else None,
            text=text[sp.start:sp.end] if has_span else None,
        )
    return Quote.of(text, f.start, f.end, direct=f.direct, cue=cue, speaker=speaker)
