"""How many places a draw fills: one check for the draw and its exact probabilities."""

from __future__ import annotations

import numpy as np

__all__ = ["ERR_PLACES", "check_places"]

ERR_PLACES = "places must be an integer between 0 and the number of entrants ({n}); got {value!r}"


def check_places(places: object, n: int) -> int:
    """Return ``places`` as an int, refusing what is not a whole number in ``0 … n``.

    Parameters
    ----------
    places : object
        The number of places asked for; a bool is refused (``True`` is rarely meant
        as one place).
    n : int
        The number of entrants.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``places`` is not an integer.
    ValueError
        If it is below 0 or above ``n``.

    Examples
    --------
    >>> check_places(2, 5)
    2
    """
    if isinstance(places, bool) or not isinstance(places, int | np.integer):
        raise TypeError(ERR_PLACES.format(n=n, value=places))
    if not 0 <= int(places) <= n:
        raise ValueError(ERR_PLACES.format(n=n, value=places))
    return int(places)
