"""Ingest stages: clean a page, split it into stories, find metadata and language.

These are ``kind = "ingest"`` stages: they may change ``text`` (clean) or
turn one page into several stories (split), so they run before document
ids are final, on every run. They may return a :class:`Rejection` in place
of a document whose content cannot be used.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from .clean import clean_page
from .metadata import date_from_url, find_date_in_story, find_outlet, find_title, normalize_date
from .outlets import attribution_counts
from .split import split_stories
from ..records import CleaningStep, Document, HtmlInfo, Rejection
from ..settings import Field, StageSettings
from ..stages.base import Stage, register_stage


class CleanSettings(StageSettings):
    """How long a story may be and still be analysed."""

    max_chars: int = Field(
        5_000_000, ge=1000,
        description="A page longer than this many characters (after decoding) is rejected as too long to analyse, "
                    "so one huge file cannot hold up a run (about 800,000 words).")


@register_stage("clean", version=1)
class CleanStage(Stage):
    """HTML to text, mojibake repair, white space, page furniture removal."""

    kind = "ingest"
    requires = ("raw",)
    assigns = ("text", "cleaning")
    settings_model = CleanSettings

    def __call__(self, docs: Sequence[Document]) -> list[Document | Rejection]:
        out: list[Document | Rejection] = []
        longest = int(self.config.get("max_chars", 5_000_000))
        for doc in docs:
            if doc.markup not in ("text", "html"):
                raise TypeError(f"unknown markup {doc.markup!r}")
            if len(doc.text) > longest:
                out.append(Rejection(doc.source, "too-long", f"{len(doc.text):,} characters; pages over {longest:,} "
                                     "are not analysed (stages.clean.max_chars)", _line_of(doc)))
                continue
            text, steps, signals, html_meta = clean_page(doc.text, doc.markup)
            if not text.strip():
                reason = "no story text left after cleaning"
                if doc.markup == "html":
                    reason = "the HTML page has no extractable main text"
                    if html_meta.get("truncated"):
                        reason += " (the page looks truncated)"
                out.append(Rejection(doc.source, "no-text", reason, _line_of(doc)))
                continue
            html = None
            flags = doc.flags
            if html_meta:
                found = {k: html_meta.get(k) for k in ("title", "sitename", "date", "url", "author")}
                html = HtmlInfo(**found) if any(v is not None for v in found.values()) else None
                if html_meta.get("truncated"):
                    flags = flags + ("html-truncated",)
            page = dataclasses.replace(
                doc.signals,
                title_suffixes=tuple(signals.title_suffixes),
                footer_outlets=tuple(signals.footer_outlets),
                credits=tuple(signals.credits),
                page_dates=tuple(signals.dates),
                story_headlines=tuple(signals.story_headlines),
                html=html,
            )
            out.append(
                doc.replace(
                    text=text,
                    markup="text",
                    cleaning=doc.cleaning + tuple(steps),
                    signals=page,
                    flags=flags,
                    url=doc.url or html_meta.get("url"),
                )
            )
        return out


def _line_of(doc: Document) -> int | None:
    rec = doc.source_record or ""
    return int(rec.split()[-1]) if rec.startswith("line ") else None


class SplitSettings(StageSettings):
    enabled: bool = Field(True, description="Split glued pages (several stories on one page) into stories.")
    min_story_words: int = Field(60, ge=1, description="...only where every part has this many words.")
    require_caption: bool = Field(
        True, description="...and only at headlines with a photo caption or a repeat of themselves under them "
        "on the page (a plain title-case line inside an essay is a subheading)."
    )


@register_stage("split", version=1)
class SplitStage(Stage):
    """One document per story on a glued page."""

    kind = "ingest"
    requires = ("text", "cleaning")
    assigns = ("story",)
    settings_model = SplitSettings

    def __call__(self, docs: Sequence[Document]) -> list[Document]:
        enabled = self.config.get("enabled", True)
        min_words = int(self.config.get("min_story_words", 60))
        out: list[Document] = []
        for doc in docs:
            marked = list(doc.signals.story_headlines) if self.config.get("require_caption", True) else None
            spans = split_stories(doc.text, min_words, marked) if enabled else [(0, len(doc.text))]
            if len(spans) <= 1:
                out.append(doc)
                continue
            page = dataclasses.replace(
                doc.signals,
                page_attribution=tuple(dict(attribution_counts(doc.text)).items()),
                page_stories=len(spans),
            )
            for index, (start, end) in enumerate(spans):
                step = CleaningStep("slice", {"start": start, "end": end}, f"story {index + 1} of {len(spans)} on a glued page")
                out.append(
                    doc.replace(
                        text=doc.text[start:end],
                        story_index=index,
                        cleaning=doc.cleaning + (step,),
                        flags=doc.flags + ("glued-page",),
                        signals=page,
                        title=None if index else doc.title,
                    )
                )
        return out


class MetadataSettings(StageSettings):
    """``metadata`` has no settings."""


@register_stage("metadata", version=1)
class MetadataStage(Stage):
    """Title, outlet with its evidence, publication date."""

    kind = "ingest"
    requires = ("text", "story")
    assigns = ("title", "outlet", "published")
    settings_model = MetadataSettings

    def __call__(self, docs: Sequence[Document]) -> list[Document]:
        out = []
        for doc in docs:
            html = doc.signals.html or HtmlInfo()
            title = doc.title or find_title(doc.text) or html.title
            outlet, evidence = (doc.outlet, doc.outlet_evidence) if doc.outlet else (None, None)
            if outlet:
                outlet, evidence = find_outlet(doc.text, declared=outlet, url=None, sitename=None,
                                               title_suffixes=[], footer_outlets=[], page_attribution={})
            else:
                outlet, evidence = find_outlet(
                    doc.text,
                    declared=None,
                    url=doc.url,
                    sitename=html.sitename,
                    title_suffixes=list(doc.signals.title_suffixes),
                    footer_outlets=list(doc.signals.footer_outlets),
                    page_attribution=dict(doc.signals.page_attribution),
                )
            page_dates = [d for d in map(normalize_date, doc.signals.page_dates) if d]
            published = (
                normalize_date(doc.published) or normalize_date(html.date) or date_from_url(doc.url)
                or (page_dates[0] if page_dates and doc.story_index == 0 else None) or find_date_in_story(doc.text)
            )
            out.append(doc.replace(title=title, outlet=outlet, outlet_evidence=evidence, published=published))
        return out


@functools.lru_cache(maxsize=1)
def _identifier():
    import py3langid.langid as langid

    return langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)


class LanguageSettings(StageSettings):
    min_chars: int = Field(20, ge=0, description='Stories with fewer characters are language "und".')
    min_probability: float = Field(
        0.5, ge=0, le=1, description='A language identified with a lower probability is "und".'
    )


@register_stage("language", version=1)
class LanguageStage(Stage):
    """ISO 639-1 language with its probability; ``und`` for too little text."""

    kind = "ingest"
    requires = ("text",)
    assigns = ("language",)
    settings_model = LanguageSettings

    def __call__(self, docs: Sequence[Document]) -> list[Document]:
        identifier = _identifier()
        out = []
        for doc in docs:
            sample = doc.text[:5000]
            if len(sample.strip()) < int(self.config.get("min_chars", 20)):
                out.append(doc.replace(language="und", language_score=0.0))
                continue
            lang, prob = identifier.classify(sample)
            prob = float(prob)
            if prob < float(self.config.get("min_probability", 0.5)):
                lang = "und"
            out.append(doc.replace(language=lang, language_score=round(prob, 4)))
        return out
