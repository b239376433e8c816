"""Every public seeded callable reads its seed the same way (``fairpanel._seed``).

The test discovers every public function, class constructor and method that takes a
``seed`` (walking the ``__all__`` of every public subpackage) and checks it against a
registry saying how to call it: a new seeded function without an entry fails
``test_registry_covers_every_public_seeded_callable``. Each entry is then called with
text seeds (the CLI passes ``--seed`` as text), an integer, and a numpy Generator:

- the same text twice gives the same result, digit text equals its integer, and (where
  the seed matters to the result) a phrase and the digits give two results;
- numpy-seeded work accepts a Generator (two Generators in the same state give the same
  result, SPEC 7);
- lottery draws, and so every strategy's ``allocate``, refuse a Generator, a
  SeedSequence and ``None`` with :data:`fairpanel._seed.ERR_SEED_NOT_PUBLIC`, since a
  draw's seed is published.

The reference is the convention itself (``_seed``'s docstring), checked independently of
numpy's hashing in ``tests/test_seed.py`` (SHA-256 from coreutils).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fairpanel
from fairpanel._errors import FairpanelInputError
from fairpanel._seed import ERR_SEED, ERR_SEED_NOT_PUBLIC, HINT_SEED_NOT_PUBLIC, Seed

# ----------------------------------------------------------------------------- discovery


def _public_modules() -> Iterator[Any]:
    yield fairpanel
    for info in pkgutil.walk_packages(fairpanel.__path__, "fairpanel."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            yield importlib.import_module(info.name)


def _seeded(obj: Any) -> bool:
    try:
        return "seed" in inspect.signature(obj).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def _members(value: Any) -> Iterator[tuple[str, Any]]:
    """The callables a public name gives: a function, or a class's __init__ and methods.

    Each is named without its module (``run_audit``, ``RankStrategy.allocate``), so that
    moving a function to another subpackage does not count as a new one.
    """
    if inspect.isclass(value):
        for name, member in inspect.getmembers(value):
            if name == "__init__" or (not name.startswith("_") and callable(member)):
                yield f"{value.__qualname__}.{name}", member
    elif callable(value):
        yield getattr(value, "__qualname__", repr(value)), value


def _identity(member: Any) -> Any:
    # A bound classmethod is a new object at each access: identify it by its function.
    return getattr(member, "__func__", member)


@functools.cache
def discover() -> dict[str, Any]:
    """Map the name of each public seeded callable to it.

    The same object exported from several places (the top level and its subpackage, an
    alias such as ``fairpanel.audit.audit``) is one entry; an inherited method keeps
    the name of the class that defines it, unless that class is private: then each
    public class inheriting it is an entry.
    """
    names: dict[object, tuple[Any, set[str]]] = {}
    for module in _public_modules():
        for public in getattr(module, "__all__", ()):
            for name, member in _members(getattr(module, public)):
                if _seeded(member):
                    key: object = id(_identity(member))
                    if _qualname(member).startswith("_"):
                        # Defined on a private base (the rule strategies' shared
                        # allocate): each public class using it is a case of its own.
                        key = (key, name)
                    names.setdefault(key, (member, set()))[1].add(name)
    out: dict[str, Any] = {}
    for member, found in names.values():
        name = min(found, key=lambda n: (n != _qualname(member), n))
        assert name not in out, f"two public seeded callables are named {name}"
        out[name] = member
    return out


def _qualname(member: Any) -> str:
    return str(getattr(_identity(member), "__qualname__", ""))


# ------------------------------------------------------------------------------ fixtures


@functools.cache
def _rubric() -> Any:
    from fairpanel.rubric import builtin_rubric

    return builtin_rubric("telescope")


@functools.cache
def _cycle() -> Any:
    from fairpanel.simulate import generate_cycle

    return generate_cycle(rubric=_rubric(), seed=11, n_submissions=24, n_reviewers=10)


@functools.cache
def _scores() -> pd.DataFrame:
    from fairpanel.scoring import score

    table: pd.DataFrame = score(_cycle().reviews, rubric=_rubric(), method="eb", seed=1).table
    return table


def _tied_scores() -> pd.DataFrame:
    # Six submissions tied at the funding line of 3 places: the rank strategy draws.
    return pd.DataFrame(
        {"submission_id": [f"S{i}" for i in range(8)], "calibrated_score": [9.0] + [5.0] * 7}
    )


@functools.cache
def _history() -> tuple[pd.DataFrame, pd.DataFrame]:
    from fairpanel.ml import generate_history

    return generate_history(60, seed=1), generate_history(30, cycles=1, seed=2)


def _alike(new: pd.DataFrame) -> pd.DataFrame:
    # Every submission with the first one's features: the model ranks them all equal,
    # so the ml strategy draws its places.
    return new.iloc[[0] * len(new)].assign(submission_id=new["submission_id"].to_numpy())


@functools.cache
def _decisions() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "submission_id": [f"s{i}" for i in range(120)],
            "gender": np.repeat(["man", "woman"], [70, 50]),
            "selected": rng.random(120) < 0.4,
            "selection_probability": np.full(120, 0.4),
        }
    )


_COUNTS = pd.DataFrame({"g": ["a", "b", "c"], "n": [40, 30, 25], "k": [12, 6, 9]})


def _cells() -> pd.DataFrame:
    # The bootstrap's input: one row per group with its applicants and selected.
    return _COUNTS.rename(columns={"n": "applicants", "k": "selected"})


# ------------------------------------------------------------------------------ registry


@dataclass(frozen=True)
class Case:
    """How to call one seeded callable, and which seeds it must accept.

    ``call`` takes the seed and returns the result to compare. ``public_seed``: the
    seed feeds a lottery draw, so a Generator and None are refused
    (:func:`fairpanel._seed.seed_text`). ``matters``: two different seeds give two
    different results with these inputs (False where the seed only feeds estimators
    that draw nothing here, such as logistic regression).
    """

    call: Callable[[Seed], Any]
    public_seed: bool = False
    matters: bool = True


def _allocate(
    strategy: Callable[[], Any],
    scores: Callable[[], pd.DataFrame],
    capacity: Callable[[], Any],
    submissions: Callable[[], pd.DataFrame | None] = lambda: None,
) -> Case:
    """An allocate case; its inputs are made on first call, not at collection."""

    def call(seed: Seed) -> Any:
        return strategy().allocate(scores(), submissions(), capacity=capacity(), seed=seed).table

    return Case(call, public_seed=True)


def _strategies() -> Any:
    import fairpanel.strategies as s

    return s


def _budget() -> Any:
    # A budget: the selection probabilities are Monte Carlo estimates (monte_carlo_rng).
    from fairpanel.strategies import Capacity

    return Capacity(budget=60.0, request_col="requested_hours")


def _fit_ml(seed: Seed) -> Any:
    from fairpanel.ml import MLStrategy

    past, new = _history()
    ml = MLStrategy(groups=["gender"], seed=seed).fit(past)
    return ml.predict(new)


def _allocate_ml(seed: Seed) -> Any:
    from fairpanel.ml import MLStrategy

    past, new = _history()
    ml = MLStrategy(groups=["gender"], seed=0).fit(past)
    scores = new[["submission_id"]].assign(calibrated_score=1.0)
    return ml.allocate(scores, _alike(new), capacity=10, seed=seed).table


def _select_model(seed: Seed) -> Any:
    from fairpanel.ml import SelectionModel

    past, new = _history()
    model = SelectionModel(groups=["gender"], seed=seed).fit(past)
    return model.seed_, model.predict_score(new)


def _run_checks(seed: Seed) -> Any:
    from fairpanel.ml import run_checks

    past, _ = _history()
    return run_checks(past, groups=["gender"], seed=seed).to_dict()


def _tiny_scenario() -> Any:
    from fairpanel.simulate import Scenario

    return Scenario(submissions=40, capacity=4)


def _compare(seed: Seed) -> Any:
    from fairpanel.simulate import compare

    return compare(_tiny_scenario(), replicates=3, strategies=["lottery"], seed=seed).table


def _sweep(seed: Seed) -> Any:
    from fairpanel.simulate import sweep

    grid = {"noise_sd": [0.5, 1.0]}
    return sweep(_tiny_scenario(), grid, strategies=["lottery"], replicates=3, seed=seed).table


def _cycle_with(seed: Seed) -> Any:
    from fairpanel.simulate import generate_cycle

    return generate_cycle(n_submissions=12, n_reviewers=6, seed=seed).reviews


def _dpr_cycle_with(seed: Seed) -> Any:
    from fairpanel.simulate import dpr_cycle

    return dpr_cycle(12, 4, seed=seed).reviews


def _draw(seed: Seed) -> Any:
    from fairpanel.lottery import draw

    return draw([f"P{i}" for i in range(10)], places=3, seed=seed).certificate.to_dict()


def _quota_zone() -> tuple[pd.DataFrame, Any]:
    from fairpanel.io import Quota, QuotaTable

    zone = pd.DataFrame(
        {"submission_id": [f"S{i}" for i in range(8)], "g": ["x", "x", "x"] + ["y"] * 5}
    )
    return zone, QuotaTable((Quota("g", "x", 2),))


def _draw_panel(seed: Seed) -> Any:
    # The pick's ticket: a hash of the seed, so two seeds give two tickets.
    from fairpanel.lottery import QuotaProblem, draw_panel, maximin_distribution

    zone, quotas = _quota_zone()
    dist = maximin_distribution(QuotaProblem.build(zone, quotas, places=3))
    return draw_panel(dist, zone, quotas, places=3, seed=seed).to_dict()["pick"]


def _allocate_quota(seed: Seed) -> Any:
    from fairpanel.strategies import QuotaLotteryStrategy

    zone, quotas = _quota_zone()
    scores = zone[["submission_id"]].assign(calibrated_score=5.0)
    alloc = QuotaLotteryStrategy(quotas=quotas).allocate(scores, zone, capacity=3, seed=seed)
    return alloc.certificate.to_dict()["pick"]


def _audit(seed: Seed) -> Any:
    from fairpanel.audit import run_audit

    return run_audit(_decisions(), groups="gender", seed=seed).to_dict()


def _audit_counts(seed: Seed) -> Any:
    from fairpanel.audit import audit_counts

    frame = _COUNTS
    return audit_counts(
        frame, group_col="g", applicants_col="n", selected_col="k", seed=seed
    ).to_dict()


def _boot_rates(seed: Seed) -> Any:
    from fairpanel.audit import bootstrap_selection_rates

    return bootstrap_selection_rates(_cells(), ["g"], replicates=200, seed=seed)


def _reliability(seed: Seed) -> Any:
    from fairpanel.reliability import assess_reliability

    return assess_reliability(_cycle().reviews, rubric=_rubric(), n_boot=100, seed=seed).to_dict()


def _score(seed: Seed) -> Any:
    from fairpanel.scoring import score

    return score(_cycle().reviews, rubric=_rubric(), method="eb", seed=seed).table


def _halves() -> pd.Series:
    # each submission's panel: the first half of the ids in one, the rest in the other
    ids = sorted(_cycle().reviews["submission_id"].astype(str).unique())
    return pd.Series(["A" if i < len(ids) // 2 else "B" for i in range(len(ids))], index=ids)


def _score_by_panel(seed: Seed) -> Any:
    from fairpanel.scoring import score_by_panel

    reviews = _cycle().reviews
    return score_by_panel(
        reviews, _halves(), together=False, rubric=_rubric(), method="eb", seed=seed
    ).table


def _allocate_by_panel(seed: Seed) -> Any:
    from fairpanel.strategies import LotteryStrategy, allocate_by_panel

    scores = _scores().assign(panel=lambda t: t["submission_id"].astype(str).map(_halves()))
    return allocate_by_panel(
        LotteryStrategy(), scores, panel_col="panel", capacities={"A": 3, "B": 3}, seed=seed
    ).table


def _history_with(seed: Seed) -> Any:
    from fairpanel.ml import generate_history

    return generate_history(20, cycles=1, seed=seed)


def _seed_entropy(seed: Seed) -> Any:
    from fairpanel.simulate import seed_entropy

    return seed_entropy(seed)  # type: ignore[arg-type]


def _entrant_uniform(seed: Seed) -> Any:
    from fairpanel.lottery import entrant_uniform

    return entrant_uniform(seed, "P-001")


def _canonical(seed: Seed) -> Any:
    from fairpanel.lottery import canonical_inputs

    return canonical_inputs([("P-1", 1.0), ("P-2", 2.0)], places=1, seed=seed)


def _checksum(seed: Seed) -> Any:
    from fairpanel.lottery import input_checksum

    return input_checksum([("P-1", 1.0), ("P-2", 2.0)], places=1, seed=seed)


#: Every public seeded callable that makes (or hashes for) a random choice.
CASES: dict[str, Case] = {
    # audit
    # accepted and unused since the max-min bootstrap was replaced (audit schema 2)
    "audit_counts": Case(_audit_counts, matters=False),
    "bootstrap_selection_rates": Case(_boot_rates),
    # the seed feeds only the lottery simulation, which is exact for this panel
    "run_audit": Case(_audit, matters=False),
    # lottery: the draw and the hash scheme's parts, all on the seed's text
    "canonical_inputs": Case(_canonical, public_seed=True),
    "draw": Case(_draw, public_seed=True),
    "entrant_uniform": Case(_entrant_uniform, public_seed=True),
    "input_checksum": Case(_checksum, public_seed=True),
    "draw_panel": Case(_draw_panel, public_seed=True),
    # ml
    "SelectionModel.__init__": Case(_select_model, matters=False),
    "generate_history": Case(_history_with),
    "run_checks": Case(_run_checks),
    # reliability, scoring, simulate
    "assess_reliability": Case(_reliability),
    "score": Case(_score),
    # each panel's fit and draw from '<seed> / panel <name>'
    "score_by_panel": Case(_score_by_panel),
    "allocate_by_panel": Case(_allocate_by_panel, public_seed=True),
    "compare": Case(_compare),
    "generate_cycle": Case(_cycle_with),
    "dpr_cycle": Case(_dpr_cycle_with),
    "seed_entropy": Case(_seed_entropy),
    "sweep": Case(_sweep),
    # strategies: allocate draws, so its seed must be one that can be published
    "LotteryStrategy.allocate": _allocate(
        lambda: _strategies().LotteryStrategy(n_monte_carlo=500),
        _scores,
        _budget,
        lambda: _cycle().submissions,
    ),
    "MLStrategy.__init__": Case(_fit_ml, matters=False),
    "MLStrategy.allocate": Case(_allocate_ml, public_seed=True),
    "PartialLotteryStrategy.allocate": _allocate(
        lambda: _strategies().PartialLotteryStrategy(interval=0.9), _scores, lambda: 8
    ),
    "RankStrategy.allocate": _allocate(
        lambda: _strategies().RankStrategy(), _tied_scores, lambda: 3
    ),
    "QuotaLotteryStrategy.allocate": Case(_allocate_quota, public_seed=True),
    "TieredLotteryStrategy.allocate": _allocate(
        lambda: _strategies().TieredLotteryStrategy(rubric=_rubric()), _scores, lambda: 3
    ),
}

#: Seeded callables that make no random choice: constructors of results that record
#: the seed they were made with (their ``seed`` is a field, typed as stored), and the
#: abstract interface every strategy implements (each concrete one is in CASES).
NOT_CALLED: dict[str, str] = {
    "DrawCertificate.__init__": "records the draw's seed text",
    "QuotaDrawCertificate.__init__": "records the panel draw's seed text",
    "Provenance.__init__": "records the seed a report names",
    "OutputProvenance.__init__": "records the seed a command used, beside its outputs",
    "RecordedProvenance.__init__": "records the seed a file says it was made with",
    "no_draw_certificate": "records the allocation's seed; no draw is made",
    "ReportInputs.__init__": "records the seed a report names",
    "ScoreResult.__init__": "records the seed given to score()",
    "SimulationResult.__init__": "records compare()'s root seed",
    "SweepResult.__init__": "records sweep()'s root entropy",
    "Allocation.__init__": "records the allocation's seed text",
    "Strategy.allocate": "abstract: each strategy's allocate is a case",
}


# --------------------------------------------------------------------------------- tests


def _assert_same(a: Any, b: Any) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, Mapping):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float)
        assert np.isnan(b)
    else:
        assert a == b


def _differ(a: Any, b: Any) -> bool:
    try:
        _assert_same(a, b)
    except AssertionError:
        return True
    return False


def test_registry_covers_every_public_seeded_callable() -> None:
    found = set(discover())
    assert not set(CASES) & set(NOT_CALLED)
    missing = sorted(found - set(CASES) - set(NOT_CALLED))
    assert not missing, f"add these seeded callables to CASES or NOT_CALLED: {missing}"
    stale = sorted((set(CASES) | set(NOT_CALLED)) - found)
    assert not stale, f"no longer public or seeded: {stale}"


def test_discovery_finds_seeded_methods_and_constructors() -> None:
    # The registry check is only as good as the discovery: functions, methods and
    # __init__ must all be seen, each once, named without its module.
    found = discover()
    assert "RankStrategy.allocate" in found
    assert "SelectionModel.__init__" in found
    assert "run_audit" in found
    assert found["run_audit"] is fairpanel.run_audit
    assert "audit" not in found  # the alias is the same function


#: Seeded callables whose ``seed`` is narrower than ``Seed``, and why.
NARROWER: dict[str, str] = {
    # The convention's own rule from a seed to the integer it stands for: a Generator
    # or SeedSequence stands for none (they go to as_rng / seed_sequence as they are).
    "seed_entropy": "int | np.integer | str | None",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_seed_is_annotated_seed(name: str) -> None:
    # Modules use `from __future__ import annotations`: the annotation is its source text.
    annotation = inspect.signature(discover()[name]).parameters["seed"].annotation
    assert annotation == NARROWER.get(name, "Seed"), f"{name}: seed: {annotation}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_seed_reproduces_and_digits_are_the_integer(name: str) -> None:
    case = CASES[name]
    phrase = case.call("panel 2026")
    _assert_same(phrase, case.call("panel 2026"))
    digits = case.call("7")
    _assert_same(digits, case.call(7))
    if case.matters:
        assert _differ(phrase, digits), f"{name} ignores its seed"


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if not c.public_seed))
def test_numpy_seeded_work_accepts_a_generator(name: str) -> None:
    call = CASES[name].call
    if name == "seed_entropy":
        # The text-to-integer rule itself: a Generator stands for no integer.
        with pytest.raises(TypeError, match="seed must be"):
            call(np.random.default_rng(5))
        return
    _assert_same(call(np.random.default_rng(5)), call(np.random.default_rng(5)))


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.public_seed))
@pytest.mark.parametrize("kind", ["None", "a numpy Generator", "a numpy SeedSequence"])
def test_draws_refuse_a_seed_that_cannot_be_published(name: str, kind: str) -> None:
    value: Seed = {
        "None": None,
        "a numpy Generator": np.random.default_rng(5),
        "a numpy SeedSequence": np.random.SeedSequence(5),
    }[kind]
    with pytest.raises(FairpanelInputError) as info:
        CASES[name].call(value)
    assert info.value.message == ERR_SEED_NOT_PUBLIC.format(kind=kind)
    assert info.value.hint == HINT_SEED_NOT_PUBLIC


@pytest.mark.parametrize("bad", [1.5, True, b"7"])
def test_other_types_are_refused_by_draws_and_by_numpy_work(bad: object) -> None:
    # One sample per kind of seed use, not all of them (the rule is _seed's).
    for name in ("draw", "generate_cycle"):
        with pytest.raises(TypeError) as info:
            CASES[name].call(bad)  # type: ignore[arg-type]
        assert str(info.value) == ERR_SEED.format(seed=bad)
