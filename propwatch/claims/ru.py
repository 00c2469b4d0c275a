"""Check-worthiness of Russian sentences: hand-written rules, not a model.

The shipped check-worthiness models are trained on English (ClaimBuster,
CheckThat!) and score Russian text as noise, so a Russian story's claims
come from cues a fact-checker looks for, each with a weight:

- numbers and statistics ("57 процентов", "100 миллионов кубометров",
  "в 2006 году", "в три раза");
- blame and accusation ("обвинил", "виноват", "ответственность за",
  "геноцид", "военный преступник", "нацисты", "провокация");
- predictions and warnings ("приведет к", "грозит", "ожидается", "будет");
- causes and absolutes ("из-за", "в результате", "никогда", "впервые");
- assertions of fact about named actors (a name with a verb of action in the
  past: "заблокировал", "отменил", "ввели");
- quoted assertions: a sentence the ``quotes`` layer attributes to a speaker.

Against: questions, first-person opinion without facts ("я считаю", "мне
кажется"), headlines without a verb, and sentences of five words or fewer.
The score is ``1 - prod(1 - w)`` over the cues that fire, minus the
penalties, clipped to [0, 1]; a claim needs ``THRESHOLD``. Precision was read
by hand on the dev articles of ``eval/data/ru_read`` (``eval/russian.py``
prints the claims of every article for reading); each claim says so in its
``method`` (:data:`METHOD`).
"""

from __future__ import annotations

import re

METHOD = "ru_rules.v1"
THRESHOLD = 0.5

_W = r"[А-Яа-яЁёA-Za-z-]"
CUES: tuple[tuple[str, float, re.Pattern], ...] = (
    ("number", 0.45, re.compile(
        r"\d+(?:[.,]\d+)?\s*(?:%|процент\w*|млрд|млн|миллиард\w*|миллион\w*|тысяч\w*|тыс\.|"
        r"рубл\w+|доллар\w*|евро|кубометр\w*|тонн\w*|человек|раз\w*|штат\w*|стран\w*|км|килограмм\w*)", re.I)),
    ("number", 0.3, re.compile(r"(?<![\w.])\d{2,}(?![\w.])|\b(?:в|на)\s+(?:два|три|четыре|пять|десять|сто)\s+раз\w*", re.I)),
    ("date", 0.2, re.compile(r"\b(?:в|с|до|к)\s+(?:\d{4}|\d{1,2}\s+(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*)", re.I)),
    ("blame", 0.45, re.compile(
        r"(?<!\w)(?:обвин\w+|винов\w+|вин[аеуы]\b|ответственност\w+\s+за|преступ\w+|геноцид\w*|террор\w*|теракт\w*|"
        r"нацист\w*|неонацист\w*|фашист\w*|карател\w*|провокаци\w+|фейк\w*|лож[ьи]\b|лгут|лжет|пропаганд\w+|"
        r"агресси\w+|оккупаци\w+|оккупир\w+|убил\w*|убийств\w+|уничтож\w+|обстрел\w*|нарушил\w*|нарушени\w+|"
        r"санкци\w+|сговор\w*|диктатор\w*|издевательств\w+|подрыв\w*)", re.I)),
    ("prediction", 0.3, re.compile(
        r"(?<!\w)(?:приведет|приведут|может\s+привести|грозит|угрожа\w+|ожида\w+|прогноз\w*|станет|распадется|"
        r"будет|будут|вступят|закончится|победит|обрушится|в\s+ближайшее\s+время)(?!\w)", re.I)),
    ("cause", 0.3, re.compile(
        r"(?<!\w)(?:из-за|причиной|по\s+вине|в\s+результате|привел[аио]?\s+к|привели\s+к|вызвал[аио]?|связывал\w*|"
        r"рассчитаны\s+на)(?!\w)", re.I)),
    ("absolute", 0.2, re.compile(r"(?<!\w)(?:никогда|ни\s+одн\w+|впервые|единственн\w+|исключительно)(?!\w)", re.I)),
    ("action", 0.25, re.compile(
        r"(?<!\w)(?:заблокировал\w*|отменил\w*|ввел[аи]?|ввели|запретил\w*|разрешил\w*|поддержал\w*|голосовал\w*|"
        r"подписал\w*|назначил\w*|начал[аи]?|объявил\w*|вернул\w*|поставля\w+|снизил\w*|выросл?[аи]?|сократил\w*|"
        r"финансир\w+|направил\w*|передал\w*|захватил\w*|атаковал\w*|потерял\w*)(?!\w)", re.I)),
)
PENALTIES: tuple[tuple[str, float, re.Pattern], ...] = (
    ("question", 0.5, re.compile(r"\?\s*[»\"“]?\s*$")),
    ("opinion", 0.25, re.compile(r"(?<!\w)(?:я\s+(?:считаю|думаю|уверен\w*|надеюсь)|мне\s+кажется|по-моему|честно\s+говоря)(?!\w)", re.I)),
)
QUOTED = 0.35  # a sentence the story attributes to a named or anonymous speaker


def score_ru(sentence: str, quoted: bool = False) -> tuple[float, tuple[str, ...]]:
    """(check-worthiness in [0, 1], the cues that fired) of one Russian sentence."""
    keep = 1.0
    fired: list[str] = []
    for name, weight, rx in CUES:
        if rx.search(sentence):
            keep *= 1.0 - weight
            fired.append(name)
    if quoted:
        keep *= 1.0 - QUOTED
        fired.append("quoted")
    score = 1.0 - keep
    for name, weight, rx in PENALTIES:
        if rx.search(sentence):
            score -= weight
            fired.append(f"-{name}")
    if not re.search(r"[а-яё]{3,}(?:л[аио]?|ли|ет|ют|ит|ат|ят|ется|ются|ится|ался|алась|алось|ались)\b", sentence.lower()):
        score -= 0.2  # no finite verb: a headline or a list
        fired.append("-verbless")
    return max(0.0, min(1.0, round(score, 4))), tuple(fired)


def score_candidates(doc, cands: list[tuple[int, int, int]]) -> list[float]:
    """Scores of a Russian document's candidate clauses (``ClaimsStage.build_inputs``)."""
    quotes = [(q.start, q.end) for q in doc.layer("quotes")] if "quotes" in doc.layers else []
    out = []
    for _, a, b in cands:
        quoted = any(min(b, qe) - max(a, qs) > 0.5 * (b - a) for qs, qe in quotes)
        out.append(score_ru(doc.text[a:b], quoted)[0])
    return out


__all__ = ["METHOD", "THRESHOLD", "score_candidates", "score_ru"]
