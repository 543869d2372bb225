"""The names closest to one that matched nothing (a misspelt query name or map key).

Input: the text asked and the names and ids a dataset has.  Output: the few closest,
as they are written, for a "did you mean" hint.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.core.normalize import fold

NEAREST = 3  # at most this many names in a hint
CUTOFF = 0.6  # below this similarity a name is not "near"


def similarity(asked: str, name: str) -> float:
    """How close a name is to what was asked: the whole strings, or word by word (each
    asked word against the name's closest word of three letters or more: ``bla`` is not
    near ``de la gestion``), whichever is closer.

    >>> round(similarity("license server", "serveur de licences citrix"), 2)
    0.86
    """
    import difflib  # here: only a name that matched nothing looks for the closest names

    whole = difflib.SequenceMatcher(None, asked, name).ratio()
    words = asked.split()
    name_words = [w for w in name.split() if len(w) >= 3] or name.split()
    if not words or not name_words:
        return whole
    by_word = sum(
        max(difflib.SequenceMatcher(None, w, n).ratio() for n in name_words) for w in words
    ) / len(words)
    return max(whole, by_word)


def nearest(asked: str, pool: Iterable[str]) -> list[str]:
    """The names of ``pool`` closest to ``asked`` (case and accents aside), closest first,
    as ``pool`` writes them; none when nothing is near.

    >>> nearest("licence-server", ["license-server", "Serveur StoreFront", "vda"])
    ['license-server']
    """
    folded = {fold(n): n for n in sorted(set(pool))}
    key = fold(asked)
    scored = sorted(((similarity(key, f), f) for f in folded), key=lambda s: (-s[0], s[1]))
    return [folded[f] for score, f in scored[:NEAREST] if score >= CUTOFF]
