"""Stage ``debunk_matches``: each claim of a story matched against the debunk database.

The stage reads the ``claims`` layer (records with start/end/text and
``checkworthiness``) when the claims stage ran; otherwise, or with
``source = "sentences"``, it matches every sentence long enough to carry a
claim. Each claim keeps its top matches whose fused score reaches the
threshold (tuned on CLEF-2020 train, see :mod:`propwatch.debunks.search`;
``threshold = -1`` takes the index's own: the cross-encoder's or the
reranker's, on their match probability, or 0.22 on the fused score),
and a fused score of at least ``min_fused`` (0.3): the CLEF threshold assumes
half the queries have a known match, while most sentences of a story have none,
so the stage trades recall for precision (on CLEF dev this floor keeps about a
third of the true matches and cuts false alarms by two thirds).

With ``precision_checks`` (the default) a span must be a claim and the top candidate must state the
same proposition (:mod:`propwatch.debunks.precision`: same actors, shared predicate words covering
0.7 of the debunk unit, same polarity) with a score of 0.25 and fused 0.22, tuned on the real news
set ``eval/data/debunk_news/`` (``eval/debunk_news.py``: the CLEF floors above let about one news
match in ten be right). Each match gets ``article_relation`` (carries / reports / refutes, from the
span and the text before it) and ``counts_against`` (a match the article carries): the only
matches the risk score may count.

The database is the ``debunks`` table of a propwatch store: ``database``
names its DuckDB file ("" = the store the driver writes to). The stage gets
it in ``setup`` (the local driver builds the index first, as the corpus step
``debunk_index``); it never opens or creates a store of its own. Stored
outputs are fingerprinted by the database's size and last import as well as
the settings, so importing more debunks recomputes the matches on the next
``propwatch analyze``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from .. import lexicon
from ..records import Document, Span, layer_record
from ..settings import BackendName, Field, StageSettings
from ..stages.base import LayerStage, register_stage
from .precision import article_relation, claim_filter, overlap, pick_match
from .search import DEFAULTS, DebunkIndex


@layer_record("debunk_matches")
@dataclass(frozen=True, slots=True)
class DebunkMatch(Span):
    """A claim span of the story and the known (debunked) claim it matches."""

    layer_name: ClassVar[str]
    debunk_id: str = ""
    debunk_claim: str = ""
    verdict: str | None = None
    explanation: str | None = None
    url: str | None = None  # the case's own page in its database (EUvsDisinfo: euvsdisinfo.eu/report/...)
    database: str = ""
    attribution: str | None = None
    # the case as the database names it: its id, date, and where/about whom/in which languages it appeared
    case_id: str | None = None
    case_date: str | None = None
    case_outlets: tuple[str, ...] = ()
    case_countries: tuple[str, ...] = ()
    case_languages: tuple[str, ...] = ()
    score: float = 0.0  # match probability (reranker) or fused score
    fused: float = 0.0
    bm25: float = 0.0
    dense: float = 0.0
    rank: int = 1
    claim_source: str = "sentences"  # "claims" or "sentences"
    # "match": the same claim as the debunked one (score over the tuned threshold, and the same
    # proposition: propwatch.debunks.precision); "related": the closest debunk on the same story,
    # shown for triage, never counted as debunked
    relation: str = "match"
    # what the article does with a matched claim: carries | reports | refutes (unknown for "related")
    article_relation: str = "unknown"
    # true only for relation == "match" and article_relation == "carries": what risk may count
    counts_against: bool = False


def claim_spans(doc: Document, source: str, min_checkworthiness: float, min_words: int) -> tuple[str, list[Span]]:
    """The spans to match: claims (above the check-worthiness floor) or sentences."""
    claims = doc.layer("claims")
    if source == "claims" or (source == "auto" and claims):
        picked = [c for c in claims if float(getattr(c, "checkworthiness", 1.0) or 0.0) >= min_checkworthiness]
        return "claims", picked
    return "sentences", [s for s in doc.layer("sentences") if len(s.text.split()) >= min_words]


# words that do not make a "related" debunk related (data/words/: stop words, negations, news filler)
_STOP = lexicon.words("stopwords") | lexicon.words("negations") | lexicon.words("news_filler")


def _stems(text: str) -> set[str]:
    """Crude content-word stems: a "related" debunk must share at least three with the claim."""
    import re

    return {w[:5] for w in re.findall(r"[a-z]{3,}", text.casefold()) if w not in _STOP}


class DebunkMatchSettings(StageSettings):
    database: str = Field("", description='The store whose debunks are matched ("" = the pipeline\'s own store).')
    database_version: str = Field(
        "", description="A label of the debunk database; change it to recompute the matches."
    )
    source: Literal["auto", "claims", "sentences"] = Field(
        "auto", description="What is matched: claims, sentences, or auto (claims when the story has them)."
    )
    min_checkworthiness: float = Field(0.5, ge=0, le=1, description="Claims below this check-worthiness are not matched.")
    min_words: int = Field(6, ge=0, description="Sentences with fewer words are not matched.")
    top_k: int = Field(3, ge=1, description="Candidates retrieved per claim.")
    threshold: float = Field(
        -1.0, le=1, description="Score a match needs; a negative value means the index's tuned threshold."
    )
    min_fused: float = Field(
        0.3, ge=0, le=1,
        description="Story sentences rarely have a known match: also ask for this much fused (lexical+dense) similarity.",
    )
    related_min_score: float = Field(
        0.3, ge=0, le=1,
        description='Below the match threshold, keep a claim\'s best candidate as "related" when it scores this...',
    )
    related_min_fused: float = Field(0.28, ge=0, le=1, description="...and has this much fused similarity.")
    related_min_actors: int = Field(
        1, ge=0, description="With the checks, a related debunk shares this many actors with one of its units (the "
        "alias table: \"Erdogan\" and \"Turkish President\" alike)...")
    related_min_predicate: int = Field(
        2, ge=0, description="...and this many predicate words (a shared name alone makes no related debunk; chosen on "
        "eval/data/debunk_news/tune.jsonl).")
    w_dense: float = Field(DEFAULTS["w_dense"], ge=0, description="Weight of the dense (embedding) similarity in the fused score.")
    w_bm25: float = Field(DEFAULTS["w_bm25"], ge=0, description="Weight of the BM25 (lexical) similarity in the fused score.")
    embedder: BackendName("embeddings") = Field(
        "auto", description="auto | claims | backend | hash, or a registered embeddings backend by name."
    )
    cross_encoder: bool = Field(
        False,
        description="The cross-encoder (propwatch/models/claim_crossencoder/) over the reranker's top candidates, "
        "when installed. Off here: better on CLEF tweets, but on the seeds' news sentences it made wrong matches "
        "and costs 7x (docs/debunks.md).",
    )
    cross_candidates: int = Field(
        0, ge=0, description="Candidates the cross-encoder reads; 0 = the number it was tuned with."
    )
    precision_checks: bool = Field(
        True,
        description="A match must be a claim (no byline, definition, casualty tally) stating the debunk's "
        "proposition (same actors, a shared predicate, the same polarity): propwatch.debunks.precision.",
    )
    proposition_min_score: float = Field(
        0.25, ge=0, le=1,
        description="With the checks, the top candidate is a match when it states the same proposition and scores "
        "this much (tuned on eval/data/debunk_news/tune.jsonl, eval/debunk_news.py)...",
    )
    negated_matches: bool = Field(
        True,
        description="With the checks, a span stating the debunk's proposition negated (\"Russians attempted to "
        "interfere\" against \"Russia did not interfere\") is a match the article refutes (never counted against it).",
    )
    proposition_min_fused: float = Field(0.22, ge=0, le=1, description="...with this much fused similarity...")
    proposition_min_coverage: float = Field(
        0.7, ge=0, le=1, description="...and covers this share of the debunk unit's actors and predicate words.")
    proposition_candidates: int = Field(
        10, ge=1, description="With the checks, the first candidates read for the same proposition (the one naming "
        "every actor of its unit wins: propwatch.debunks.precision.pick_match)...")
    proposition_alternative_min_fused: float = Field(
        0.18, ge=0, le=1, description="...each below the top with this much fused similarity.")


@register_stage("debunk_matches", version=9)
class DebunkMatchStage(LayerStage):
    requires = ("sentences",)
    optional = ("claims",)
    assigns = ("debunk_matches",)
    languages = ("en",)  # English models and word lists (propwatch.languages routes the rest)
    layer = "debunk_matches"
    settings_model = DebunkMatchSettings

    def __init__(self, config=None, index: DebunkIndex | None = None):
        super().__init__(config)  # checked against DebunkMatchSettings, defaults filled in
        self._index = index
        self._state: str = "given" if index is not None else ""
        self._nlp = None  # the process's spaCy pipeline, for the verb check (setup)

    def _index_options(self) -> dict[str, Any]:
        cfg = self.config
        return dict(
            w_dense=float(cfg["w_dense"]), w_bm25=float(cfg["w_bm25"]),
            cross_encoder="auto" if cfg["cross_encoder"] else None,
            cross_candidates=int(cfg["cross_candidates"]),
            # a candidate under both fused floors can be neither a match nor related: not worth scoring
            cross_min_fused=min(float(cfg["min_fused"]), float(cfg["related_min_fused"])),
        )

    def _build(self, store, resources) -> None:
        """The index over ``store``'s debunks (shared through ``resources`` with every
        stage of the process that asks for the same database, state and settings)."""
        from .db import DebunkDB
        from ..embeddings import get_embedder

        if store is None:
            self._index, self._state = None, "no-database"
            return
        db = DebunkDB(store)
        if not db.exists():
            self._index, self._state = None, "no-database"
            return
        imports = db.imports()
        self._state = f"{db.count()}:{imports[-1]['import_id'] if imports else ''}"
        key = ("debunk_index", str(store.path), self._state, self.config_hash)
        self._index = resources.get(key, lambda: DebunkIndex.from_db(
            db, embedder=resources.get(("debunk_embedder", self.config["embedder"]), lambda: get_embedder(self.config["embedder"])),
            **self._index_options(),
        ))

    def prepare_index(self, store, resources) -> None:
        """Corpus step ``debunk_index``: build the index with the driver's (writable) store,
        so embedding vectors it lacks are computed once and kept."""
        if self._state == "given" or (self.config["database"] and self.config["database"] != str(store.path)):
            return
        self._build(store, resources)

    def setup(self, resources) -> None:
        """The debunk database: ``database``, else the driver's store; none (no matches,
        no file created) when neither exists; with the precision checks, the process's spaCy
        pipeline (``Resources.spacy``, shared with the entities and quotes stages) for the verb check."""
        if self.config["precision_checks"] and self._nlp is None:
            from ..errors import MissingExtraError

            try:
                self._nlp = resources.spacy()
            except MissingExtraError:  # no spaCy model: propwatch.debunks.precision leaves the verb check out
                self._nlp = None
        if self._index is not None:
            return
        with resources.reading(self.config["database"] or None) as store:
            self._build(store, resources)

    def state_key(self) -> str:
        """The debunk database's size and last import: new imports recompute the matches."""
        return self._state

    @property
    def index(self) -> DebunkIndex | None:
        """The debunk index (None without a database); set up on first use."""
        self.ensure_setup()
        return self._index

    def _related(self, text: str, debunk) -> bool:
        """Whether a debunk under the match bar is close enough to show as *related*: the same
        actor doing something of the same kind (:func:`propwatch.debunks.precision.overlap`)."""
        shared_actors, shared_predicate = overlap(text, debunk.claim, debunk.title)
        return (shared_actors >= int(self.config["related_min_actors"])
                and shared_predicate >= int(self.config["related_min_predicate"]))

    def predict(self, docs: Sequence[Document]) -> list[list[DebunkMatch]]:
        jobs: list[tuple[int, str, Span]] = []
        for i, doc in enumerate(docs):
            source, spans = claim_spans(doc, self.config["source"], float(self.config["min_checkworthiness"]), int(self.config["min_words"]))
            jobs.extend((i, source, s) for s in spans)
        out: list[list[DebunkMatch]] = [[] for _ in docs]
        if not jobs or self.index is None or len(self.index) == 0:
            return out
        threshold = float(self.config["threshold"])
        threshold = self.index.threshold if threshold < 0 else threshold
        # a claim's ``normalized`` text (attribution leads such as "X said that" removed) is what is searched
        queries = [getattr(s, "normalized", "") or s.text for _, _, s in jobs]
        k = int(self.config["top_k"])
        if self.config["precision_checks"]:
            k = max(k, int(self.config["proposition_candidates"]))
        results = self.index.search_many(queries, k=k)
        related_score = float(self.config["related_min_score"])
        related_fused = float(self.config["related_min_fused"])
        checks = bool(self.config["precision_checks"])
        min_words = int(self.config["min_words"])
        for (i, source, span), candidates in zip(jobs, results):
            if checks and claim_filter(span.text, min_words) is not None:
                continue  # a byline, caption, definition or casualty tally: not a claim to match
            polarity: dict[int, bool] = {}
            if checks:
                # the candidate stating the same proposition (or its negation), when the top one is close enough
                picked = pick_match(
                    span.text, candidates, float(self.config["proposition_min_score"]),
                    float(self.config["proposition_min_fused"]), float(self.config["proposition_min_coverage"]),
                    float(self.config["proposition_alternative_min_fused"]), int(self.config["proposition_candidates"]),
                    bool(self.config["negated_matches"]), nlp=self._nlp)
                matches = []
                if picked is not None:
                    matches = [(picked[0], "match")]
                    polarity[id(picked[0])] = picked[1].polarity_agrees
            else:
                matches = [(m, "match") for m in candidates if m.score >= threshold and m.fused >= float(self.config["min_fused"])]
            if not matches and candidates:
                best = candidates[0]
                if (best.score >= related_score and best.fused >= related_fused
                        and len(_stems(span.text) & _stems(best.debunk.claim)) >= 3
                        and (not checks or self._related(span.text, best.debunk))):
                    matches = [(best, "related")]
            for m, relation in matches:
                d = m.debunk
                before = docs[i].text[max(0, span.start - 300):span.start]
                art = (article_relation(span.text, before, polarity.get(id(m), True), d.claim,
                                        attributed=getattr(span, "attributed_to", None) is not None)
                       if relation == "match" else "unknown")
                out[i].append(DebunkMatch(
                    start=span.start, end=span.end, text=span.text, debunk_id=d.id, debunk_claim=d.claim,
                    verdict=d.verdict, explanation=d.explanation, url=d.url, database=d.database,
                    attribution=d.attribution, case_id=d.case_id, case_date=d.date, case_outlets=d.outlets,
                    case_countries=d.countries, case_languages=d.languages, score=round(m.score, 4), fused=round(m.fused, 4), bm25=round(m.bm25, 4),
                    dense=round(m.dense, 4), rank=m.rank, claim_source=source, relation=relation,
                    article_relation=art, counts_against=relation == "match" and art == "carries",
                ))
        return out


__all__ = ["DebunkMatch", "DebunkMatchStage", "claim_spans"]
