"""Russian language models for the who-stages: natasha/slovnet and pymorphy3.

Everything here is imported lazily: the packages load only when a Russian
story arrives. :func:`load_models` builds the models once (stages get them
through ``resources.get(MODELS_KEY, load_models)``); :func:`parses` makes
one natasha parse per document and batch, kept in ``Document.artefacts``
like the spaCy parse of the English stages (:mod:`propwatch.who.nlp`).

- sentences and tokens: ``razdel`` (through natasha's ``Segmenter``);
- named entities: slovnet's ``NewsNERTagger`` (PER / LOC / ORG);
- part of speech, case, gender: slovnet's ``NewsMorphTagger``;
- syntax (subject of a speech verb): slovnet's ``NewsSyntaxParser``;
- lemmas and inflection: ``pymorphy3`` with its Russian dictionaries
  (natasha's own ``MorphVocab`` needs pymorphy2, which does not run on
  Python 3.11+; :class:`Vocab` gives natasha's normaliser the same interface).

All ship their models inside the wheels (MIT licence), so they install
offline and never download anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import MissingExtraError

MODELS_KEY = ("ru", "natasha")
ARTEFACT = "natasha"
INSTALL_HINT = "pip install razdel natasha pymorphy3 pymorphy3-dicts-ru"

# pymorphy3 (OpenCorpora) tags -> the Universal Dependencies names slovnet uses
_POS = {"ADJF": "ADJ", "ADJS": "ADJ", "ADVB": "ADV", "COMP": "ADV", "VERB": "VERB", "GRND": "VERB",
        "INFN": "VERB", "PRTF": "VERB", "PRTS": "VERB", "NOUN": "NOUN", "NPRO": "PRON", "NUMR": "NUM",
        "CONJ": "CCONJ", "INTJ": "INTJ", "PRCL": "PART", "PREP": "ADP"}
_CASE = {"nomn": "Nom", "gent": "Gen", "gen1": "Gen", "gen2": "Gen", "datv": "Dat", "accs": "Acc",
         "ablt": "Ins", "loct": "Loc", "loc2": "Loc", "voct": "Nom"}
_GENDER = {"masc": "Masc", "femn": "Fem", "neut": "Neut"}
_NUMBER = {"sing": "Sing", "plur": "Plur"}
_UD_CASE = {"Nom": "nomn", "Gen": "gent", "Dat": "datv", "Acc": "accs", "Ins": "ablt", "Loc": "loct"}


class _Form:
    """A pymorphy3 parse seen as natasha's ``MorphForm`` (``word``, ``pos``, ``feats``, ``inflect``)."""

    __slots__ = ("parse",)

    def __init__(self, parse: Any) -> None:
        self.parse = parse

    @property
    def word(self) -> str:
        return self.parse.word

    @property
    def normal(self) -> str:
        return self.parse.normal_form

    @property
    def pos(self) -> str:
        tag = self.parse.tag
        if "Name" in tag or "Surn" in tag or "Patr" in tag or "Geox" in tag or "Orgn" in tag:
            return "PROPN" if tag.POS == "NOUN" else _POS.get(tag.POS or "", "X")
        return _POS.get(tag.POS or "", "X")

    @property
    def feats(self) -> dict[str, str]:
        tag = self.parse.tag
        out = {}
        if tag.case in _CASE:
            out["Case"] = _CASE[tag.case]
        if tag.gender in _GENDER:
            out["Gender"] = _GENDER[tag.gender]
        if tag.number in _NUMBER:
            out["Number"] = _NUMBER[tag.number]
        return out

    def inflect(self, grams: set[str]) -> _Form | None:
        oc = {_UD_CASE.get(g, g) for g in grams}
        got = self.parse.inflect(oc)
        return _Form(got) if got is not None else None


