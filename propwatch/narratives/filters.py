"""Which claims the narrative linker links: not every sentence is a claim a narrative is made of.

A narrative is a contested proposition carried by several stories. Many
sentences that the claims stage keeps are not such propositions, and they
are what turns narratives into topics on a real corpus: two reports of any
two incidents share "at least 12 people were killed", two stories of an
outlet share its boilerplate ("the war began in March 2011"), and two
explainers share "pneumonic plague is spread by coughing". Such claims stay
in the store, each a narrative of its own, but they are never linked and
never link candidates.

:func:`skip_reason` says why a claim is left out (``None``: it is linked):

- ``byline``: credits and bylines ("By Jane Doe", "Reporting by ...");
- ``casualty tally``: a count of the dead, wounded or infected of one event
  with no one blamed ("The plague has claimed 57 lives", "the death toll
  could rise", "no casualties were reported");
- ``definition``: what a thing is ("X is a terrorist organization
  established in 2006", "the bacterium is spread by fleas");
- ``question``: a sentence that asks rather than asserts ("Who should replace
  her?", a poll);
- ``background``: the standing context of a conflict ("Syria has been mired
  in civil war since 2011");
- ``unnamed subject``: a claim about someone it does not name ("He remains in
  custody pending removal", "She was released on bail"): two of them read
  alike whoever they are about. Kept when the pronoun was resolved to a person.

Repetition (the same sentence in two stories of one outlet, or across the
corpus for months) needs the corpus and is decided by the linker
(``boilerplate_days``).
"""

from __future__ import annotations

import re

_NUM = r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|scores|hundreds|thousands|several|many)"
_VICTIMS = (r"(?:people|persons|civilians|soldiers|troops|children|women|men|militants|fighters|policemen|police officers|"
            r"officers|residents|workers|protesters|passengers|lives|others|victims|cases|patients|members|servicemen|"
            r"demonstrators|students|pilgrims|migrants|refugees|journalists|individuals|Palestinians|Israelis|Syrians|"
            r"Iraqis|Afghans|Kurds|Yemenis)")
_HURT = r"(?:killed|dead|died|dying|wounded|injured|hurt|infected|missing|slain|murdered|lost their lives|hospitali[sz]ed|sickened)"

_CASUALTY = [
    # "At least 12 people were killed", "Five soldiers died", "57 dead and 600 infected"
    re.compile(r"^\W*(?:(?:at least|more than|over|nearly|almost|some|about|around|up to|a total of|so far,?|now,?|"
               r"in all,?|overall,?|another|an estimated)\s+)*" + _NUM + r"\s+(?:\w+\s+){0,3}?" + _VICTIMS
               + r"?\s*(?:\w+\s+){0,3}?(?:were|have been|had been|are|was|has been)?\s*" + _HURT + r"\b", re.I),
    # "The outbreak has killed 124 people", "the blast left 5 dead", "the plague has claimed 57 lives"
    re.compile(r"^\W*(?:so far,?\s+|now,?\s+)?(?:the|an?|this|that|its|their|sunday's|monday's|tuesday's|wednesday's|"
               r"thursday's|friday's|saturday's)?\s*(?:[\w'-]+\s+){0,5}?(?:outbreak|attacks?|blasts?|explosions?|bombings?|"
               r"shootings?|strikes?|air ?strikes?|raids?|clash(?:es)?|fighting|plague|epidemic|virus|disease|fever|illness|flu|cholera|quake|"
               r"earthquake|fires?|crash|storm|hurricane|floods?|violence|shelling|assault|ambush|massacre|disaster|war|it)"
               r"\s+(?:[\w'-]+\s+){0,5}?(?:has |have |had )?(?:killed|claimed(?: the lives of)?|left|wounded|injured|infected)\s+"
               r"(?:at least |more than |over |nearly |almost |some |about |around |an estimated )?" + _NUM
               + r"\s+(?:(?:\w+\s+){0,2}?(?:" + _VICTIMS[3:-1] + r"|dead|wounded|injured)\b|and (?:infected|injured|wounded|sickened)\b)", re.I),
    re.compile(r"^\W*(?:so far,?\s+|now,?\s+)?there (?:are|were|have been|has been) (?:now )?(?:\w+\s+){0,2}?" + _NUM
               + r"\s+(?:\w+\s+){0,2}?(?:cases|deaths|dead|victims|infections|casualties|fatalities)\b", re.I),
    re.compile(r"\b(?:death|casualty) toll\b|\bno (?:casualties|injuries|deaths) (?:were|have been|was) reported\b|"
               r"\bthe (?:number|toll) of (?:dead|deaths|victims|casualties|injured|wounded|cases)\b", re.I),
]
# a tally that says who did it or who is to blame is an attribution, kept
_BLAME = re.compile(
    r"\b(?:accus\w*|blam\w*|responsib\w*|deliberate\w*|massacre[ds]? by|carried out by|perpetrat\w*|war crimes?|"
    r"genocide|cover(?:ed|ing)?[- ]up|lie[ds]?|lying|false|fake|hoax|staged|conspiracy|because of|due to|caused by)\b", re.I)
