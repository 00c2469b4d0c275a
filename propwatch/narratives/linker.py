"""Incremental, deterministic claim linking into narratives (in memory).

Each new claim, in canonical order (published date, document id, offset),
is compared with its nearest earlier claims (vector index, top ``k``):

    link(a, b) = cosine(a, b) + w_lex * idf_overlap(words) + w_ent * jaccard(entities)
                 + w_pred * idf_overlap(predicate words)

on the *normalized* claim texts (aliases and pronouns resolved). Predicate
words are the Snowball stems of the words that are not entity names: what
a claim says of its actors. Two claims about Turkey and the Islamic State
are alike to an embedding whatever they say ("buys oil from", "lets
fighters cross the border"), so a pair that shares no predicate word gets
no link unless its cosine reaches ``paraphrase_min``.

The other way round, two claims that state one contested action in words
that share little ("Turkey is the main consumer of the oil" / "documents
pointed to IS selling oil to Turkey"; "safe passage into Syria" / "crossing
into Syria is easy") and name two actors in common state one *frame*
(:mod:`.proposition`, ``FRAMES``): such a pair is a candidate beside the k
nearest (the latest ``frame_candidates`` claims filed under the frame and a
pair of the claim's actors), needs only
``frame_cos_min`` (for ``candidate_min`` and ``centroid_min``) and no shared
predicate word, and scores ``w_frame`` more.

The claim joins the narrative of its best link when that score reaches
``link_threshold`` (``same_story_min`` for a claim of the same story, whose
words and names recur whatever it claims) and its *mean* cosine to the
narrative's claims reaches ``centroid_min`` (average linkage: no chains that
drift A~B~C~D away from A); otherwise it founds a narrative of its own. An
optional verifier (:mod:`.verify`) must also read the two claims as one.
When ``merge_min`` <= 1, one claim that links to two narratives whose
claims agree on average folds the younger into the older (its id survives);
the default never merges: on the seed articles, merges chained distinct claims.
Apart from merges, adding stories only adds members and narratives; nothing
is recomputed.

Why not BERTopic-style clustering: UMAP + HDBSCAN are stochastic (run-to-run
drift) and HDBSCAN puts 30-50 % of documents in an outlier bin. Here every
claim belongs to exactly one narrative (a lone claim is a narrative of one,
which later stories can join), every step is a pure function of the input
and its order, and the order is canonical, so the same stories give the
same narratives on every run.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .filters import skip_reason, text_key
from .index import make_index
from .matching import jaccard, tokens
from .proposition import Proposition, conflict, frames_match, predicate_classes, stems


@dataclass(frozen=True)
class ClaimItem:
    """A claim as the linker sees it (one row of ``Claim`` plus its story's metadata)."""

    key: str  # "<doc_id>:<start>-<end>"
    doc_id: str
    text: str
    normalized: str
    entities: tuple[str, ...] = ()
    outlet: str | None = None
    published: str | None = None  # ISO date or datetime, or None
    attributed_to: str | None = None
    checkworthiness: float = 0.0

    @property
    def day(self) -> str | None:
        return self.published[:10] if self.published else None

    def sort_key(self) -> tuple:
        start = int(self.key.rsplit(":", 1)[1].split("-")[0]) if ":" in self.key else 0
        return (self.published or "9999", self.doc_id, start, self.key)


@dataclass(frozen=True)
class LinkParams:
    k: int = 10
    candidate_min: float = 0.45  # cosine below this is never a link
    link_threshold: float = 0.8  # fused score needed to join (real PTC gold, tune split: B3 P 0.6 -> 0.81, 0.8 -> 0.88, 1.0 -> 0.95)
    same_story_min: float = 0.90  # the same, for a link to a claim of the same story (its words and names recur)
    centroid_min: float = 0.50  # mean cosine to the narrative's claims needed to join
    merge_min: float = 1.01  # mean cosine between two narratives' claims needed to merge them (> 1: never)
    w_lexical: float = 0.25
    w_entities: float = 0.15
    w_predicate: float = 0.25  # idf overlap of the predicate words (stems of the words that are not entity names)
    paraphrase_min: float = 0.7  # a link needs a shared predicate word unless the cosine reaches this (0: never)
    predicate_min: float = 0.5  # ...and an idf overlap of the predicate words of at least this (real-news gold, tune: B3 P 0.917 -> 0.952)
    proposition_checks: bool = True  # no link between claims whose actors or polarity differ (see .proposition)
    numbers_check: bool = True  # ...nor between claims that both give figures and share none
    verify_min: float = 0.5  # with a verifier: its same-claim probability needed to join
    verify_top: int = 3  # narratives verified per claim, best links first
    verify_members: int = 2  # best-linked members verified per narrative
    verifier: str = ""  # "" none, "auto" the shipped claim cross-encoder, or its directory (see .verify)
    index: str = "auto"  # auto | exact | hnsw
    block: int = 2048
    core_size: int = 10  # a claim joins a narrative only if it links to each of its first core_size claims (0: off)
    skip_filters: bool = True  # bylines, casualty tallies, definitions, background are never linked (see .filters)
    boilerplate_days: int = 60  # a sentence seen again this many days after its first story is boilerplate (0: off)
    frames: bool = True  # two claims that state one frame (see .proposition: FRAMES) link though they read apart
    frame_cos_min: float = 0.35  # ...when their cosine reaches this (it stands for candidate_min and centroid_min)
    w_frame: float = 0.3  # ...with this added to the link score (and a full predicate overlap)
    frame_candidates: int = 50  # the latest claims of the same frame and pair of actors looked at, beside the k nearest


class Verifier(Protocol):
    """Reads two claims together: ``probabilities(claim, others)`` = P(same claim) for each of ``others``."""

    def probabilities(self, claim: str, others: Sequence[str]) -> np.ndarray: ...


@dataclass
class Assignment:
    key: str
    narrative_id: str
    linked_to: str | None
    score: float


_ANAPHORIC_REACTION = re.compile(
    r"\b(?:reject(?:s|ed)?|den(?:y|ies|ied)|dismiss(?:es|ed)?|refute[sd]?|call(?:s|ed)? (?:them|it)|described (?:them|it)"
    r"|(?:if|when) (?:confirmed|true|proven))\b.{0,40}?\b(?:the|these|those|such|any|all)?\s*"
    r"(?:claims?|allegations?|accusations?|reports?|charges?|them|it|link)\b"
    r"|\b(?:the|these|those|such) (?:claims?|allegations?|accusations?|reports?|charges?)\b.{0,30}\b(?:if confirmed|could|would|absurd|baseless|false)\b",
    re.IGNORECASE,
)


def is_reaction(text: str) -> bool:
    """A denial or comment that points back at a claim ("X rejected the allegations").

    It asserts nothing by itself, so two of them look alike whatever they deny;
    such claims stay narratives of their own and are never link candidates (the
    stance layer relates them to what they deny).
    """
    return bool(_ANAPHORIC_REACTION.search(text)) and len(tokens(text)) <= 12


def predicate_words(toks: frozenset[str], entities: Sequence[str]) -> frozenset[str]:
    """What a claim says of its actors: Snowball stems of its words that are not in an entity's
    canonical id ("org:islamic-state" names islamic, state), so "cooperate" and "cooperation"
    are one word and two claims about Turkey and the Islamic State share nothing for those names."""
    names = set(tokens(" ".join(e.split(":", 1)[-1].replace("-", " ") for e in entities)))
    return frozenset(stems(toks - names)) - frozenset(stems(names))


def _frame_keys(prop: Proposition) -> list[tuple]:
    """Where a claim that states a frame is filed: the frame with each pair of its actors (two claims
    that share a frame share one of these keys, :func:`.proposition.frames_match`)."""
    actors = sorted(prop.actors)
    return [(prop.frame[0], a, b) for n, a in enumerate(actors) for b in actors[n + 1:]]


def _days(a: str, b: str) -> int:
    from datetime import date

    try:
        return abs((date.fromisoformat(b[:10]) - date.fromisoformat(a[:10])).days)
    except ValueError:
        return 0


def narrative_id_for(key: str) -> str:
    return "n" + hashlib.sha256(key.encode()).hexdigest()[:10]


@dataclass
class Linker:
    """Holds the claims seen so far, their vectors and narrative of each; ``add`` links more."""

    dim: int
    params: LinkParams = field(default_factory=LinkParams)
    verifier: Verifier | None = None

    def __post_init__(self) -> None:
        self.items: list[ClaimItem] = []
        self.keys: dict[str, int] = {}
        self._buf = np.zeros((1024, self.dim), np.float32)
        self.narrative_of: list[str] = []
        self.members: dict[str, list[int]] = {}
        self.centroid: dict[str, np.ndarray] = {}
        self.df: Counter = Counter()
        self.index = make_index(self.dim, self.params.index)
        self._toks: list[frozenset[str]] = []
        self._pred: list[frozenset[str]] = []  # predicate words (see predicate_words)
        self._prop: list[Proposition] = []  # what the proposition checks read (see .proposition)
        self.moved: dict[str, str] = {}  # claim key -> narrative id, for claims moved by a merge
        self._inert: list[bool] = []  # claims never linked (see skip)
        self.skipped: dict[str, str] = {}  # claim key -> why it is not linked
        self._repeats: dict[str, tuple[str | None, dict[str, str]]] = {}  # text key -> (first day, outlet -> doc)
        self._by_frame: dict[tuple, list[int]] = {}  # (frame, actor, actor) -> claims (linked ones) that state it

    # ------------------------------------------------------------- state

    def restore(self, items: Sequence[ClaimItem], vectors: np.ndarray, narrative_ids: Sequence[str],
                index_file: str | None = None) -> None:
        """Load earlier results (from the store) without relinking them.

        ``index_file``: a saved HNSW graph of exactly these vectors (see
        :meth:`save_index`); loading it skips rebuilding the graph, which is
        the one cost of an incremental run that grows with the corpus.
        """
        self._reserve(len(items))
        for item, vec, nid in zip(items, np.asarray(vectors, np.float32), narrative_ids):
            self._append(item, vec, nid)
        import os

        if index_file and hasattr(self.index, "load") and os.path.exists(index_file):
            if self.index.load(index_file, len(items)):
                return
        self.index.add(np.asarray(vectors, np.float32))

    def save_index(self, index_file: str) -> None:
        if hasattr(self.index, "save"):
            self.index.save(index_file)

    def _reserve(self, n: int) -> None:
        """Room for ``n`` more claims in one allocation (a restore or a batch), not a doubling per
        power of two: after a restore of 1M claims a doubling would copy the whole store."""
        need = len(self.items) + n
        if need > len(self._buf):
            self._buf = np.concatenate([self._buf, np.zeros((need - len(self._buf), self.dim), np.float32)])

    def _append(self, item: ClaimItem, vec: np.ndarray, nid: str, prop: Proposition | None = None) -> None:
        i = len(self.items)
        self.items.append(item)
        self.keys[item.key] = i
        if i >= len(self._buf):  # amortized doubling, not a copy per claim
            self._buf = np.concatenate([self._buf, np.zeros_like(self._buf)])
        self._buf[i] = vec
        self.narrative_of.append(nid)
        self.members.setdefault(nid, []).append(i)
        self.centroid[nid] = self.centroid.get(nid, np.zeros(self.dim, np.float32)) + vec
        toks = frozenset(tokens(item.normalized or item.text))
        self._toks.append(toks)
        pred = predicate_classes(predicate_words(toks, item.entities))
        self._pred.append(pred)
        prop = prop or Proposition.of(item.normalized or item.text, item.entities)
        self._prop.append(prop)
        self.df.update(toks | pred)
        reason = self.skip(item)
        self._inert.append(reason is not None)
        if reason:
            self.skipped[item.key] = reason
        elif prop.frame:
            for key in _frame_keys(prop):
                self._by_frame.setdefault(key, []).append(i)
        first, outlets = self._repeats.setdefault(text_key(item.text), (item.day, {}))
        if item.outlet:
            outlets.setdefault(item.outlet, item.doc_id)
        if first is None and item.day:
            self._repeats[text_key(item.text)] = (item.day, outlets)

    def skip(self, item: ClaimItem) -> str | None:
        """Why a claim is never linked, from what was linked before it (canonical order), or None:
        a reaction that points back at a claim, a byline, tally, definition or background sentence
        (:func:`.filters.skip_reason`), or boilerplate: a sentence an earlier story of the same
        outlet carried, or one first seen ``boilerplate_days`` or more before this story."""
        text = item.normalized or item.text
        if is_reaction(text):
            return "reaction"
        p = self.params
        if p.skip_filters:
            reason = skip_reason(item.text, item.entities)
            if reason:
                return reason
        seen = self._repeats.get(text_key(item.text))
        if seen:
            first, outlets = seen
            if item.outlet and outlets.get(item.outlet, item.doc_id) != item.doc_id:
                return "boilerplate (repeated by the outlet)"
            if p.boilerplate_days and first and item.day and _days(first, item.day) >= p.boilerplate_days:
                return "boilerplate (repeated for months)"
        return None

    @property
    def vectors(self) -> np.ndarray:
        return self._buf[: len(self.items)]

    # ------------------------------------------------------------- scoring

    def _idf(self, tok: str) -> float:
        n = max(len(self.items), 1)
        d = self.df.get(tok, 0)
        return math.log(1.0 + (n - d + 0.5) / (d + 0.5))

    def lexical(self, a: frozenset[str], b: frozenset[str]) -> float:
        if not a or not b:
            return 0.0
        inter = sum(self._idf(t) for t in a & b)
        return inter / min(sum(self._idf(t) for t in a), sum(self._idf(t) for t in b))

    def pair_score(self, cos: float, toks: frozenset[str], ents: tuple[str, ...], pred: frozenset[str], j: int,
                   prop: Proposition | None = None) -> float:
        """The link score of a new claim (cosine, tokens, entities, predicate words, and what the
        proposition checks read of it) to claim ``j``; 0 when the two cannot be one proposition:
        their predicate words overlap less than ``predicate_min`` (or not at all) and the cosine
        is below ``paraphrase_min``, or (``proposition_checks``) their actors conflict, one negates
        what the other asserts, or (``numbers_check``) both give figures and share none. Two claims
        that state one frame (:meth:`framed`) need no predicate word in common and score
        ``w_predicate + w_frame`` for it."""
        p = self.params
        if p.proposition_checks and prop is not None and conflict(prop, self._prop[j], p.numbers_check):
            return 0.0
        framed = self.framed(cos, prop, j)
        pred_overlap = 1.0 if framed else self.lexical(pred, self._pred[j])
        if not framed and cos < p.paraphrase_min and (not pred & self._pred[j] or pred_overlap < p.predicate_min):
            return 0.0
        return (cos + p.w_lexical * self.lexical(toks, self._toks[j]) + p.w_entities * jaccard(ents, self.items[j].entities)
                + p.w_predicate * pred_overlap + (p.w_frame if framed else 0.0))

    def framed(self, cos: float, prop: Proposition | None, j: int) -> bool:
        """The claim and claim ``j`` state one frame (:func:`.proposition.frames_match`) and their
        cosine reaches ``frame_cos_min``."""
        p = self.params
        return (p.frames and prop is not None and prop.frame is not None and cos >= p.frame_cos_min
                and frames_match(prop, self._prop[j]))

    # ------------------------------------------------------------- linking

    def add(self, items: Sequence[ClaimItem], vectors: np.ndarray) -> list[Assignment]:
        """Link new claims (sorted here into canonical order); returns one assignment each."""
        vectors = np.asarray(vectors, np.float32)
        order = sorted(range(len(items)), key=lambda i: items[i].sort_key())
        fresh = [i for i in order if items[i].key not in self.keys]
        self._reserve(len(fresh))
        out: list[Assignment] = []
        p = self.params
        for b in range(0, len(fresh), p.block):
            block = fresh[b:b + p.block]
            bvec = vectors[block]
            old_ids, old_sims = self.index.search(bvec, p.k)
            inner = bvec @ bvec.T
            base = len(self.items)
            for r, i in enumerate(block):
                item, vec = items[i], bvec[r]
                cands: dict[int, float] = {}
                for j, s in zip(old_ids[r], old_sims[r]):
                    if j >= 0 and s >= p.candidate_min:
                        cands[int(j)] = float(s)
                if r:
                    prev = inner[r, :r]
                    top = np.argsort(-prev, kind="stable")[: p.k]
                    for t in top:
                        if prev[t] >= p.candidate_min:
                            cands[base + int(t)] = float(prev[t])
                if len(cands) > p.k:  # the k nearest earlier claims, whether stored or in this block
                    cands = dict(sorted(cands.items(), key=lambda t: (-t[1], t[0]))[: p.k])
                prop = Proposition.of(item.normalized or item.text, item.entities)
                if self.skip(item):
                    cands = {}
                elif p.frames and prop.frame:  # and the latest claims that state the frame with two of its actors
                    for key in _frame_keys(prop):
                        for j in self._by_frame.get(key, ())[-p.frame_candidates:]:
                            if j not in cands:
                                cos = float(vec @ self._buf[j])
                                if cos >= p.frame_cos_min:
                                    cands[j] = cos
                toks = frozenset(tokens(item.normalized or item.text))
                pred = predicate_classes(predicate_words(toks, item.entities))
                per_narrative: dict[str, list[tuple[float, int]]] = {}
                for j, cos in sorted(cands.items()):
                    if self._inert[j]:
                        continue
                    score = self.pair_score(cos, toks, item.entities, pred, j, prop)
                    if score >= (p.same_story_min if self.items[j].doc_id == item.doc_id else p.link_threshold):
                        per_narrative.setdefault(self.narrative_of[j], []).append((score, j))
                # narratives this claim may join: linked, close to their claims on average, and
                # (with a verifier) read as the same claim as one of their best-linked members
                joinable = sorted(
                    ((*max(links, key=lambda t: (t[0], -t[1])), n_j) for n_j, links in per_narrative.items()
                     if self._near_centroid(vec, n_j, prop) and self._links_core(vec, toks, item, pred, n_j, prop)),
                    key=lambda t: (-t[0], t[1]),
                )
                if self.verifier is not None and joinable:
                    joinable = self._verify(item, joinable, per_narrative)
                nid, linked, score = None, None, 0.0
                if joinable:
                    score, j, nid = joinable[0]
                    linked = self.items[j].key
                    # one claim strongly linked to two narratives: they are one, if their centroids agree
                    for _, _, other in joinable[1:]:
                        if other in self.members and nid in self.members and self._centroids_agree(nid, other):
                            nid = self._merge(nid, other)
                if nid is None:
                    nid = narrative_id_for(item.key)
                self._append(item, vec, nid, prop)
                out.append(Assignment(item.key, nid, linked, round(float(score), 4)))
            self.index.add(bvec)
        for a in out:  # later merges in this batch may have moved earlier claims
            a.narrative_id = self.narrative_of[self.keys[a.key]]
        return out

    def _verify(self, item: ClaimItem, joinable: list, per_narrative: dict) -> list:
        """Keep the narratives whose best-linked members (``verify_members`` of them, of the
        ``verify_top`` best narratives) the verifier reads as the same claim (probability >=
        ``verify_min``); each kept narrative's score becomes that probability."""
        p = self.params
        pairs = [(n_j, j) for _, _, n_j in joinable[: p.verify_top]
                 for _, j in sorted(per_narrative[n_j], key=lambda t: (-t[0], t[1]))[: p.verify_members]]
        docs = [self.items[j].normalized or self.items[j].text for _, j in pairs]
        probs = self.verifier.probabilities(item.normalized or item.text, docs)
        best: dict[str, tuple[float, int]] = {}
        for (n_j, j), pr in zip(pairs, probs):
            if pr >= p.verify_min and (n_j not in best or pr > best[n_j][0]):
                best[n_j] = (float(pr), j)
        return sorted(((sc, j, n_j) for n_j, (sc, j) in best.items()), key=lambda t: (-t[0], t[1]))

    def _links_core(self, vec: np.ndarray, toks: frozenset[str], item: ClaimItem, pred: frozenset[str], nid: str,
                    prop: Proposition | None = None) -> bool:
        """No chains: the claim links (score >= ``link_threshold``) to each of the narrative's first
        ``core_size`` claims, not only to its best-linked one, so that a narrative never grows by
        A~B~C links that drift away from what its first claims say."""
        p = self.params
        if p.core_size <= 0:
            return True
        for j in self.members[nid][: p.core_size]:
            cos = float(vec @ self._buf[j])
            need = p.same_story_min if self.items[j].doc_id == item.doc_id else p.link_threshold
            floor = p.frame_cos_min if self.framed(cos, prop, j) else p.candidate_min
            if cos < floor or self.pair_score(cos, toks, item.entities, pred, j, prop) < need:
                return False
        return True

    def _near_centroid(self, vec: np.ndarray, nid: str, prop: Proposition | None = None) -> bool:
        """Average linkage: the mean cosine to the narrative's claims (the centroid is their sum)
        reaches ``centroid_min``, or ``frame_cos_min`` when the claim states the frame of the
        narrative's first claim."""
        p = self.params
        first = self.members[nid][0]
        mean = float(vec @ self.centroid[nid]) / len(self.members[nid])
        floor = p.frame_cos_min if self.framed(float(vec @ self._buf[first]), prop, first) else p.centroid_min
        return mean >= floor

    def _centroids_agree(self, a: str, b: str) -> bool:
        """The mean cosine over all pairs of claims of the two narratives."""
        mean = float(self.centroid[a] @ self.centroid[b]) / (len(self.members[a]) * len(self.members[b]))
        return mean >= self.params.merge_min

    def _merge(self, a: str, b: str) -> str:
        """Fold the younger narrative into the older (first claim seen first); returns the kept id."""
        keep, drop = (a, b) if self.members[a][0] <= self.members[b][0] else (b, a)
        for i in self.members[drop]:
            self.narrative_of[i] = keep
            self.moved[self.items[i].key] = keep
        self.members[keep] = sorted(self.members[keep] + self.members.pop(drop))
        self.centroid[keep] = self.centroid[keep] + self.centroid.pop(drop)
        return keep


__all__ = ["Assignment", "ClaimItem", "LinkParams", "Linker", "Verifier", "narrative_id_for", "predicate_words"]
