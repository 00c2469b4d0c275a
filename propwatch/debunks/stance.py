"""Stage ``stance``: does a story support, deny, discuss a known claim, or is it unrelated?

The model judges a (claim, text) pair the way FNC-1 judges (headline,
body): ``agree`` -> ``supports``, ``disagree`` -> ``denies``, ``discuss`` ->
``discusses``, ``unrelated``. It is a gradient-boosted tree ensemble over
CPU-cheap features (TF-IDF and MiniLM cosines of the claim with the whole
text, its lead and its most related sentences; term overlap; refuting,
hedging, confirming and negation cue counts in the sentences that share the
claim's words; cues scoped to the claim's terms), shipped as numpy arrays in
``propwatch/models/stance/`` and evaluated in numpy (no scikit-learn or torch
at run time). The code computes :func:`feature_names` (+
:data:`EMBEDDING_FEATURES`); the trees read the subset ``inputs`` of
``model.json``. ``train/stance.py`` reproduces it; ``MODEL_CARD.md`` gives its
scores on a topic-disjoint split (``python eval/stance.py``).

The stage labels each ``debunk_matches`` record of a story: the story's
stance towards the matched known claim. :func:`stance_by_outlet` gives,
for one claim and many stories, the counts per outlet (for
``propwatch narrative``).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .. import lexicon
from ..records import Document, Span, layer_record
from ..settings import Field, StageSettings
from ..stages.base import LayerStage, register_stage
from ..trees import TreeEnsemble

LABELS = ("agree", "disagree", "discuss", "unrelated")
ANALYST_LABELS = {"agree": "supports", "disagree": "denies", "discuss": "discusses", "unrelated": "unrelated"}

# the model's cue lexicons (data/words/*_cues.txt, negations.txt): one feature per word
REFUTING = lexicon.words("refuting_cues")
HEDGING = lexicon.words("hedging_cues")
CONFIRMING = lexicon.words("confirming_cues")
NEGATION = lexicon.words("negations")
CUE_WORDS = tuple(sorted(REFUTING | HEDGING | CONFIRMING | NEGATION))
_WORD = re.compile(r"[^\W_]+(?:n't|'[a-z]+)?", re.UNICODE)
_SENT = re.compile(r"(?<=[.!?])[\"'”’)]*\s+|\n+")
STOP = lexicon.words("stopwords")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("’", "'"))


def content(ws: Iterable[str]) -> list[str]:
    return [w for w in ws if w not in STOP and w not in NEGATION and len(w) > 1]


def sentences(text: str) -> list[str]:
    return [s for s in _SENT.split(text) if s and s.strip()]


class TfIdf:
    """IDF weights over content words (learned from the training bodies and claims)."""

    def __init__(self, idf: dict[str, float], default: float):
        self.idf = idf
        self.default = default

    def vec(self, ws: Sequence[str]) -> dict[str, float]:
        counts = Counter(ws)
        v = {w: (1 + math.log(c)) * self.idf.get(w, self.default) for w, c in counts.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    @staticmethod
    def cos(a: dict[str, float], b: dict[str, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(x * b.get(w, 0.0) for w, x in a.items())


@dataclass
class _Text:
    """A text prepared once: words, sentences and their vectors."""

    words: list[str]
    sents: list[list[str]]
    vec: dict[str, float]
    lead: dict[str, float]
    sent_vecs: list[dict[str, float]] = field(default_factory=list)
    emb_sents: np.ndarray | None = None  # one embedding per sentence (first 80)
    emb_all: np.ndarray | None = None  # normalised mean of the sentence embeddings
    question: bool = False  # the text has a "?" (a headline asking is not a headline asserting)


def prepare(text: str, tfidf: TfIdf, embedder: Any = None) -> _Text:
    raw_sents = sentences(text)[:80] or [text]
    ws = words(text)
    sents = [words(s) for s in raw_sents]
    if not any(sents):
        sents = [ws]
    emb_sents = emb_all = None
    if embedder is not None:
        emb_sents = np.asarray(embedder.embed(raw_sents), dtype=np.float32)
        mean = emb_sents.mean(axis=0)
        emb_all = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return _Text(
        words=ws, sents=sents, vec=tfidf.vec(content(ws)),
        lead=tfidf.vec(content([w for s in sents[:3] for w in s])),
        sent_vecs=[tfidf.vec(content(s)) for s in sents], emb_sents=emb_sents, emb_all=emb_all,
        question="?" in text,
    )


def is_negation(w: str) -> bool:
    """A negation word, or a contracted one ("didn't", "isn't": the tokenizer keeps the clitic on)."""
    return w in NEGATION or w.endswith("n't")


BASE_FEATURES = [
    "cos_all", "cos_lead", "cos_max_sent", "cos_top3_mean", "overlap_all", "overlap_lead", "overlap_top3",
    "bigram_overlap", "claim_len", "text_len_log", "n_sents_log", "claim_question", "claim_refuting",
    "claim_hedging", "claim_negation", "refuting_all", "hedging_all", "confirming_all", "negation_all",
    "refuting_top3", "hedging_top3", "confirming_top3", "negation_top3", "neg_near_overlap",
    "refuting_lead", "hedging_lead", "top1_position",
]
# topic-free features (v2): cues scoped to the sentences about the claim, the claim's own
# terms negated in the text, the share of the text about the claim; no word identities
SCOPED_FEATURES = [
    "related_share", "cos_max_minus_mean", "refuting_top1", "hedging_top1", "confirming_top1", "negation_top1",
    "neg_before_claim_term", "refuting_near_claim_term", "hedging_near_claim_term", "polarity_mismatch",
    "refuting_related", "refuting_unrelated", "hedging_related", "quote_near_claim_term",
    "claim_terms_missing_top1", "overlap_top1",
]
#: the sentences whose cues count are these many most similar ones
TOP_K = 3


def feature_names() -> list[str]:
    """Names of :func:`pair_features` (the shipped model reads the subset ``inputs`` of ``model.json``)."""
    return BASE_FEATURES + SCOPED_FEATURES + [f"cue_{w}" for w in CUE_WORDS]


EMBEDDING_FEATURES = [
    "emb_cos_all", "emb_cos_lead", "emb_cos_max_sent", "emb_cos_top3_mean",
    "emb_related_share", "emb_refuting_top3", "emb_hedging_top3", "emb_negation_top3", "emb_neg_near_top3",
    "emb_max_minus_mean",
]


def _scoped_cues(claim_terms: set[str], sents: Sequence[list[str]], window: int = 5) -> tuple[float, float, float]:
    """In these sentences, per sentence: negations in the four words before a claim term (the
    claim's predicate negated), refuting and hedging cues within ``window`` words of one."""
    neg_before = ref_near = hedge_near = 0
    for s in sents:
        for k, w in enumerate(s):
            if w not in claim_terms:
                continue
            before = s[max(0, k - 4):k]
            around = s[max(0, k - window):k + window + 1]
            neg_before += any(is_negation(x) for x in before)
            ref_near += sum(x in REFUTING for x in around)
            hedge_near += sum(x in HEDGING for x in around)
    n = max(len(sents), 1)
    return neg_before / n, ref_near / n, hedge_near / n


def embedding_features(claim: _Text, text: _Text) -> list[float]:
    """Cosines of the claim's embedding with the text, and cues in the sentences closest to the
    claim in embedding space (NaN when either has no embeddings)."""
    if claim.emb_all is None or text.emb_sents is None or text.emb_all is None:
        return [float("nan")] * len(EMBEDDING_FEATURES)
    sims = text.emb_sents @ claim.emb_all
    lead = text.emb_sents[:3].mean(axis=0)
    lead = lead / max(float(np.linalg.norm(lead)), 1e-9)
    order = np.argsort(-sims)[:TOP_K]
    top3 = sims[order]
    top_sents = [text.sents[i] for i in order if i < len(text.sents)]
    top_words = [w for s in top_sents for w in s]
    n_top = max(len(top_words), 1)
    cws = set(content(claim.words))
    neg_near = sum(1 for s in top_sents for k, w in enumerate(s)
                   if (is_negation(w) or w in REFUTING) and cws & set(s[max(0, k - 5):k + 6]))
    return [
        float(text.emb_all @ claim.emb_all), float(lead @ claim.emb_all), float(sims.max()), float(top3.mean()),
        float(np.mean(sims > 0.5)),
        100.0 * sum(w in REFUTING for w in top_words) / n_top, 100.0 * sum(w in HEDGING for w in top_words) / n_top,
        100.0 * sum(is_negation(w) for w in top_words) / n_top, float(neg_near),
        float(sims.max() - sims.mean()),
    ]


QUOTE_CUES = frozenset({"claim", "claims", "claimed", "alleged", "allegedly", "purported", "purportedly", "supposedly",
                        "reportedly", "reports", "report", "rumour", "rumor", "according"})


def pair_features(claim: _Text, text: _Text) -> list[float]:
    cws = set(content(claim.words))
    sims = [TfIdf.cos(claim.vec, sv) for sv in text.sent_vecs] or [0.0]
    order = sorted(range(len(sims)), key=lambda i: -sims[i])
    top = order[:TOP_K]
    top_words = [w for i in top for w in text.sents[i]]
    lead_words = [w for s in text.sents[:3] for w in s]
    n_all = max(len(text.words), 1)
    n_top = max(len(top_words), 1)
    n_lead = max(len(lead_words), 1)

    def rate(ws: list[str], lex: frozenset, n: int) -> float:
        return 100.0 * sum(w in lex for w in ws) / n

    def overlap(ws: Iterable[str]) -> float:
        return len(cws & set(ws)) / max(len(cws), 1)

    cbig = set(zip(claim.words, claim.words[1:]))
    tbig = set(zip(text.words, text.words[1:]))
    neg_near = 0
    for i in top:
        s = text.sents[i]
        for k, w in enumerate(s):
            if w in NEGATION or w in REFUTING:
                if cws & set(s[max(0, k - 5):k + 6]):
                    neg_near += 1
    top_counts = Counter(top_words)
    feats = [
        TfIdf.cos(claim.vec, text.vec), TfIdf.cos(claim.vec, text.lead), max(sims),
        float(np.mean([sims[i] for i in top])), overlap(text.words), overlap(lead_words), overlap(top_words),
        len(cbig & tbig) / max(len(cbig), 1), float(len(claim.words)), math.log1p(len(text.words)),
        math.log1p(len(text.sents)), float(claim.question),
        float(sum(w in REFUTING for w in claim.words)), float(sum(w in HEDGING for w in claim.words)),
        float(sum(w in NEGATION for w in claim.words)),
        rate(text.words, REFUTING, n_all), rate(text.words, HEDGING, n_all), rate(text.words, CONFIRMING, n_all),
        rate(text.words, NEGATION, n_all), rate(top_words, REFUTING, n_top), rate(top_words, HEDGING, n_top),
        rate(top_words, CONFIRMING, n_top), rate(top_words, NEGATION, n_top), float(neg_near),
        rate(lead_words, REFUTING, n_lead), rate(lead_words, HEDGING, n_lead),
        order[0] / max(len(sims), 1),
    ]
    # scoped, topic-free
    related = [i for i, v in enumerate(sims) if v >= 0.15]
    rel_set = set(related)
    best = text.sents[order[0]] if text.sents else []
    n_best = max(len(best), 1)
    top_sents = [text.sents[i] for i in top]
    neg_before, ref_near, hedge_near = _scoped_cues(cws, top_sents)
    claim_neg = any(is_negation(w) for w in claim.words)
    text_neg = any(is_negation(w) for s in top_sents[:1] for w in s)
    rel_words = [w for i in related for w in text.sents[i]]
    unrel_words = [w for i, s in enumerate(text.sents) if i not in rel_set for w in s]
    quote_near = sum(1 for s in top_sents for k, w in enumerate(s)
                     if w in QUOTE_CUES and cws & set(s[max(0, k - 6):k + 7])) / max(len(top_sents), 1)
    feats += [
        len(related) / max(len(sims), 1), max(sims) - float(np.mean(sims)),
        rate(best, REFUTING, n_best), rate(best, HEDGING, n_best), rate(best, CONFIRMING, n_best),
        100.0 * sum(is_negation(w) for w in best) / n_best,
        neg_before, ref_near, hedge_near, float(claim_neg != text_neg),
        rate(rel_words, REFUTING, max(len(rel_words), 1)), rate(unrel_words, REFUTING, max(len(unrel_words), 1)),
        rate(rel_words, HEDGING, max(len(rel_words), 1)), quote_near,
        1.0 - overlap(best), overlap(best),
    ]
    return feats + [float(top_counts.get(w, 0)) for w in CUE_WORDS]


# ---------------------------------------------------------------- the model


def default_model_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/stance")))


@dataclass(frozen=True)
class StanceResult:
    """The label (FNC name), the analyst's word, and every class probability."""

    label: str
    scores: dict[str, float]

    @property
    def stance(self) -> str:
        return ANALYST_LABELS[self.label]


class StanceModel:
    """Features + tree ensemble; ``predict([(claim, text), ...])``.

    ``features`` names every column the feature code computes (:func:`feature_names`, then
    :data:`EMBEDDING_FEATURES` when the model uses embeddings); ``inputs`` the columns the
    trees read, in their order (all of them when empty).
    """

    def __init__(self, trees: TreeEnsemble, tfidf: TfIdf, labels: Sequence[str], priors: np.ndarray | None = None,
                 features: Sequence[str] = (), embedder: Any = None, trained_embedder: str = "",
                 inputs: Sequence[str] = ()):
        self.trees = trees
        self.tfidf = tfidf
        self.labels = tuple(labels)
        self.priors = priors if priors is not None else np.ones(len(labels))
        self.uses_embeddings = EMBEDDING_FEATURES[0] in features
        self._embedder = embedder
        self.trained_embedder = trained_embedder
        computed = feature_names() + (EMBEDDING_FEATURES if self.uses_embeddings else [])
        if features and list(features) != computed:
            raise ValueError("the stance model was trained on other features than this code computes: retrain it "
                             "(python train/stance.py)")
        missing = [f for f in inputs if f not in computed]
        if missing:
            raise ValueError(f"stance model inputs not computed by this code: {missing[:5]}")
        self.columns = np.asarray([computed.index(f) for f in inputs], dtype=np.int64) if inputs else None

    @property
    def embedder(self) -> Any:
        """The embedder the model was trained with (``embedder`` in ``model.json``: the shipped
        MiniLM) when it uses embedding features and that model is installed, else None."""
        if self.uses_embeddings and self._embedder is None:
            from ..embeddings import DEFAULT_BACKEND, get_embedder, installed

            emb = get_embedder(DEFAULT_BACKEND) if installed(DEFAULT_BACKEND) else None
            ok = emb is not None and (not self.trained_embedder or emb.name == self.trained_embedder)
            self._embedder = emb if ok else False  # no model, or another one: NaN features
        return self._embedder or None

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> "StanceModel":
        d = Path(model_dir) if model_dir else default_model_dir()
        meta = json.loads((d / "model.json").read_text("utf-8"))
        vocab = json.loads((d / "idf.json").read_text("utf-8"))
        return cls(TreeEnsemble.load(d / "trees.npz"), TfIdf(vocab["idf"], vocab["default"]), meta["labels"],
                   np.asarray(meta.get("class_scale", [1.0] * len(meta["labels"]))), meta.get("features", ()),
                   trained_embedder=meta.get("embedder") or "", inputs=meta.get("inputs", ()))

    def features(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Every computed feature of each pair (``(n, len(features))``; the trees read :attr:`columns`)."""
        cache: dict[str, _Text] = {}
        embedder = self.embedder if self.uses_embeddings else None

        def prep(t: str) -> _Text:
            if t not in cache:
                cache[t] = prepare(t, self.tfidf, embedder)
            return cache[t]

        rows = []
        for c, t in pairs:
            ct, tt = prep(c), prep(t)
            row = pair_features(ct, tt)
            if self.uses_embeddings:
                row += embedding_features(ct, tt)
            rows.append(row)
        return np.asarray(rows, dtype=np.float64).reshape(len(pairs), -1)

    def proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (before the class scales) from a :meth:`features` matrix."""
        return self.trees.proba(X if self.columns is None else X[:, self.columns])

    def predict(self, pairs: Sequence[tuple[str, str]]) -> list[StanceResult]:
        if not pairs:
            return []
        p = self.proba(self.features(pairs)) * self.priors
        p = p / p.sum(axis=1, keepdims=True)
        return [
            StanceResult(self.labels[int(np.argmax(row))], {lab: float(v) for lab, v in zip(self.labels, row)})
            for row in p
        ]


# ---------------------------------------------------------------- the stage


@layer_record("stances")
@dataclass(frozen=True, slots=True)
class Stance(Span):
    """The story's stance towards a known claim; the span is where the story states or meets it."""

    layer_name: ClassVar[str]
    target: str = ""  # "debunk:<id>" (or "narrative:<id>" from the narrative layer)
    target_claim: str = ""
    stance: str = "unrelated"  # supports | denies | discusses | unrelated
    scores: dict[str, float] = field(default_factory=dict)
    by: str = "model"  # "model" or "denial" (an explicit denial record overrides)


class StanceSettings(StageSettings):
    model_dir: str = Field("", description='A stance model directory ("" = the shipped one).')
    use_denials: bool = Field(True, description="A denial record over the match makes the stance \"denies\".")


@register_stage("stance", version=2)
class StanceStage(LayerStage):
    requires = ("debunk_matches",)
    optional = ("denials",)
    assigns = ("stances",)
    languages = ("en",)  # English models and word lists (propwatch.languages routes the rest)
    layer = "stances"
    settings_model = StanceSettings

    def setup(self, resources) -> None:
        """The stance model (the shipped one unless ``model_dir``), loaded once per process."""
        model_dir = self.config.get("model_dir", "")
        self._model = resources.get(("stance", model_dir), lambda: StanceModel.load(model_dir or None))

    def predict(self, docs: Sequence[Document]) -> list[list[Stance]]:
        jobs: list[tuple[int, Any]] = []
        for i, doc in enumerate(docs):
            seen: set[str] = set()
            for m in doc.layer("debunk_matches"):
                if m.debunk_id not in seen:
                    seen.add(m.debunk_id)
                    jobs.append((i, m))
        out: list[list[Stance]] = [[] for _ in docs]
        if not jobs:
            return out
        model = self._model
        results = model.predict([(m.debunk_claim, docs[i].text) for i, m in jobs])
        for (i, m), res in zip(jobs, results):
            stance, by = res.stance, "model"
            if self.config.get("use_denials", True):
                for d in docs[i].layer("denials"):
                    if d.start < m.end and m.start < d.end:
                        stance, by = "denies", "denial"
                        break
            out[i].append(Stance(
                start=m.start, end=m.end, text=m.text, target=f"debunk:{m.debunk_id}", target_claim=m.debunk_claim,
                stance=stance, scores={ANALYST_LABELS[k]: round(v, 4) for k, v in res.scores.items()}, by=by,
            ))
        return out


# ---------------------------------------------------------------- per outlet


@dataclass(frozen=True)
class OutletStance:
    """How one outlet's stories stand towards one claim."""

    outlet: str
    supports: int = 0
    denies: int = 0
    discusses: int = 0
    unrelated: int = 0
    stories: tuple[tuple[str, str], ...] = ()  # (doc id, stance)

    def to_dict(self) -> dict[str, Any]:
        return {"outlet": self.outlet, "supports": self.supports, "denies": self.denies,
                "discusses": self.discusses, "unrelated": self.unrelated,
                "stories": [{"id": i, "stance": s} for i, s in self.stories]}


def _denials_of(doc: Document) -> tuple:
    """The story's denials layer, or denials found now when the stage has not run."""
    if "denials" in doc.layers:
        return doc.layer("denials")
    from ..records import Sentence
    from .denials import find_denials
    from ..ingest.sentences import split_sentences

    if not doc.layer("sentences"):
        doc = doc.with_layer("sentences", [Sentence.of(doc.text, s, e, paragraph=p) for s, e, p in split_sentences(doc.text)])
    return tuple(find_denials(doc))


def stance_by_outlet(claim: str, docs: Iterable[Document], model: StanceModel | None = None,
                     include_unrelated: bool = False) -> list[OutletStance]:
    """For one claim (e.g. a narrative's representative claim) and the stories that
    mention it: per outlet, how many support, deny or discuss it.

    An explicit denial (layer ``denials``, found on the fly when that stage
    has not run) in a story counts as ``denies``
    when the model says ``supports`` or ``discusses`` and a denial's
    ``denied`` text shares words with the claim. Outlets are sorted by
    number of stories; unknown outlets are grouped as ``"unknown"``.
    """
    docs = list(docs)
    model = model or StanceModel.load()
    results = model.predict([(claim, d.text) for d in docs])
    cwords = set(content(words(claim)))
    per: dict[str, list[tuple[str, str]]] = {}
    for doc, res in zip(docs, results):
        stance = res.stance
        if stance in ("supports", "discusses"):
            for den in _denials_of(doc):
                target = getattr(den, "denied", "") or den.text
                if len(cwords & set(content(words(target)))) >= 2:
                    stance = "denies"
                    break
        if stance == "unrelated" and not include_unrelated:
            continue
        per.setdefault(doc.outlet or "unknown", []).append((doc.id, stance))
    out = []
    for outlet, items in per.items():
        counts = Counter(s for _, s in items)
        out.append(OutletStance(outlet, counts["supports"], counts["denies"], counts["discusses"], counts["unrelated"], tuple(items)))
    return sorted(out, key=lambda o: (-len(o.stories), o.outlet))


__all__ = [
    "ANALYST_LABELS", "LABELS", "OutletStance", "Stance", "StanceModel", "StanceResult", "StanceStage",
    "EMBEDDING_FEATURES", "embedding_features", "feature_names", "pair_features", "prepare",
    "stance_by_outlet",
]
