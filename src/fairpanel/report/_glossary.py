"""The report's glossary, and which of its terms a report with given sections uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["GLOSSARY", "GLOSSARY_SECTIONS", "GLOSSARY_SHORT", "GLOSSARY_WORDS", "glossary_for"]

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("submission", "A proposal or an application; its author is the applicant."),
    (
        "rubric",
        "The published list of criteria, each with described levels, that reviewers "
        "score against; the weighted mean of the criterion scores is a review's total.",
    ),
    (
        "calibrated score",
        "A submission's estimated merit on one scale for all submissions, after "
        "allowing for who reviewed it: for grades, how lenient or strict its particular "
        "reviewers were, estimated from all their other reviews.",
    ),
    (
        "expected rank",
        "The average rank a submission gets over all rankings consistent with "
        "the reviews; rank 1 is the best.",
    ),
    (
        "rank interval",
        "The range of ranks a submission could plausibly have (50% and 90% "
        "credible intervals). When it crosses the funding line, the reviews cannot honestly "
        "say whether the submission is above or below it.",
    ),
    (
        "lottery zone",
        "Submissions whose rank interval crosses the funding line; the "
        "remaining places are drawn by lot among them.",
    ),
    ("selection rate", "Selected divided by applicants, for one group."),
    (
        "adverse-impact ratio",
        "A group's selection rate divided by the reference group's. "
        "Below 0.8 fails the US EEOC four-fifths rule of thumb.",
    ),
    (
        "confidence interval",
        "The range of values compatible with the data at the stated "
        "level (95% unless said otherwise).",
    ),
    (
        "suppressed",
        "Withheld because the cell counts fewer people than the minimum cell size, "
        "or because it would let such a cell be recomputed.",
    ),
    ("overfit", "A model that learned noise: its error on new data from the same source goes up."),
    (
        "overspecialized",
        "A model that learned the quirks of its training source: its error on "
        "that source goes down, but on real, shifted data it goes up.",
    ),
)


#: The sections whose text uses each glossary term; a term is listed only when one of
#: its sections is in the report (a hiring report without ranks defines no rank interval).
GLOSSARY_SECTIONS: Mapping[str, frozenset[str]] = {
    "submission": frozenset({"rubric", "reliability", "ranking", "strategies", "draw"}),
    "rubric": frozenset({"rubric", "reliability"}),
    "calibrated score": frozenset({"reliability", "ranking"}),
    "expected rank": frozenset({"ranking", "strategies"}),
    "rank interval": frozenset({"ranking"}),
    "lottery zone": frozenset({"ranking", "strategies", "draw"}),
    "selection rate": frozenset({"audit", "cycles", "precision", "simulation", "quota-lottery"}),
    "adverse-impact ratio": frozenset({"audit", "simulation"}),
    "confidence interval": frozenset({"reliability", "audit", "cycles", "precision"}),
    "suppressed": frozenset({"audit", "cycles", "precision"}),
    "overfit": frozenset({"ml"}),
    "overspecialized": frozenset({"ml"}),
}


#: Terms a section uses only sometimes (a ranking without a lottery has no lottery zone,
#: an ML check that found no overfitting never says "overfit"): listed only when one of
#: these words is in the report's text as well.
GLOSSARY_WORDS: Mapping[str, tuple[str, ...]] = {
    "calibrated score": ("calibrated",),
    "lottery zone": ("lottery zone",),
    "overfit": ("overfit",),
    "overspecialized": ("overspecializ", "overspecialis"),
}

#: A definition that speaks of something the report may not have: without the word, the
#: shorter definition (a ranking with no funding line, as in a distributed review).
GLOSSARY_SHORT: Mapping[str, tuple[str, str]] = {
    "rank interval": (
        "funding line",
        "The range of ranks a submission could plausibly have (50% and 90% credible intervals).",
    ),
}


def glossary_for(
    section_ids: Iterable[str], *, text: str | None = None
) -> tuple[tuple[str, str], ...]:
    """Return the glossary terms the given sections use, in the glossary's order.

    Parameters
    ----------
    section_ids : iterable of str
        The ids of the report's sections.
    text : str, optional
        Everything the sections say (sentences, tables, captions). When given, a term
        of :data:`GLOSSARY_WORDS` is listed only if one of its words occurs in it, and a
        term of :data:`GLOSSARY_SHORT` whose word does not occur gets its short definition.
    """
    present = set(section_ids)
    said = None if text is None else text.lower()

    def used(term: str) -> bool:
        if not GLOSSARY_SECTIONS.get(term, frozenset()) & present:
            return False
        words = GLOSSARY_WORDS.get(term)
        return said is None or words is None or any(w in said for w in words)

    def definition(term: str, full: str) -> str:
        word, short = GLOSSARY_SHORT.get(term, ("", full))
        return short if said is not None and word and word not in said else full

    return tuple((t, definition(t, d)) for t, d in GLOSSARY if used(t))
