"""What a strategy is given and returns: a :class:`Capacity` and an :class:`Allocation`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from fairpanel._errors import FairpanelInputError
from fairpanel._json import (
    SCHEMA_KEY,
    Kind,
    Node,
    check_schema,
    jsonable,
    records,
    stamp,
    table,
    within,
)
from fairpanel._schema import ALLOCATION_COLUMNS, TIERS
from fairpanel.lottery import DrawCertificate, QuotaDrawCertificate, certificate_from_dict
from fairpanel.strategies._notes import Unfilled, lacks_quality_bar, unfilled_places

__all__ = [
    "ALLOCATION_EXTRA_COLUMNS",
    "ERR_CAPACITY_BUDGET",
    "ERR_CAPACITY_COUNT",
    "ERR_CAPACITY_ONE",
    "ERR_CAPACITY_REQUEST",
    "ERR_CAPACITY_REQUEST_COUNT",
    "SCHEMA_KIND",
    "SCHEMA_VERSION",
    "TABLE_COLUMNS",
    "Allocation",
    "Capacity",
]

#: Columns every allocation table has after :data:`ALLOCATION_COLUMNS`.
ALLOCATION_EXTRA_COLUMNS: tuple[str, ...] = (
    "selection_probability_se",
    "skipped_budget",
    "rank_position",
    "request",
)
#: The fixed first columns of every allocation table.
TABLE_COLUMNS: tuple[str, ...] = ALLOCATION_COLUMNS + ALLOCATION_EXTRA_COLUMNS

ERR_CAPACITY_ONE = "give exactly one of count or budget; got count={count!r}, budget={budget!r}"
ERR_CAPACITY_COUNT = "capacity count must be an integer >= 0; got {value!r}"
ERR_CAPACITY_BUDGET = "capacity budget must be a finite number >= 0; got {value!r}"
ERR_CAPACITY_REQUEST = "a budget needs request_col (the column of each submission's request)"
ERR_CAPACITY_REQUEST_COUNT = "request_col is only used with a budget, not with a count"

#: The allocation's JSON layout (:mod:`fairpanel._json`); files without a stamp are version 1.
#: Version 2 adds ``no_quality_bar`` and ``unfilled`` (read back from the records); version
#: 3 ``panel_certificates`` (each panel's certificate, when panels drew on their own).
SCHEMA_KIND: Final = "allocation"
SCHEMA_VERSION: Final = 3
#: The JSON kinds of the table's columns (others: any scalar, typed by their values).
_KINDS: Final[Mapping[str, Kind]] = {
    "submission_id": "id",
    "strategy": "text",
    "tier": "text",
    "selected": "bool",
    "selection_probability": "number",
    "draw_position": "integer",
    "selection_probability_se": "number",
    "skipped_budget": "bool",
    "rank_position": "integer",
    "request": "number",
    "weight": "number",
    "calibrated_score": "number",
    "expected_rank": "number",
    "band": "text",
}


@dataclass(frozen=True)
class Capacity:
    """How many can be selected: a count, or a budget of a resource.

    Parameters
    ----------
    count : int, optional
        The number of places.
    budget : float, optional
        The total resource available (observing hours, money).
    request_col : str, optional
        With a budget: the submissions column holding each submission's request.

    Examples
    --------
    >>> Capacity(count=5)
    Capacity(count=5, budget=None, request_col=None)
    >>> Capacity(budget=120.0, request_col="hours").is_budget
    True
    """

    count: int | None = None
    budget: float | None = None
    request_col: str | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.budget is None):
            raise ValueError(ERR_CAPACITY_ONE.format(count=self.count, budget=self.budget))
        # Typed as object: a capacity may come from untyped callers (YAML, CLI, notebooks).
        count: object = self.count
        budget: object = self.budget
        if count is not None:
            ok = isinstance(count, int | np.integer) and not isinstance(count, bool)
            if not ok or int(count) < 0:  # type: ignore[call-overload]
                raise ValueError(ERR_CAPACITY_COUNT.format(value=self.count))
            if self.request_col is not None:
                raise ValueError(ERR_CAPACITY_REQUEST_COUNT)
        else:
            ok = isinstance(budget, int | float | np.integer | np.floating) and not isinstance(
                budget, bool
            )
            if not ok or not math.isfinite(float(budget)) or float(budget) < 0:  # type: ignore[arg-type]
                raise ValueError(ERR_CAPACITY_BUDGET.format(value=budget))
            if not self.request_col:
                raise ValueError(ERR_CAPACITY_REQUEST)

    @property
    def is_budget(self) -> bool:
        """Whether capacity is a budget (else a count)."""
        return self.budget is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the capacity as plain data (a numpy count or budget as a Python number)."""
        out: dict[str, Any] = jsonable(
            {"count": self.count, "budget": self.budget, "request_col": self.request_col}
        )
        return out


