"""One seed convention for every random choice fairpanel makes.

Every public function or class that takes ``seed`` accepts a :data:`Seed`: an integer,
any text (the CLI's ``--seed``), ``None`` (fresh entropy from the operating system), a
:class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator` (used as it is,
SPEC 7). Numpy-based work (Monte Carlo, bootstrap, simulation, model fitting) turns it
into a generator with :func:`as_rng`, or into a ``SeedSequence`` to spawn one child seed
per replicate with :func:`seed_sequence`. Text made only of the digits 0-9 (surrounding
spaces ignored) is the integer it spells, so ``--seed 42`` and ``seed=42`` give the same
result; any other text is hashed with SHA-256 and its first 16 bytes, read big-endian,
are the integer. A committee can thus announce a phrase.

Lottery draws do not use numpy: they hash the seed *text* with each submission id
(:mod:`fairpanel.lottery`), so that anyone can check a draw from its published seed
without fairpanel. :func:`seed_text` is the one rule for that text: an integer is its
decimal digits and text is kept exactly as given; a ``Generator``, a ``SeedSequence``
or ``None`` cannot be published, so a draw refuses them. Every strategy's ``allocate``
goes through it (its Monte Carlo estimates too), whether or not a draw turns out to be
needed, so an allocation always records a seed anyone can reuse.
"""

from __future__ import annotations

import hashlib
from typing import Final, TypeAlias, overload

import numpy as np

from fairpanel._errors import FairpanelInputError

__all__ = [
    "ERR_SEED",
    "ERR_SEED_NOT_PUBLIC",
    "HINT_SEED_NOT_PUBLIC",
    "Seed",
    "as_rng",
    "seed_entropy",
    "seed_sequence",
    "seed_text",
]

#: Everything :func:`as_rng` accepts.
Seed: TypeAlias = int | np.integer | str | np.random.SeedSequence | np.random.Generator | None

ERR_SEED: Final = (
    "seed must be None, an int, a str, a numpy SeedSequence or a numpy Generator, got {seed!r}"
)
ERR_SEED_NOT_PUBLIC: Final = (
    "a lottery draw needs a seed that can be published (an int or text), got {kind}"
)
HINT_SEED_NOT_PUBLIC: Final = (
    "anyone must be able to redo the draw from the seed in its certificate: give a number "
    "or a phrase announced before the draw"
)

#: Bytes of the SHA-256 digest kept as the integer of a text seed (128 bits, the
#: entropy numpy's SeedSequence draws from the operating system).
_TEXT_BYTES: Final = 16


@overload
def seed_entropy(seed: int | np.integer | str) -> int: ...
@overload
def seed_entropy(seed: None) -> None: ...
def seed_entropy(seed: int | np.integer | str | None) -> int | None:
    """Return the integer a seed stands for (the entropy of its ``SeedSequence``).

    Parameters
    ----------
    seed : int, str or None
        An integer is itself; text of the digits 0-9 only (surrounding spaces ignored)
        is the integer it spells; other text is hashed with SHA-256 and the first 16
        bytes of the digest, read big-endian, are the integer. ``None`` stays ``None``
        (``SeedSequence(None)`` draws fresh entropy).

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        For any other type (a bool is refused: ``True`` is rarely meant as seed 1).

    Examples
    --------
    >>> seed_entropy(42), seed_entropy("42"), seed_entropy(" 42 ")
    (42, 42, 42)
    >>> seed_entropy("panel 2026")
    85670607511775455085401900720824028155
    >>> seed_entropy(None) is None
    True
    """
    if seed is None:
        return None
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer | str):
        raise TypeError(ERR_SEED.format(seed=seed))
    if not isinstance(seed, str):
        return int(seed)
    digits = seed.strip()
    # ASCII only: str.isdigit() also accepts "²", which int() refuses.
    if digits.isascii() and digits.isdigit():
        return int(digits)
    return int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:_TEXT_BYTES], "big")


def seed_sequence(seed: Seed) -> np.random.SeedSequence:
    """Return the ``SeedSequence`` of a seed, for spawning child seeds.

    Parameters
    ----------
    seed : int, str, SeedSequence, Generator or None
        A ``SeedSequence`` is returned as it is; a Generator gives a ``SeedSequence``
        whose entropy is 128 bits drawn from its stream (so it advances, as any use of
        a shared Generator does); anything else becomes
        ``SeedSequence(seed_entropy(seed))``.

    Returns
    -------
    numpy.random.SeedSequence

    Raises
    ------
    TypeError
        For any other type.

    Examples
    --------
    >>> seed_sequence("7").entropy
    7
    >>> [int(c.generate_state(1)[0]) for c in seed_sequence(7).spawn(2)] == [
    ...     int(c.generate_state(1)[0]) for c in np.random.SeedSequence(7).spawn(2)]
    True
    >>> g = np.random.default_rng(1)
    >>> seed_sequence(g).entropy == seed_sequence(np.random.default_rng(1)).entropy
    True
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int.from_bytes(seed.bytes(_TEXT_BYTES), "big"))
    return np.random.SeedSequence(seed_entropy(seed))


def as_rng(seed: Seed = None) -> np.random.Generator:
    """Return the numpy ``Generator`` of a seed (Scientific Python SPEC 7).

    Parameters
    ----------
    seed : int, str, SeedSequence, Generator or None
        A Generator is returned as it is (its stream is shared, not copied); anything
        else goes to :func:`numpy.random.default_rng`, text through
        :func:`seed_entropy` first.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        For any other type.

    Examples
    --------
    >>> as_rng("42").integers(100, size=3)
    array([ 8, 77, 65])
    >>> bool((as_rng("panel 2026").random(3) == as_rng("panel 2026").random(3)).all())
    True
    >>> g = np.random.default_rng(1)
    >>> as_rng(g) is g
    True
    """
    if isinstance(seed, np.random.Generator | np.random.SeedSequence):
        return np.random.default_rng(seed)
    return np.random.default_rng(seed_entropy(seed))


def seed_text(seed: Seed) -> str:
    """Return the text a lottery draw hashes for a seed (:mod:`fairpanel.lottery`).

    Parameters
    ----------
    seed : int or str
        An integer (Python or numpy) is its decimal digits; text is kept exactly as
        given, spaces included, because the certificate publishes the very text that
        was hashed (so ``" 42"`` draws differently from ``"42"``, although
        :func:`as_rng` reads both as 42).

    Returns
    -------
    str

    Raises
    ------
    FairpanelInputError
        For ``None``, a ``Generator`` or a ``SeedSequence``: a draw's seed must be a
        value that can be announced and published (:data:`ERR_SEED_NOT_PUBLIC`).
    TypeError
        For any other type (a bool is refused, as by :func:`seed_entropy`).

    Examples
    --------
    >>> seed_text(42), seed_text(np.int64(42)), seed_text("panel 2026")
    ('42', '42', 'panel 2026')
    >>> try:
    ...     seed_text(np.random.default_rng(1))
    ... except ValueError as err:
    ...     print(err.message.split(",")[0])
    a lottery draw needs a seed that can be published (an int or text)
    """
    if seed is None or isinstance(seed, np.random.Generator | np.random.SeedSequence):
        kind = "None" if seed is None else f"a numpy {type(seed).__name__}"
        raise FairpanelInputError(ERR_SEED_NOT_PUBLIC.format(kind=kind), hint=HINT_SEED_NOT_PUBLIC)
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer | str):
        raise TypeError(ERR_SEED.format(seed=seed))
    return seed if isinstance(seed, str) else str(int(seed))
