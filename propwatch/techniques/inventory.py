"""Persuasion technique names, spelled once.

The labels are those of the Propaganda Techniques Corpus (PTC) as used in
SemEval-2020 Task 11 (Da San Martino et al., EMNLP 2019; SemEval 2020): 14
classes, some of which merge rarer techniques (``Bandwagon,Reductio_ad_hitlerum``).
Every record, model and report uses these exact strings; the report legend
takes :data:`LABELS` and :data:`DESCRIPTIONS`. :data:`SEMEVAL2023_MAP` maps
the finer SemEval-2023 Task 3 (subtask 3) names onto them; the 23 names
(:data:`SEMEVAL2023_TECHNIQUES`, :data:`SEMEVAL2023_LABELS`) are what the
multilingual models (:mod:`propwatch.techniques.multilingual`) report.
"""

from __future__ import annotations

from types import MappingProxyType

PTC_TECHNIQUES: tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_fear-prejudice",
    "Bandwagon,Reductio_ad_hitlerum",
    "Black-and-White_Fallacy",
    "Causal_Oversimplification",
    "Doubt",
    "Exaggeration,Minimisation",
    "Flag-Waving",
    "Loaded_Language",
    "Name_Calling,Labeling",
    "Repetition",
    "Slogans",
    "Thought-terminating_Cliches",
    "Whataboutism,Straw_Men,Red_Herring",
)
"""The 14 PTC labels in the order of ``techniques.txt`` (and of model outputs)."""

LABELS = MappingProxyType(
    {
        "Appeal_to_Authority": "Appeal to authority",
        "Appeal_to_fear-prejudice": "Appeal to fear or prejudice",
        "Bandwagon,Reductio_ad_hitlerum": "Bandwagon / reductio ad Hitlerum",
        "Black-and-White_Fallacy": "Black-and-white fallacy",
        "Causal_Oversimplification": "Causal oversimplification",
        "Doubt": "Doubt",
        "Exaggeration,Minimisation": "Exaggeration or minimisation",
        "Flag-Waving": "Flag-waving",
        "Loaded_Language": "Loaded language",
        "Name_Calling,Labeling": "Name calling / labeling",
        "Repetition": "Repetition",
        "Slogans": "Slogans",
        "Thought-terminating_Cliches": "Thought-terminating cliché",
        "Whataboutism,Straw_Men,Red_Herring": "Whataboutism / straw man / red herring",
    }
)
"""Human-readable label of each technique, for the report legend."""

DESCRIPTIONS = MappingProxyType(
    {
        "Appeal_to_Authority": "Claims something is true because a valued authority or expert says so, without other evidence.",
        "Appeal_to_fear-prejudice": "Builds support by raising anxiety or panic about an alternative, or by playing on prejudice.",
        "Bandwagon,Reductio_ad_hitlerum": "Urges joining because 'everyone' does, or rejects an idea because a hated group holds it.",
        "Black-and-White_Fallacy": "Presents two options as the only ones when more exist; a false dilemma.",
        "Causal_Oversimplification": "Gives one cause or culprit for an issue that has several.",
        "Doubt": "Questions the credibility of someone or something without substance.",
        "Exaggeration,Minimisation": "Makes something larger, better or worse than it is, or downplays it.",
        "Flag-Waving": "Plays on strong national or group feeling to justify an idea or action.",
        "Loaded_Language": "Uses words and phrases with strong emotional connotations to sway the reader.",
        "Name_Calling,Labeling": "Labels the target with a word the audience fears, hates or admires.",
        "Repetition": "Repeats the same message again and again so that it is accepted.",
        "Slogans": "A brief, striking phrase that may include labeling and stereotyping.",
        "Thought-terminating_Cliches": "Short, generic phrases that discourage critical thought and discussion.",
        "Whataboutism,Straw_Men,Red_Herring": "Discredits by charging hypocrisy, distorts the opponent's position, or diverts attention.",
    }
)
"""One-line description of each technique (after the PTC annotation guidelines)."""

SEMEVAL2023_MAP = MappingProxyType(
    {
        "Appeal_to_Authority": "Appeal_to_Authority",
        "Appeal_to_Fear-Prejudice": "Appeal_to_fear-prejudice",
        "Appeal_to_Popularity": "Bandwagon,Reductio_ad_hitlerum",
        "Appeal_to_Hypocrisy": "Whataboutism,Straw_Men,Red_Herring",
        "Appeal_to_Time": None,
        "Appeal_to_Values": None,
        "Causal_Oversimplification": "Causal_Oversimplification",
        "Consequential_Oversimplification": None,
        "Conversation_Killer": "Thought-terminating_Cliches",
        "Doubt": "Doubt",
        "Exaggeration-Minimisation": "Exaggeration,Minimisation",
        "False_Dilemma-No_Choice": "Black-and-White_Fallacy",
        "Flag_Waving": "Flag-Waving",
        "Guilt_by_Association": "Bandwagon,Reductio_ad_hitlerum",
        "Loaded_Language": "Loaded_Language",
        "Name_Calling-Labeling": "Name_Calling,Labeling",
        "Obfuscation-Vagueness-Confusion": None,
        "Questioning_the_Reputation": None,
        "Red_Herring": "Whataboutism,Straw_Men,Red_Herring",
        "Repetition": "Repetition",
        "Slogans": "Slogans",
        "Straw_Man": "Whataboutism,Straw_Men,Red_Herring",
        "Whataboutism": "Whataboutism,Straw_Men,Red_Herring",
    }
)
"""SemEval-2023 Task 3 technique name -> PTC label (``None``: no PTC counterpart)."""

