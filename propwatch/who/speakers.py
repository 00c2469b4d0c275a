"""Who a speaker phrase names: a person, an organization, the media, a
document, an anonymous source, or nobody the text identifies."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lexicon
from .entities import Mention

ANONYMOUS = re.compile(
    r"\b(?:sources?|officials?|insiders?|diplomats?|someone|somebody|one of them|people familiar|"
    r"(?:a|an|one|two|three|several) (?:senior |high-ranking |western |local |military |security |government )*"
    r"(?:officer|official|person|employee|member|resident|witness)s?|"
    r"(?:who|which) (?:asked|spoke|requested|declined) (?:not to be|on condition)|unnamed|anonymous)\b",
    re.I,
)
MEDIA = re.compile(
    r"\b(?:media|newspaper|daily|weekly|outlet|agency|television|TV|channel|radio|station|website|"
    r"broadcaster|press|tabloid|magazine|news portal|portal|edition|journalists?|reporters?|correspondents?)\b",
    re.I,
)
DOCUMENT = re.compile(
    r"\b(?:report|statement|documents?|video|footage|article|study|letter|memo|paper|investigation|survey|"
    r"analysis|book|note|communiqu[eé]|leaflet|post|tweet|message|transcript|dossier|files?|records?|"
    r"resolution|decree|photos?|images?|recording|timeline|reports|findings|data|forecasts?|estimates?|polls?|"
    r"surveys?|projections?|figures|statistics|lawsuit|complaint|indictment|filing|ruling|evaluation|assessment|"
    r"affidavits?|e-?mails?|warrants?|cables?)\b",
    re.I,
)
ORGANIZATION = re.compile(
    r"\b(?:company|firm|commission|committee|ministry|navy|army|embassy|government|police|council|"
    r"court|parliament|office|department|authorities|administration|military|party|group|organi[sz]ation|"
    r"agency|bank|foundation|institute|union|coalition|movement|side|command|headquarters|service|"
    r"prosecutors?|prosecution|mission|consulate|delegation|secretariat|transition|team|campaign|cent(?:er|re)|"
    r"society|association|federation|bureau|board|panel|caucus|alliance|league|corporation|university|hospital|camp)\b",
    re.I,
)
PEOPLE = re.compile(
    r"\b(?:minister|president|spokes(?:man|woman|person)|commander|governor|mayor|chief|head|director|"
    r"leaders?|observers?|residents?|experts?|analysts?|witnesses|activists?|teacher|doctor|soldiers?|"
    r"fighters?|militants?|politicians?|lawmakers?|deputy|speaker|ambassador|envoy|general|colonel|"
    r"owner|shopkeeper|workers?|employees?|volunteers?|critics?|supporters?|opponents?|researchers?|scientists?|"
    r"doctors?|parents?|people|users?|voters?|fans?|guards?|dispatchers?|sailors?|pilots?|crew|teens?|"
    r"teenagers?|youths?|boys?|girls?|child|children|migrants?|immigrants?|professor|student|members?|"
    r"advocates?|relatives?|families|family|congress(?:wo)?man|senators?|legislators?|representative|judge|lawyers?|attorneys?|prosecutor|nurse|farmer|driver|student|priest|neighbou?r|mother|father|"
    r"officer|man|woman|men|women|locals?|citizens?|refugees?|victims?|survivors?|protesters?|"
    r"journalist|analyst|economist|scientist|politician|physician|historian|guardian|civilian|"
    r"губернатор|министр|президент)\b",
    re.I,
)
STRIP = " ,.–—-:;\n\"“”«»()[]\u00a0"
PREPOSITIONS = {"of", "for", "regarding", "about", "to", "with", "from", "on", "at", "by", "against", "in", "into", "over"}
INSIDERS = re.compile(
    r"(?i)(?:a|an|one|two|three|four|several|some|many)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:aides?|staffers?|insiders?|sources?|officials?|diplomats?|veterans?|operatives?)\b"
)
INTRO = re.compile(
    r"(?:In|At|On|During|After|Before|Speaking|Earlier|Later|Meanwhile|However|Also|But|And|Separately)\b[^,]{0,60},\s*"
)
NAME_LIKE = re.compile(r"[A-Z][^\W\d_A-Z][\w’'-]*(?:\s+[A-Z][^\W\d_A-Z][\w’'-]*)?")
HONORIFIC_WORDS = re.compile(
    r"^(?:(?:Minister|Ministry|Health|Foreign|Defen[cs]e|Interior|Deputy|President|Prime|Secretary|Spokesman|"
    r"Spokeswoman|Rep\.|Sen\.|Gov\.|Gen\.|Col\.|Dr\.|Mr\.|Mrs\.|Ms\.|Prof\.|Democratic|Republican|"
    r"Chairman|Director|Chief|Judge|Mayor|Governor|Senator|Congressman|Congresswoman|of)\s+)+"
)
MEDIA_NAME = re.compile(
    r"\b(?:News|Times|Post|Herald|Journal|Gazette|Tribune|Daily|Telegraph|Guardian|Mail|Star|Chronicle|Observer|"
    r"Enquirer|Dispatch|Inquirer|Courier|Monitor|Review|Express|Independent|Insider|Wire|Agency|Radio|TV|"
    r"Television|Channel|Broadcasting|Press|Magazine|Weekly|Standard|Sun|Mirror|Examiner|Bulletin|Register|"
    r"Sentinel|Tribune|Reporter|Media)\b"
)
FEMALE = re.compile(r"(?i)\b(?:woman|women|wife|mother|daughter|girl|sister|lady|widow|spokeswoman|congresswoman|"
                    r"actress|grandmother|aunt|niece|queen|princess|mrs\.?|ms\.?|she)\b")
MALE = re.compile(r"(?i)\b(?:man|men|husband|father|son|boy|brother|gentleman|widower|spokesman|congressman|"
                  r"grandfather|uncle|nephew|king|prince|mr\.?|he)\b")
ONE_OF_THEM = re.compile(r"(?i)(?:one|two|three|some|several|many|a few|most|none) of (?:the|them|those)\b")
BARE_OFFICIALDOM = re.compile(r"(?i)(?:the\s+)?(?:authorities|officials|sources|insiders|some|others|many|some people)$")
BARE_NAME = re.compile(r"(?:[A-Z][\w’'.-]*['’]s\s+)?(?P<name>[A-Z][a-z’'-]+(?:\s+[A-Z][a-z’'-]+){1,2})")
AGENT_NOUN = re.compile(r"(?i)(?:the|a|an)\s+(?:[\w-]+\s+){0,2}[a-z-]{3,}(?:er|or|ist|ant)s?")
PRONOUNS = {"he": "m", "she": "f", "they": "p", "him": "m", "her": "f", "it": "n", "we": "p", "i": "s"}
# unnamed people: "a Justice Department spokesman", "one distraught witness", "another former FBI official"
_ROLE = (r"spokes(?:man|men|woman|women|person|people)|officials?|officers?|aides?|staffers?|employees?|members?|"
         r"residents?|(?:eye)?witness(?:es)?|sources?|diplomats?|insiders?|persons?|people|activists?|protesters?|"
         r"lawmakers?|legislators?|investigators?|analysts?|experts?|doctors?|medics?|nurses?|workers?|soldiers?|"
         r"fighters?|rebels?|militants?|observers?|organi[sz]ers?|veterans?|operatives?|villagers?|locals?|"
         r"survivors?|rescuers?|monitors?|relatives?|neighbou?rs?|students?|teachers?|physicians?|scientists?|"
         r"researchers?|participants?|attendees?|commanders?|agents?|inspectors?|specialists?|consultants?|advisers?|"
         r"advisors?|negotiators?|prosecutors?|lawyers?|attorneys?|critics?|opponents?|supporters?|citizens?|refugees?|"
         r"migrants?|eyewitness(?:es)?")
UNNAMED_ONE = re.compile(
    rf"(?i)^(?:a|an|one|two|three|four|five|several|some|many|other|another|various|multiple|numerous)\s+"
    rf"(?:[\w.’'-]+\s+){{0,5}}?(?:{_ROLE})\b"
)
# unnamed groups: "activists", "Syrian aid groups and activists", "Turkish officials", "Las Vegas authorities",
# "NBC News’s sources", "analysts familiar with ...", "rebels and opposition officials"
ANON_GROUP = re.compile(
    r"(?i)^(?:the\s+)?(?:[\w.’'-]+\s+){0,6}?(?:activists|(?:eye)?witnesses|residents|rebels|protesters|diplomats|"
    r"officials|sources|insiders|analysts|experts|doctors|medics|observers|organi[sz]ers|villagers|locals|survivors|"
    r"investigators|authorities|monitors|rescuers|aid workers|health workers|relatives|neighbou?rs|eyewitnesses|"
    r"opposition figures|opposition members|lawmakers|legislators|people familiar|those familiar|"
    r"security forces|medical sources|military sources|aides|staffers|insiders)"
    r"(?:\s+(?:familiar|close|aware|briefed|knowledgeable|who|with|in|at|from|on|of|inside|within|involved|speaking|"
    r"there|here)\b.*)?$"
)
# an unnamed person named by a relation: "his lawyer", "her spokesman"
DISPATCH = re.compile(r"^(?:[Tt]he\s+)?[Dd]ispatch(?:ers)?$")  # not "the Columbus Dispatch"
POSSESSIVE_ROLE = re.compile(rf"(?i)^(?:his|her|their|its)\s+(?:[\w.’'-]+\s+){{0,3}}?(?:{_ROLE})$")
# "Trump Jr.": a generational suffix makes another person than the name the alias table gives
NAME_SUFFIX = re.compile(r"\s+(?:Jr|Sr)\b\.?|\s+(?:II|III|IV)\b")
IDENTIFIED_AS = re.compile(
    r"\b(?:identified|known|named|called)\s+(?:only\s+|just\s+)?(?:as\s+)?(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2})\W*$"
)
BARE_POLICE = re.compile(r"(?i)^(?:the\s+)?(?:local\s+)?police(?:\s+officers?)?$")
# "the sheriff", "the mayor", "the FBI director": the person the story introduced with that title
TITLED = re.compile(
    r"(?i)^the\s+(?:[\w.-]+\s+){0,2}?(?P<title>sheriff|undersheriff|mayor|governor|president|senator|minister|"
    r"secretary|spokes(?:man|woman|person)|chief|director|ambassador|chair(?:man|woman)?|general|commander|judge|"
    r"prosecutor|congress(?:wo)?man|premier|chancellor|king|queen|prince|pope|envoy|first lady|prime minister|"
    r"attorney general|lieutenant governor|coach|ceo|founder|leader|"
    r"(?:ex-|former\s+)?(?:sailor|soldier|marine|professor|lecturer|lawyer|teacher|doctor|officer|singer|actor|actress|"
    r"activist|journalist|writer|author|student|pastor|priest|rabbi|imam|comedian|host|anchor|reporter|businessman|"
    r"businesswoman|billionaire|candidate|nominee|suspect|lawmaker|economist|analyst|historian|scientist|researcher|"
    r"blogger|commentator|filmmaker|rapper|player|quarterback|footballer|striker|pilot|athlete|entrepreneur))$"
)
LEAD_CONJ = re.compile(r"(?:And|But|Yet|So|Also|Then|Still|Now|Meanwhile|However|Instead|Later|Earlier)\s+(?=[A-Z])")
RELATIVE = re.compile(r",?\s+(?:who|which|whose)\s")
# a name that is a modifier, not the speaker: "the Trump transition", "Clinton's campaign", "the Paddock family"
NAME_MODIFIER = re.compile(
    r"(?:['’]s?\b|\s+(?:transition|campaign|administration|team|family|camp|aides?|government|foundation|"
    r"organi[sz]ation|staff|spokes(?:man|woman|person)|lawyers?|attorneys?|office|camp|supporters|allies|"
    r"White House|presidency|regime|institute|center|centre)\b)"
)


@dataclass(frozen=True)
class SpeakerGuess:
    name: str | None
    entity_id: str | None
    kind: str  # person | organization | media | document | anonymous | unknown
    start: int | None = None
    end: int | None = None


class SpeakerResolver:
    """Turns speaker phrases into speakers, remembering earlier ones in the story."""

    def __init__(self, text: str, mentions: list[Mention], sdoc=None, table=None):
        self.text = text
        self.mentions = mentions
        self.history: list[tuple[int, SpeakerGuess]] = []  # (position, speaker) of attributed quotes
        self.table = table
        self.sdoc = sdoc
        self._described: list[tuple[int, SpeakerGuess]] | None = None
        # where sentence subjects are: a pronoun points back to a subject, not to any name
        self.subjects = None
        if sdoc is not None:
            self.subjects = {t.idx for t in sdoc if t.dep_ in ("nsubj", "nsubjpass")
                             or (t.dep_ in ("compound", "appos", "flat") and t.head.dep_ in ("nsubj", "nsubjpass"))}

    def remember(self, pos: int, speaker: SpeakerGuess) -> None:
        if speaker.kind != "unknown":
            self.history.append((pos, speaker))

    def resolve(self, start: int, end: int) -> SpeakerGuess:
        """The speaker a phrase of ``text[start:end]`` names."""
        text = self.text
        nl = text.rfind("\n", start, end)
        if nl >= 0:
            start = nl + 1  # a speaker phrase never crosses a line
        while start < end and text[start] in STRIP:
            start += 1
        while end > start and text[end - 1] in STRIP:
            end -= 1
        intro = INTRO.match(text, start, end)
        if intro:
            start = intro.end()
        lead = LEAD_CONJ.match(text, start, end)
        if lead:
            start = lead.end()
        rel = RELATIVE.search(text, start, end)
        if rel and rel.start() > start:
            end = rel.start()  # "Michael Leiter, who directed ...": the relative clause is not the speaker
            while end > start and text[end - 1] in STRIP:
                end -= 1
        phrase = text[start:end]
        if not phrase:
            return SpeakerGuess(None, None, "unknown")
        inside = [m for m in self.mentions if m.start < end and m.end > start]
        people = [m for m in inside if m.label == "PERSON" and _heads_its_part(text, start, m.start)
                  and not MEDIA_NAME.search(m.name) and m.name[:1].isupper()
                  and not NAME_MODIFIER.match(text, m.end, min(end, m.end + 30))]
        if people:
            return self._person_guess(people[0])
        low = phrase.casefold()
        if low in PRONOUNS:
            return self._pronoun(start, end, low)
        named = self._complete_name(phrase, inside)
        if named is not None:
            return SpeakerGuess(named[0], named[1], "person", start, end)
        bare = BARE_NAME.fullmatch(phrase)
        if bare and not inside and not (ORGANIZATION.search(phrase) or MEDIA.search(phrase) or DOCUMENT.search(phrase)):
            from .aliases import load_table  # a name the tagger missed: "CRIF's Francis Kalifat wrote"

            name = bare.group("name")
            return SpeakerGuess(name, (self.table or load_table()).entity_id(name, "PERSON"), "person", start, end)
        called = IDENTIFIED_AS.search(phrase)
        if called:  # "a witness, only identified as Christine"
            name = called.group("name")
            return SpeakerGuess(name, None, "person", start + called.start("name"), start + called.end("name"))
        if (ANONYMOUS.search(phrase) or INSIDERS.match(phrase) or POSSESSIVE_ROLE.match(phrase) or DISPATCH.match(phrase) or BARE_OFFICIALDOM.match(phrase)
                or ONE_OF_THEM.match(phrase) or UNNAMED_ONE.match(phrase) or ANON_GROUP.match(phrase)
                or BARE_POLICE.match(phrase)):
            return self._anonymous(start, end, phrase)
        titled = TITLED.match(phrase)
        if titled:
            named_before = self._titled_person(start, re.sub(r"(?i)^(?:ex-|former\s+)", "", titled.group("title")))
            if named_before is not None:
                return SpeakerGuess(named_before.name, named_before.entity_id, "person", start, end)
        head = _head_phrase(phrase)
        media = [m for m in inside if m.kind == "media" or (m.label in ("ORG", "PERSON", "GPE") and MEDIA_NAME.search(m.name))]
        if DOCUMENT.search(head) and not any(m.start < start + len(head) for m in media):
            media = []  # "records obtained by the Enquirer": the records speak
        if media:
            m = media[0]
            return SpeakerGuess(m.name, m.entity_id, "media", m.start, m.end)
        head = _head_phrase(phrase)
        hits = [(m.start(), kind) for kind, rx in (("media", MEDIA), ("document", DOCUMENT)) if (m := rx.search(head))]
        if hits:
            return SpeakerGuess(phrase, None, min(hits)[1], start, end)
        orgs = [m for m in inside if m.label in ("ORG", "GPE", "NORP", "FAC", "LOC")]
        head_orgs = [m for m in orgs if m.start < start + len(head)]
        noun = ORGANIZATION.search(head)
        if noun:
            covering = [m for m in head_orgs if m.label == "ORG" and m.start <= start + noun.start() < m.end]
            if covering:
                m = covering[0]
                return SpeakerGuess(m.name, m.entity_id, "organization", m.start, m.end)
            return SpeakerGuess(phrase, None, "organization", start, end)
        if PEOPLE.search(head):
            return SpeakerGuess(phrase, None, "person", start, end)
        if head_orgs or orgs:
            m = (head_orgs or orgs)[0]
            return SpeakerGuess(m.name, m.entity_id, "organization", m.start, m.end)
        if AGENT_NOUN.fullmatch(head.strip()):  # "the ex-sailor", "the lawmaker"
            return SpeakerGuess(phrase, None, "person", start, end)
        return SpeakerGuess(phrase, None, "unknown", start, end)

    def _person_guess(self, m: Mention) -> SpeakerGuess:
        """A PERSON mention as a speaker; "Trump Jr." keeps its suffix (the alias table's Trump is another man)."""
        suffix = NAME_SUFFIX.match(self.text, m.end)
        if suffix and suffix.group().strip(" .") not in m.name:
            from .aliases import load_table

            name = re.sub(r"['’]s$", "", self.text[m.start:m.end]) + suffix.group()
            return SpeakerGuess(name, (self.table or load_table()).entity_id(name, "PERSON"), "person", m.start,
                                suffix.end())
        return SpeakerGuess(m.name, m.entity_id, "person", m.start, m.end)

    def _complete_name(self, phrase: str, inside: list[Mention]) -> tuple[str, str] | None:
        """A surname the tagger missed or mislabelled ("Lemon said") -> the full name the story uses."""
        if not NAME_LIKE.fullmatch(phrase) or any(m.source == "alias" for m in inside):
            return None
        if any(rx.search(phrase) for rx in (ORGANIZATION, PEOPLE, MEDIA, DOCUMENT)):
            return None  # "Police said" is not a surname
        place_like = any(m.label in ("GPE", "NORP", "LOC") for m in inside)
        if any(m.label == "ORG" and m.end - m.start > len(phrase) for m in inside):
            return None  # part of an organization's name
        from .aliases import slug_words

        folded = slug_words(phrase)
        for m in self.mentions:  # "Rosselló" is the "Ricardo Rossello" the story named
            if m.label == "PERSON" and len(m.name.split()) >= 2 and slug_words(m.name)[-len(folded):] == folded:
                return m.name, m.entity_id
        best = ""
        for m in re.finditer(r"((?:[A-Z][\w’'.-]+\s+){1,3})" + re.escape(phrase) + r"\b", self.text):
            words = [w for w in m.group(1).split() if not re.search(r"['’]s$", w)]
            full = " ".join(words + [phrase])
            titled = HONORIFIC_WORDS.match(full) or re.search(
                r"(?:minister|president|spokes\w+|director|chief|head|leader|secretary|senator|rep\.)\s+(?:of\s+[\w ]+?\s+)?$",
                self.text[max(0, m.start() - 40):m.start()], re.I)
            full = HONORIFIC_WORDS.sub("", full)
            if place_like and not titled:
                continue  # "Damascus said" stays the state unless a title marks a person
            if len(full.split()) >= 2 and len(full) > len(best):
                best = full
        if not best:
            return None
        from .aliases import load_table

        table = self.table or load_table()
        return best, table.entity_id(best, "PERSON")

    def _titled_person(self, start: int, title: str) -> Mention | None:
        """The last person named before ``start`` with ``title`` beside the name ("Sheriff Joseph Lombardo",
        "Carolyn Goodman, the mayor")."""
        word = r"\b" + re.escape(title).replace(r"\ ", r"\s+") + r"\b"
        rx = re.compile(word, re.I)
        best = None
        for m in self.mentions:
            if m.label != "PERSON" or m.end > start or not m.name[:1].isupper():
                continue
            lo = max(self.text.rfind("\n", 0, m.start) + 1, m.start - 60)
            hi = self.text.find("\n", m.end)
            hi = min(m.end + 60, len(self.text) if hi < 0 else hi)
            if rx.search(self.text, lo, m.start) or re.match(r"\s*,\s*(?:the\s+|a\s+)?(?:[\w.-]+\s+){0,3}" + word,
                                                            self.text[m.end:hi], re.I):
                if best is None or m.start > best.start:
                    best = m
        return best

    def set_quoted(self, spans) -> None:
        """The spans of quoted speech: names inside a quote are not what a pronoun speaker points to."""
        self.quoted = sorted(spans)

    def _in_quote(self, pos: int) -> bool:
        return any(s <= pos < e for s, e in getattr(self, "quoted", ()))

    def _person_like(self, m: Mention) -> bool:
        """A PERSON mention that can be a pronoun's antecedent: capitalized, and a single word only when the
        story also names it in full, it is a first name, or a title or honorific stands before it ("Brexit" is not)."""
        if not m.name[:1].isupper():
            return False
        if len(m.name.split()) >= 2 or m.source in ("alias", "surname", "title", "definition"):
            return True
        word = m.name.casefold()
        if word in lexicon.words("female_names") or word in lexicon.words("male_names"):
            return True
        if re.search(r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Prof)\.?\s*$|\b(?:[A-Z][a-z]+)\s+$", self.text[max(0, m.start - 20):m.start]):
            return True
        if self.subjects is not None and any(m.start <= i < m.end for i in self.subjects):
            return True  # "Lombardo also asked ...", "Her neighbour, Pavel, was ...": a subject
        return any(o.label == "PERSON" and o is not m and len(o.name.split()) >= 2 and word in o.name.casefold().split()
                   for o in self.mentions)

    def _pronoun(self, start: int, end: int, low: str) -> SpeakerGuess:
        """The nearest earlier person (he, she) or speaker (they, it) the text names."""
        want_person = low in ("he", "she", "him", "her", "i")
        candidates: list[tuple[int, SpeakerGuess]] = []
        singular: list[tuple[int, SpeakerGuess]] = []
        for pos, sp in self.history:
            at = sp.start if sp.start is not None else pos
            if low == "it" and sp.kind in ("person", "anonymous"):
                continue
            if low == "they" and not (sp.kind in ("organization", "media") or _plural(sp)):
                singular.append((at, sp))
                continue  # "they" is a group before it is one person
            if at < start and start - at <= 1500 and (sp.kind in ("person", "anonymous") or not want_person):
                candidates.append((at, sp))
        subjects = self.subjects
        if low == "it":
            for m in self.mentions:
                if m.end <= start and m.label == "ORG" and start - m.start <= 1500 and not self._in_quote(m.start) and (
                        subjects is None or any(m.start <= i < m.end for i in subjects)):
                    candidates.append((m.start, SpeakerGuess(m.name, m.entity_id, "media" if m.kind == "media" else "organization",
                                                             m.start, m.end)))
        if low == "they":
            candidates += [c for c in self.described_subjects
                           if c[0] < start and start - c[0] <= 1500 and _plural(c[1]) and not self._in_quote(c[0])]
            groups = [c for c in candidates if c[1].kind in ("anonymous", "person")]
            if groups and max(g[0] for g in groups) > start - 800:
                candidates = groups  # "activists ... They said": the group, not an organization named since
            elif singular and (not candidates or max(singular)[0] > max(candidates, key=lambda c: c[0])[0]):
                candidates = [max(singular, key=lambda c: c[0])]  # a singular "they": the last speaker
        if want_person:
            sentence_start = max(self.text.rfind(". ", 0, start), self.text.rfind("\n", 0, start)) + 1
            for m in self.mentions:
                same_sentence = sentence_start <= m.start < start
                if subjects is not None and not same_sentence and not any(m.start <= i < m.end for i in subjects):
                    continue
                if self._in_quote(m.start) or not self._person_like(m):
                    continue
                if m.end <= start and m.label == "PERSON" and start - m.start <= 1500:
                    candidates.append((m.start, self._person_guess(m)))
            candidates += [c for c in self.described_subjects
                           if c[0] < start and start - c[0] <= 1500 and not _plural(c[1]) and not self._in_quote(c[0])]
            candidates = [c for c in candidates if c[1].kind in ("person", "anonymous") and not _plural(c[1])]
        if low in ("she", "her"):
            candidates = [c for c in candidates if gender_of(c[1].name) != "m"]
        elif low in ("he", "him"):
            candidates = [c for c in candidates if gender_of(c[1].name) != "f"]
        if not candidates:
            return SpeakerGuess(self.text[start:end], None, "unknown", start, end)
        _, sp = max(candidates, key=lambda c: c[0])
        return SpeakerGuess(sp.name, sp.entity_id, sp.kind, start, end)

    @property
    def described_subjects(self) -> list[tuple[int, SpeakerGuess]]:
        """Subjects that describe a person without naming one ("the woman", "one of the
        dispatchers"): antecedents for he and she."""
        if self._described is None:
            self._described = []
            for t in self.sdoc or ():
                if t.dep_ not in ("nsubj", "nsubjpass") or t.pos_ not in ("NOUN", "PRON", "NUM"):
                    continue
                s0, s1 = t.left_edge.idx, t.right_edge.idx + len(t.right_edge)
                if t.pos_ == "PRON" or s1 - s0 > 80 or "\n" in self.text[s0:s1]:
                    continue
                phrase = self.text[s0:s1]
                if any(m.start < s1 and m.end > s0 and m.label == "PERSON" for m in self.mentions):
                    continue  # a named person is a candidate already
                called = IDENTIFIED_AS.search(phrase)
                if called:  # "A witness, only identified as Christine, describes ..."
                    self._described.append((s0, SpeakerGuess(called.group("name"), None, "person", s0, s1)))
                elif ONE_OF_THEM.match(phrase) or INSIDERS.match(phrase) or UNNAMED_ONE.match(phrase) or ANON_GROUP.match(phrase):
                    self._described.append((s0, SpeakerGuess(phrase, None, "anonymous", s0, s1)))
                elif PEOPLE.search(_head_phrase(phrase)) and re.match(r"(?i)(?:the|a|an|this|that)\s", phrase):
                    self._described.append((s0, SpeakerGuess(phrase, None, "person", s0, s1)))
            # "one of the dispatchers is heard telling ...": the parser does not always make it a subject
            seen = {c[0] for c in self._described}
            for m in re.finditer(r"(?i)\bone of (?:the|those) [a-z-]+s\b", self.text):
                if m.start() not in seen:
                    self._described.append((m.start(), SpeakerGuess(m.group(), None, "anonymous", m.start(), m.end())))
            self._described.sort(key=lambda c: c[0])
        return self._described

    def _anonymous(self, start: int, end: int, phrase: str) -> SpeakerGuess:
        # "the source" refers back to the source the story introduced
        if re.match(r"(?i)the (?:same )?(source|official|insider|diplomat)s?$", phrase):
            noun = re.match(r"(?i)the (?:same )?(\w+?)s?$", phrase).group(1).casefold()
            for pos, sp in sorted(self.history, key=lambda h: h[0], reverse=True):
                if sp.kind == "anonymous" and sp.name and noun in sp.name.casefold() and pos <= start:
                    return SpeakerGuess(sp.name, None, "anonymous", start, end)
        return SpeakerGuess(phrase, None, "anonymous", start, end)


def gender_of(name: str | None) -> str | None:
    """ "f", "m" or None: from the words of a speaker's name ("the woman", "Mrs. Smith") or its first name
    (data/words/female_names.txt, male_names.txt)."""
    if not name:
        return None
    if FEMALE.search(name) and not MALE.search(name):
        return "f"
    if MALE.search(name) and not FEMALE.search(name):
        return "m"
    words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", HONORIFIC_WORDS.sub("", name.strip()))]
    people = [w for w in words if w[:1].isupper()]
    if not people:
        return None
    first = people[0].casefold()
    if first in lexicon.words("female_names"):
        return "f"
    if first in lexicon.words("male_names"):
        return "m"
    return None


def _plural(sp: SpeakerGuess) -> bool:
    """A speaker that is a group of people: "activists", "two officials", "aid groups and activists"."""
    name = (sp.name or "").strip()
    if not name or sp.kind not in ("anonymous", "person"):
        return False
    if ANON_GROUP.match(name) or BARE_POLICE.match(name):
        return True
    head = _head_phrase(name).strip()
    if ONE_OF_THEM.match(name) or re.match(r"(?i)(?:a|an|one|another)\s", head):
        return False
    if re.search(r"(?i)\b(?:two|three|four|five|several|some|many|multiple|both|various)\s", head) or " and " in head:
        return True
    last = head.split()[-1] if head.split() else ""
    return sp.entity_id is None and last[:1].islower() and (
        last.endswith("s") and not last.endswith(("ss", "us", "is")) or last.casefold() in ("people", "police", "men", "women"))


def _heads_its_part(text: str, start: int, at: int) -> bool:
    """A name heads its phrase unless a preposition governs it ("a timeline regarding Campos")."""
    before = text[start:at].split()
    return not before or before[-1].casefold().strip(",") not in PREPOSITIONS


def _head_phrase(phrase: str) -> str:
    """The phrase up to its first preposition or comma (its head noun phrase)."""
    return re.split(r",|\b(?:of|in|at|from|for|with|close to|near|on|by|seen|published|obtained|regarding|about)\b",
                    phrase, maxsplit=1)[0] or phrase
