"""The ``ml`` strategy: rank a new cycle by a model of past decisions.

It is offered so that a committee can *see* what such a ranking would do -- next to the
rubric ranking and the lotteries, and always with the trust checks of
:func:`fairpanel.ml.run_checks` -- not as a recommendation. The optional fairness
mitigations (fairlearn's exponentiated-gradient reduction or threshold optimizer, both
with demographic parity) exist for the same comparison.

It lives with the model it ranks by, above :mod:`fairpanel.strategies`, whose
:class:`~fairpanel.strategies.Strategy` interface and allocation engine it uses: the
strategies package then loads no scikit-learn or fairlearn, and a rank or lottery
allocation starts without them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from fairpanel._errors import FairpanelInputError
from fairpanel._extras import needs_extra
from fairpanel._schema import ML_MITIGATIONS, Mitigation, MLModel
from fairpanel._seed import Seed
from fairpanel.ml._features import single_threaded, target_values
from fairpanel.ml._model import SelectionModel
from fairpanel.strategies import Allocation, Capacity, Strategy
from fairpanel.strategies._engine import allocate_blocks, blocks_from_score

__all__ = ["MITIGATIONS", "MLStrategy"]

#: :data:`fairpanel._schema.ML_MITIGATIONS` under the name ``fairpanel.ml`` has published.
MITIGATIONS: Final = ML_MITIGATIONS

ERR_MITIGATION = "mitigation must be None or one of {allowed}, got {value!r}"
ERR_MITIGATION_TASK = "mitigation needs a 0/1 past decision as target, not a score"
ERR_MITIGATION_GROUP = "mitigation needs a group attribute: pass groups=[...] or mitigation_group"
ERR_NOT_FITTED = "this MLStrategy is not fitted yet: call fit(history) first"
ERR_NO_FEATURES = "the ml strategy needs the submissions table with the model's features"
ERR_MISSING_GROUP = "the submissions table has no group attribute column {column!r}"
HINT_FEATURES = "pass the submissions file that holds the features ({features})"


class MLStrategy(Strategy):
    """Rank submissions by a model trained on past cycles; ties broken by lot.

    Parameters
    ----------
    model : {"logistic", "gbm"}, default "logistic"
        See :class:`fairpanel.ml.SelectionModel`.
    target : str, default "selected"
        The past decision (0/1) or past score the model learns.
    groups : sequence of str, default ()
        Group attributes of the history and of the new cycle.
    exclude_groups : bool, default True
        Keep group attributes out of the features (the default promise). ``False`` feeds
        them in, for a comparison only.
    exclude, features
        As for :class:`~fairpanel.ml.SelectionModel`.
    mitigation : {None, "exponentiated-gradient", "threshold-optimizer"}, default None
        Rank instead by the selection probability of a classifier constrained to
        demographic parity (equal selection rates across the groups of
        ``mitigation_group``): fairlearn's ``ExponentiatedGradient`` (reductions
        approach, Agarwal et al. 2018, over logistic regressions whatever ``model`` is;
        the group is needed for training only) or
        ``ThresholdOptimizer`` (group-specific thresholds, Hardt et al. 2016; the group
        is needed for every new submission too). Both need the ``ml`` extra
        (``pip install 'fairpanel[ml]'``, which installs fairlearn).
    mitigation_group : str, optional
        The group attribute of the constraint; default the first of ``groups``.
    seed : int, str, Generator or None, optional
        Seed of the model's estimators (:class:`~fairpanel.ml.SelectionModel`); the
        allocation's draws use ``allocate``'s seed.
    n_monte_carlo : int, default 10000
        Replicates for selection probabilities under a budget.

    Attributes
    ----------
    model_ : SelectionModel
        The fitted model (``model_.card()`` lists its features and training checksum).
    mitigator_ : fitted fairlearn estimator or None
    mitigated_rate_ : float
        Share of the history the mitigated classifier selects (its expected selection
        rate; NaN without mitigation). Demographic parity holds at this rate; at a
        capacity far from it, only approximately.

    Examples
    --------
    >>> from fairpanel.ml import generate_history
    >>> past = generate_history(60, seed=1)
    >>> new = generate_history(40, cycles=1, seed=2)
    >>> scores = new[["submission_id", "past_score"]].rename(
    ...     columns={"past_score": "calibrated_score"})
    >>> ml = MLStrategy(groups=["gender"], seed=0).fit(past)
    >>> int(ml.allocate(scores, new, capacity=10, seed="demo").table["selected"].sum())
    10
    """

    name = "ml"

    def __init__(
        self,
        *,
        model: MLModel = "logistic",
        target: str = "selected",
        groups: Sequence[str] = (),
        exclude_groups: bool = True,
        exclude: Sequence[str] = (),
        features: Sequence[str] | None = None,
        mitigation: Mitigation | None = None,
        mitigation_group: str | None = None,
        seed: Seed = None,
        n_monte_carlo: int = 10_000,
    ) -> None:
        self.model = model
        self.target = target
        self.groups = groups
        self.exclude_groups = exclude_groups
        self.exclude = exclude
        self.features = features
        self.mitigation = mitigation
        self.mitigation_group = mitigation_group
        self.seed = seed
        self.n_monte_carlo = n_monte_carlo

    def fit(self, history: pd.DataFrame) -> MLStrategy:
        """Train the model (and the mitigation, if any) on past cycles.

        Parameters
        ----------
        history : DataFrame
            Past cycles, one row per submission: the ``target`` column, the
            ``groups`` columns and the features (see
            :meth:`fairpanel.ml.SelectionModel.fit`). A mitigation needs a 0/1
            decision as target and the ``mitigation_group`` column.

        Returns
        -------
        MLStrategy
            This strategy, fitted (``model_``, ``mitigator_``, ``mitigated_rate_``).

        Raises
        ------
        ValueError
            For an unknown ``mitigation``, a mitigation without a group attribute or
            with a score target.
        FairpanelInputError
            For a history the model cannot learn from, or without the mitigation's
            group column.
        """
        if self.mitigation is not None and self.mitigation not in MITIGATIONS:
            raise ValueError(ERR_MITIGATION.format(allowed=MITIGATIONS, value=self.mitigation))
        groups = list(self.groups)
        self.model_ = SelectionModel(
            model=self.model,
            target=self.target,
            groups=groups if self.exclude_groups else (),
            exclude=self.exclude,
            features=self.features,
            seed=self.seed,
        ).fit(history)
        self.mitigator_: Any = None
        self.mitigated_rate_ = float("nan")
        if self.mitigation is not None:
            with single_threaded():
                self.mitigator_ = self._fit_mitigation(history)
            # The share of the history the mitigated classifier selects: parity holds at
            # this rate; at a capacity far from it, only approximately.
            self.mitigated_rate_ = float(np.mean(self._ranking(history)[0]))
        return self

    def _group_of_mitigation(self) -> str:
        attr = self.mitigation_group or (self.groups[0] if self.groups else None)
        if attr is None:
            raise ValueError(ERR_MITIGATION_GROUP)
        return attr

    def _fit_mitigation(self, history: pd.DataFrame) -> Any:
        # fairlearn is the ``ml`` extra: only the mitigations need it.
        with needs_extra("ml", purpose="a fairlearn mitigation of the ml strategy"):
            from fairlearn.postprocessing import ThresholdOptimizer
            from fairlearn.reductions import DemographicParity, ExponentiatedGradient
        model = self.model_
        if model.task_ != "classification":
            raise ValueError(ERR_MITIGATION_TASK)
        attr = self._group_of_mitigation()
        if attr not in history.columns:
            raise FairpanelInputError(ERR_MISSING_GROUP.format(column=attr), column=attr)
        # fairlearn sees the already-encoded feature matrix: its estimators then need no
        # column names, and the preprocessing is the one the unmitigated model learned.
        Xt = model.pipeline_[0].transform(model.features_of(history))
        y = target_values(history[model.target])[1].astype(np.int64)
        sensitive = history[attr].astype(str).to_numpy()
        if self.mitigation == "exponentiated-gradient":
            # The reduction refits its estimator on reweighted data some fifty times: a
            # logistic regression whatever ``model`` is (gradient boosting there takes
            # minutes, and the mitigated ranking is for comparison, not for speed records).
            mitigator = ExponentiatedGradient(
                LogisticRegression(max_iter=2000), constraints=DemographicParity()
            )
        else:
            mitigator = ThresholdOptimizer(
                estimator=model.pipeline_[-1],
                constraints="demographic_parity",
                predict_method="predict_proba",
                prefit=True,
            )
        with warnings.catch_warnings():
            # fairlearn 0.15 enlarges pandas Series with ``.at`` (its reductions' weights and
            # constraint basis), which pandas 3 deprecates: a warning about fairlearn's own
            # code, raised from fairlearn's modules only, that no user can act on.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"fairlearn\.")
            mitigator.fit(Xt, y, sensitive_features=sensitive)
        return mitigator

    def predict(self, frame: pd.DataFrame) -> NDArray[np.float64]:
        """Return the ranking score of each row.

        The model's predicted probability of selection (or predicted score); with a
        mitigation, the mitigated classifier's probability of selecting the row.

        Parameters
        ----------
        frame : DataFrame
            Rows to score, holding the model's features; with the threshold
            optimizer, also the ``mitigation_group`` column.

        Returns
        -------
        ndarray of float
            One value per row of ``frame``; higher ranks first.

        Raises
        ------
        ValueError
            When the strategy is not fitted.
        """
        return self._ranking(frame)[0]

    def _ranking(self, frame: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Primary and tie-breaking scores.

        A mitigated classifier gives only a few distinct selection probabilities; among
        equal ones a finer score decides before the lot does: the mixture's average
        predicted probability (exponentiated gradient), or the model's score as a
        percentile *within the submission's own group* (threshold optimizer). The
        threshold optimizer reaches parity with group-specific thresholds; when the
        capacity cuts through a tie, breaking it by the raw (biased) score would undo
        that, while the within-group percentile keeps taking groups alike.
        """
        if not hasattr(self, "model_"):
            raise ValueError(ERR_NOT_FITTED)
        base = self.model_.predict_score(frame)
        if self.mitigator_ is None:
            return base, base
        Xt = self.model_.pipeline_[0].transform(self.model_.features_of(frame))
        if self.mitigation == "exponentiated-gradient":
            # The randomized classifier's chance of selecting each row is the weighted vote
            # of its predictors (public attributes predictors_ and weights_).
            weights = self.mitigator_.weights_.to_numpy()
            predictors = list(self.mitigator_.predictors_)
            votes = np.column_stack([h.predict(Xt) for h in predictors]) @ weights
            proba = np.column_stack([h.predict_proba(Xt)[:, 1] for h in predictors]) @ weights
            return np.asarray(votes, dtype=np.float64), np.asarray(proba, dtype=np.float64)
        attr = self._group_of_mitigation()
        if attr not in frame.columns:
            raise FairpanelInputError(ERR_MISSING_GROUP.format(column=attr), column=attr)
        sensitive = frame[attr].astype(str).to_numpy()
        # ThresholdOptimizer exposes its selection probabilities only through _pmf_predict;
        # its public predict() draws 0/1 with numpy, which a capacity cannot use.
        pmf = self.mitigator_._pmf_predict(Xt, sensitive_features=sensitive)
        within = pd.Series(base).groupby(sensitive).rank(pct=True, method="average")
        return np.asarray(pmf[:, 1], dtype=np.float64), np.asarray(within, dtype=np.float64)

    def allocate(
        self,
        scores: pd.DataFrame,
        submissions: pd.DataFrame | None = None,
        *,
        capacity: Capacity | int,
        seed: Seed,
    ) -> Allocation:
        """Select the submissions the model ranks highest; equal predictions by lot.

        ``submissions`` must hold the model's features (matched by ``submission_id``);
        the score table supplies the cycle's submissions, eligibility and budget, like
        every strategy. The table gains the columns ``ml_score`` (what the ranking is by)
        and ``ml_model_score`` (the unmitigated model's prediction, or the exponentiated
        gradient mixture's average probability; equal to ``ml_score`` without mitigation).

        Parameters
        ----------
        scores : DataFrame
            The score table: ``submission_id`` and ``calibrated_score`` (required,
            although the ranking is by the model, not by the score).
        submissions : DataFrame
            Required despite its default: the model's features by ``submission_id``,
            with the ``eligible`` column and requests as for every strategy; with the
            threshold optimizer, also the ``mitigation_group`` column.
        capacity : Capacity or int
            A count of places (an int) or a budget, as for
            :meth:`fairpanel.strategies.Strategy.allocate`.
        seed : int or str
            The published seed of the tie-break draw; ``None`` or a Generator is
            refused. The model's own seed is the constructor's ``seed``.

        Returns
        -------
        Allocation

        Raises
        ------
        ValueError
            When the strategy is not fitted.
        FairpanelInputError
            Without a submissions table.
        """
        if not hasattr(self, "model_"):
            raise ValueError(ERR_NOT_FITTED)
        cap = self._capacity(capacity)
        prepared = self._prepare(scores, submissions, cap)
        if submissions is None:
            raise FairpanelInputError(
                ERR_NO_FEATURES,
                hint=HINT_FEATURES.format(features=", ".join(self.model_.feature_names_)),
            )
        subs = submissions.assign(submission_id=submissions["submission_id"].astype(str))
        subs = subs.drop_duplicates("submission_id").set_index("submission_id")
        frame = subs.reindex(prepared.frame["submission_id"]).reset_index()
        primary, secondary = self._ranking(frame)
        blocks = blocks_from_score(_lexicographic(primary, secondary), prepared.frame["eligible"])
        return allocate_blocks(
            prepared,
            blocks,
            None,
            capacity=cap,
            seed=seed,
            strategy=self.name,
            params=self.get_params(),
            n_monte_carlo=self.n_monte_carlo,
            extra={"ml_score": primary, "ml_model_score": secondary},
        )


def _lexicographic(
    primary: NDArray[np.float64], secondary: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Order by ``primary``, then ``secondary``, as one score.

    Equal pairs stay equal, so that they are tied and the lot decides.
    """
    order = np.lexsort((secondary, primary))
    p, s = primary[order], secondary[order]
    new = np.r_[True, (np.diff(p) != 0) | (np.diff(s) != 0)]
    out = np.empty(primary.size, dtype=np.float64)
    out[order] = np.cumsum(new)
    return out