SEMEVAL2023_TECHNIQUES: tuple[str, ...] = tuple(SEMEVAL2023_MAP)
"""The 23 SemEval-2023 Task 3 technique names (the multilingual models' inventory)."""

SEMEVAL2023_LABELS = MappingProxyType(
    {
        "Appeal_to_Authority": "Appeal to authority",
        "Appeal_to_Fear-Prejudice": "Appeal to fear or prejudice",
        "Appeal_to_Popularity": "Appeal to popularity",
        "Appeal_to_Hypocrisy": "Appeal to hypocrisy",
        "Appeal_to_Time": "Appeal to time",
        "Appeal_to_Values": "Appeal to values",
        "Causal_Oversimplification": "Causal oversimplification",
        "Consequential_Oversimplification": "Consequential oversimplification",
        "Conversation_Killer": "Conversation killer",
        "Doubt": "Doubt",
        "Exaggeration-Minimisation": "Exaggeration or minimisation",
        "False_Dilemma-No_Choice": "False dilemma / no choice",
        "Flag_Waving": "Flag-waving",
        "Guilt_by_Association": "Guilt by association",
        "Loaded_Language": "Loaded language",
        "Name_Calling-Labeling": "Name calling / labeling",
        "Obfuscation-Vagueness-Confusion": "Obfuscation, vagueness, confusion",
        "Questioning_the_Reputation": "Questioning the reputation",
        "Red_Herring": "Red herring",
        "Repetition": "Repetition",
        "Slogans": "Slogans",
        "Straw_Man": "Straw man",
        "Whataboutism": "Whataboutism",
    }
)
"""Human-readable label of each SemEval-2023 technique."""


def ptc_name(technique: str) -> str | None:
    """The PTC (2020) label of ``technique`` (a PTC label is its own; None: no counterpart)."""
    if technique in LABELS:
        return technique
    return SEMEVAL2023_MAP.get(technique)


CATEGORIES: tuple[str, ...] = (
    "Attack on reputation",
    "Justification",
    "Simplification",
    "Distraction",
    "Call",
    "Manipulative wording",
)
"""The six technique categories of SemEval-2023 Task 3 (Piskorski et al., SemEval 2023)."""

CATEGORY_OF = MappingProxyType(
    {
        # SemEval-2023 names (Piskorski et al. 2023, Table 1)
        "Name_Calling-Labeling": "Attack on reputation",
        "Guilt_by_Association": "Attack on reputation",
        "Doubt": "Attack on reputation",
        "Appeal_to_Hypocrisy": "Attack on reputation",
        "Questioning_the_Reputation": "Attack on reputation",
        "Flag_Waving": "Justification",
        "Appeal_to_Authority": "Justification",
        "Appeal_to_Popularity": "Justification",
        "Appeal_to_Values": "Justification",
        "Appeal_to_Fear-Prejudice": "Justification",
        "Causal_Oversimplification": "Simplification",
        "False_Dilemma-No_Choice": "Simplification",
        "Consequential_Oversimplification": "Simplification",
        "Straw_Man": "Distraction",
        "Red_Herring": "Distraction",
        "Whataboutism": "Distraction",
        "Slogans": "Call",
        "Conversation_Killer": "Call",
        "Appeal_to_Time": "Call",
        "Loaded_Language": "Manipulative wording",
        "Obfuscation-Vagueness-Confusion": "Manipulative wording",
        "Exaggeration-Minimisation": "Manipulative wording",
        "Repetition": "Manipulative wording",
        # the PTC labels, through their SemEval-2023 counterparts (merged PTC classes
        # take the category of their first member)
        "Name_Calling,Labeling": "Attack on reputation",
        "Bandwagon,Reductio_ad_hitlerum": "Justification",
        "Flag-Waving": "Justification",
        "Appeal_to_fear-prejudice": "Justification",
        "Black-and-White_Fallacy": "Simplification",
        "Whataboutism,Straw_Men,Red_Herring": "Distraction",
        "Thought-terminating_Cliches": "Call",
        "Exaggeration,Minimisation": "Manipulative wording",
    }
)
"""Technique (either inventory) -> its SemEval-2023 category."""


def category(technique: str) -> str:
    """The category of ``technique`` ("Other" when the inventory does not know it)."""
    return CATEGORY_OF.get(technique, "Other")


def label(technique: str) -> str:
    """The human-readable label of ``technique``, either inventory (the name itself when unknown)."""
    return LABELS.get(technique) or SEMEVAL2023_LABELS.get(technique, technique)


__all__ = [
    "CATEGORIES", "CATEGORY_OF", "DESCRIPTIONS", "LABELS", "PTC_TECHNIQUES", "SEMEVAL2023_LABELS", "SEMEVAL2023_MAP",
    "SEMEVAL2023_TECHNIQUES", "category", "label", "ptc_name",
]