_ACCUSATION = re.compile(r"\b(?:accus\w*|blam\w*|responsib\w*|lie[ds]?|lying|false|fake|hoax|staged|conspiracy)\b", re.I)

_BYLINE = re.compile(
    r"^\W*(?:by|written by|reporting by|reported by|edited by|editing by|additional reporting by|compiled by|"
    r"posted by|photo(?:graph)?s? by|story by)\s+[A-Z]|\bcontributed (?:to )?(?:this|the) report\b|"
    r"^\W*(?:photo|image|video|source|credit)s?\s*:|\ball rights reserved\b|^\W*©|\bthis article (?:was )?(?:tagged|"
    r"originally (?:published|appeared))\b|\b(?:posted|republished|reprinted|reproduced) with (?:the )?permission\b|\b(?:click here|subscribe to|sign up for|follow us on)\b", re.I)

_DEFINITION = [
    # "X is/are a(n) ... organization / disease / ..." at the head of a short sentence
    re.compile(r"^\W*(?:the\s+)?[^,;:]{1,70}?\b(?:is|are|was)\s+(?:an?|the)\s+(?:\w+[\s-]+){0,5}?"
               r"(?:organi[sz]ation|group|movement|militia|coalition|alliance|party|agency|disease|infection|"
               r"bacteri\w+|virus|pathogen|form|term|acronym|abbreviation|region|province|district|town|city|"
               r"village|country|company|network|newspaper|channel|outlet|website)\b", re.I),
    re.compile(r"^\W*[^,;:]{1,60}?\s+[–—-]\s+(?:an?|the)\s+(?:[\w-]+\s+){0,4}?(?:organi[sz]ation|group|movement|"
               r"militia|coalition|party|agency|disease|network)\b", re.I),
    re.compile(r"\b(?:is|are)\s+(?:typically |usually |often |commonly |mainly |primarily )?"
               r"(?:caused|spread|transmitted|carried|characteri[sz]ed|defined|known)\s+(?:by|through|via|as)\b", re.I),
    # "X, also known as Y, ..." at the head of the sentence (an aside later in it defines nothing:
    # "... a report implicating the National Intelligence Organization, also known as the MIT, in ...")
    re.compile(r"^\W*[^,;:]{1,60}?,?\s+(?:also known as|an acronym for|short for|stands for)\b|\b(?:founded|established|formed|"
               r"created) (?:on|in) (?:\d|\w+ \d)", re.I),
    re.compile(r"\b(?:recogni[sz]ed|designated|banned|listed|outlawed) as (?:a )?terrorist (?:organi[sz]ation|group)\b|"
               r"\bterrorist (?:organi[sz]ation|group) banned in\b", re.I),
]

_BACKGROUND = re.compile(
    r"\b(?:has|have) been (?:mired|embroiled|locked|engulfed|gripped) in\b|"
    r"\b(?:war|conflict|crisis|insurgency|uprising|fighting)\s+(?:\w+\s+){0,3}?(?:began|broke out|erupted|started)\s+in\b|"
    r"\bsince (?:the )?(?:start|beginning|outbreak|onset) of the (?:war|conflict|crisis|uprising|insurgency)\b", re.I)


# a claim whose subject is a person the sentence does not name ("He remains in custody pending
# removal"): two such claims read alike whoever they are about
_PRONOUN_SUBJECT = re.compile(r"^\W*(?:he|she|they|his|her|their|him|them)\b", re.I)
_PERSON = ("per:", "person:")


def skip_reason(text: str, entities: tuple[str, ...] | None = None) -> str | None:
    """Why a claim is left out of narrative linking (see the module docstring), or None.

    ``entities``: the claim's actors (canonical ids), when known: a claim that opens with a
    personal pronoun is linked only if it names a person (the pronoun resolved)."""
    t = " ".join(text.split())
    if not t:
        return "empty"
    if entities is not None and _PRONOUN_SUBJECT.match(t) and not any(e.startswith(_PERSON) for e in entities):
        return "unnamed subject"
    first_line = text.strip().split("\n", 1)[0].strip()
    if _BYLINE.search(t):
        return "byline"
    if t.rstrip(" \"'”’»)").endswith("?") or first_line.rstrip(" \"'”’»)").endswith("?"):
        return "question"
    n_words = len(t.split())
    if n_words <= 40 and not _BLAME.search(t) and any(p.search(t) for p in _CASUALTY):
        return "casualty tally"
    if n_words <= 35 and any(p.search(t) for p in _DEFINITION) and not _ACCUSATION.search(t):
        return "definition"
    if _BACKGROUND.search(t) and n_words <= 40:
        return "background"
    return None


_NORM = re.compile(r"[\W_]+", re.UNICODE)


def text_key(text: str) -> str:
    """The form under which two sentences count as one repeated sentence (case, spacing and
    punctuation ignored)."""
    return _NORM.sub(" ", text.casefold()).strip()


__all__ = ["skip_reason", "text_key"]