class Vocab:
    """pymorphy3 with the interface natasha's ``span.normalize`` expects (``vocab(word)``)."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self._parse = lru_cache(maxsize=50_000)(self._forms)

    def _forms(self, word: str) -> tuple[_Form, ...]:
        return tuple(_Form(p) for p in self.analyzer.parse(word))

    def __call__(self, word: str) -> tuple[_Form, ...]:
        return self._parse(word)

    def lemma(self, word: str, pos: str | None = None, feats: dict | None = None) -> str:
        """The dictionary form of ``word``, preferring a parse that agrees with slovnet's tags."""
        low = word.lower().replace("ё", "е")
        forms = self(low)
        if not forms:
            return low
        best = forms[0]
        if pos:
            want = "NOUN" if pos == "PROPN" else pos
            for f in forms:
                fpos = "NOUN" if f.pos == "PROPN" else f.pos
                if fpos != want:
                    continue
                if feats and feats.get("Case") and f.feats.get("Case") != feats.get("Case"):
                    continue
                if feats and feats.get("Gender") and f.feats.get("Gender") not in (None, feats.get("Gender")):
                    continue
                best = f
                break
        return best.normal.replace("ё", "е")


@dataclass
class Models:
    segmenter: Any
    ner: Any
    morph: Any
    syntax: Any
    vocab: Vocab


def load_models() -> Models:
    """The natasha/slovnet models and the pymorphy3 analyzer (once per process, via resources)."""
    try:
        import pymorphy3
        from natasha import NewsEmbedding, NewsMorphTagger, NewsNERTagger, NewsSyntaxParser, Segmenter
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError(f"the Russian pipeline needs natasha and pymorphy3: {INSTALL_HINT}") from exc
    emb = NewsEmbedding()
    return Models(
        segmenter=Segmenter(), ner=NewsNERTagger(emb), morph=NewsMorphTagger(emb),
        syntax=NewsSyntaxParser(emb), vocab=Vocab(pymorphy3.MorphAnalyzer(lang="ru")),
    )


def models(resources: Any) -> Models:
    """The shared models from ``resources`` (a fresh default set when None)."""
    if resources is None:
        from ..resources import Resources

        resources = Resources()
    return resources.get(MODELS_KEY, load_models)


@dataclass(frozen=True)
class Tok:
    """One token: document-wide index, pymorphy3 lemma, slovnet part of speech, features and syntax."""

    i: int
    text: str
    lemma: str
    pos: str
    feats: dict
    start: int
    end: int
    rel: str
    head: int  # document-wide index of the syntactic head, -1 for a root
    sent: int


@dataclass(frozen=True)
class NerSpan:
    start: int
    end: int
    type: str  # PER | LOC | ORG
    normal: str  # natasha's nominative form


@dataclass
class RuParse:
    """The parse of one story: tokens and entity spans with offsets into its text."""

    text: str
    tokens: list[Tok]
    spans: list[NerSpan]


def parse(text: str, m: Models) -> RuParse:
    """Parse ``text`` line by line (a sentence never crosses a line break): tokens, morphology,
    syntax, lemmas and named entities in their nominative form."""
    import re

    from natasha import Doc

    tokens: list[Tok] = []
    spans: list[NerSpan] = []
    n_sent = 0
    for line in re.finditer(r"[^\n]+", text):
        if not line.group().strip():
            continue
        base = line.start()
        ndoc = Doc(line.group())
        ndoc.segment(m.segmenter)
        ndoc.tag_morph(m.morph)
        ndoc.parse_syntax(m.syntax)
        ndoc.tag_ner(m.ner)
        for sent in ndoc.sents:
            first = len(tokens)
            ids = {t.id: first + k for k, t in enumerate(sent.tokens)}
            for k, t in enumerate(sent.tokens):
                feats = dict(t.feats or {})
                tokens.append(Tok(first + k, t.text, m.vocab.lemma(t.text, t.pos, feats), t.pos or "X", feats,
                                  base + t.start, base + t.stop, t.rel or "", ids.get(t.head_id, -1), n_sent))
            n_sent += 1
        for span in ndoc.spans:
            span.normalize(m.vocab)
            spans.append(NerSpan(base + span.start, base + span.stop, span.type, span.normal or span.text))
    return RuParse(text, tokens, spans)


def parses(docs: Sequence[Any], m: Models) -> list[Any]:
    """The natasha parse of each document, made once per batch (``Document.artefacts``)."""
    out = []
    for doc in docs:
        have = doc.artefacts.get(ARTEFACT)
        if have is None or have.text != doc.text:
            have = parse(doc.text, m)
            doc.artefacts[ARTEFACT] = have
        out.append(have)
    return out


def available() -> bool:
    """Whether the Russian packages are installed (without importing them)."""
    import importlib.util

    return all(importlib.util.find_spec(n) is not None for n in ("natasha", "pymorphy3", "razdel"))