@dataclass(frozen=True, eq=False)
class Allocation:
    """One strategy's outcome for one cycle.

    Attributes
    ----------
    table : DataFrame
        One row per submission: :data:`~fairpanel._schema.ALLOCATION_COLUMNS`
        (``submission_id, strategy, tier, selected, selection_probability,
        draw_position``) then ``selection_probability_se`` (0 where the probability is
        exact), ``skipped_budget`` (the rule would have taken it but its request no
        longer fitted), ``rank_position`` (order of consideration; lottery entrants in
        draw order) and ``request`` (NaN without a budget). Sorted by expected rank,
        then id.
    strategy : str
        The strategy's name (``rank``, ``lottery``, ...).
    seed : str
        The seed text of the draw.
    capacity : Capacity
    certificate : DrawCertificate, QuotaDrawCertificate or None
        The draw certificate, when a lottery was needed (a quota lottery's lists panels).
        Allocated panel by panel (:func:`~fairpanel.strategies.allocate_by_panel`), the
        certificate of the one panel that drew; None when several did.
    params : dict
        The strategy's parameters.
    panel_certificates : dict of str to certificate
        Allocated panel by panel: each panel's certificate (its own draw, with its own
        derived seed), by panel name; each names its panel in ``context["panel"]``.
        Empty otherwise.
    """

    table: pd.DataFrame
    strategy: str
    seed: str
    capacity: Capacity
    certificate: DrawCertificate | QuotaDrawCertificate | None = None
    params: dict[str, Any] | None = None
    panel_certificates: Mapping[str, DrawCertificate | QuotaDrawCertificate] = field(
        default_factory=dict
    )

    @property
    def selected_ids(self) -> list[str]:
        """Ids of the selected submissions, in order of consideration."""
        sel = self.table[self.table["selected"]].sort_values("rank_position")
        return [str(s) for s in sel["submission_id"]]

    def ids_in_tier(self, tier: str) -> list[str]:
        """Ids of the submissions in one tier.

        Parameters
        ----------
        tier : str
            One of ``"funded"``, ``"lottery"``, ``"rejected"``, ``"ineligible"``
            (:data:`fairpanel._schema.TIERS`); any other text matches no row.

        Returns
        -------
        list of str
            The ids in table order (expected rank, then id); empty if none.
        """
        return [str(s) for s in self.table.loc[self.table["tier"] == tier, "submission_id"]]

    def summary(self, *, max_ids: int | None = None) -> str:
        """Name who is in each tier, one line per non-empty tier (for reports and logs).

        Parameters
        ----------
        max_ids : int, optional
            List the ids of a tier (and of the drawn) only when there are at most this
            many; otherwise give the count alone. None (default): list every id.

        Examples
        --------
        >>> import pandas as pd
        >>> from fairpanel.strategies import RankStrategy
        >>> scores = pd.DataFrame({"submission_id": ["a", "b"], "calibrated_score": [2.0, 1.0]})
        >>> print(RankStrategy().allocate(scores, capacity=1, seed="s").summary())
        rank, capacity 1: 1 selected
        funded (1): a
        rejected (1): b
        """
        cap = self.capacity
        what = f"capacity {cap.count}" if not cap.is_budget else f"budget {cap.budget:g}"
        lines = [f"{self.strategy}, {what}: {int(self.table['selected'].sum())} selected"]

        def listed(ids: list[str]) -> str:
            return ": " + ", ".join(ids) if max_ids is None or len(ids) <= max_ids else ""

        for tier in ("funded", "lottery", "rejected", "ineligible"):
            ids = self.ids_in_tier(tier)
            if not ids:
                continue
            extra = ""
            if tier == "lottery":
                drawn = self.table[(self.table["tier"] == "lottery") & self.table["selected"]]
                extra = f", {len(drawn)} drawn{listed([str(s) for s in drawn['submission_id']])}"
            lines.append(f"{tier} ({len(ids)}{extra}){listed(ids)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Allocation strategy={self.strategy!r} submissions={len(self.table)} "
            f"selected={int(self.table['selected'].sum())} "
            f"expected_selected={self.expected_selected:.4g} seed={self.seed!r}>"
        )

    def _repr_html_(self) -> str:
        # The display has a module of its own (this one is long enough); loaded on use.
        from fairpanel.strategies._display import allocation_html

        return allocation_html(self)

    @property
    def unfilled(self) -> Unfilled | None:
        """The places left empty under a count of places, and why; None if all filled.

        See :func:`~fairpanel.strategies._notes.unfilled_places`.
        """
        return unfilled_places(self.table, strategy=self.strategy, capacity=self.capacity)

    @property
    def no_quality_bar(self) -> bool:
        """Whether this is a lottery with nothing keeping weak submissions out.

        A uniform lottery without a quality bar, a quota lottery drawing among every
        eligible submission, or a partial lottery whose zone reaches the lowest-ranked
        eligible submission (:func:`~fairpanel.strategies._notes.lacks_quality_bar`).
        """
        return lacks_quality_bar(self.table, strategy=self.strategy, params=self.params or {})

    @property
    def expected_selected(self) -> float:
        """The expected number selected: the sum of the selection probabilities."""
        return float(self.table["selection_probability"].sum())

    def to_dict(self) -> dict[str, Any]:
        """Return the allocation as plain JSON data (schema ``fairpanel.allocation``).

        ``{"strategy", "seed", "capacity", "params", "n_selected", "expected_selected",
        "tiers", "no_quality_bar", "unfilled", "allocations": [one record per row of the
        table], "certificate", "panel_certificates"}``; a parameter that is an object (a
        rubric) is recorded by its name. ``unfilled`` is null when every place was filled, else ``{"places",
        "filled", "unfilled", "reason"}``.
        """
        return {
            SCHEMA_KEY: stamp(SCHEMA_KIND, SCHEMA_VERSION),
            "strategy": self.strategy,
            "seed": self.seed,
            "capacity": self.capacity.to_dict(),
            "params": jsonable(self.params or {}, default=_by_name),
            "n_selected": int(self.table["selected"].sum()),
            "expected_selected": jsonable(self.expected_selected),
            "tiers": {t: self.ids_in_tier(t) for t in TIERS},
            "no_quality_bar": self.no_quality_bar,
            "unfilled": None if self.unfilled is None else self.unfilled.to_dict(),
            "allocations": records(self.table),
            "certificate": None if self.certificate is None else self.certificate.to_dict(),
            "panel_certificates": {
                name: cert.to_dict() for name, cert in self.panel_certificates.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Allocation:
        """Read an allocation written by :meth:`to_dict` (``fairpanel allocate --json``).

        ``n_selected``, ``expected_selected``, ``tiers``, ``no_quality_bar`` and
        ``unfilled`` follow from the records, capacity and parameters, and are not read. Parameters come back as plain data (a rubric as its name).

        Parameters
        ----------
        data : mapping
            The parsed JSON.

        Raises
        ------
        FairpanelInputError
            Naming the first field that is missing or of the wrong type.
        """
        doc = Node(data)
        check_schema(doc, SCHEMA_KIND, SCHEMA_VERSION)
        cap = doc["capacity"]
        try:
            capacity = Capacity(
                count=None if cap.get("count").is_null else cap["count"].integer(),
                budget=cap.get("budget").number_or_none(),
                request_col=cap.get("request_col").text_or_none(),
            )
        except ValueError as exc:
            raise FairpanelInputError(str(exc), field=cap.path) from None
        rows = doc["allocations"].records(_KINDS, required=TABLE_COLUMNS[:5])
        cert = doc.get("certificate")
        params = doc.get("params")
        by_panel = doc.get("panel_certificates")  # version 3
        panel_certificates = (
            {} if by_panel.is_null else {name: _certificate(n) for name, n in by_panel.members()}
        )
        return cls(
            table=table(rows, kinds=_KINDS, columns=TABLE_COLUMNS),
            strategy=doc["strategy"].text(),
            seed=doc["seed"].text(),
            capacity=capacity,
            certificate=None if cert.is_null else _certificate(cert),
            params=None if params.is_null else dict(params.plain()),
            panel_certificates=panel_certificates,
        )


def _certificate(node: Node) -> DrawCertificate | QuotaDrawCertificate:
    try:
        return certificate_from_dict(node.mapping())
    except FairpanelInputError as exc:
        raise within(node.path, exc) from None


def _by_name(obj: object) -> str:
    # A rubric (or any named object) is recorded by its name, not its whole content.
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else repr(obj)
