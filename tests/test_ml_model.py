"""The history generator and the model of past decisions."""

import numpy as np
import pandas as pd
import pytest

from fairpanel import FairpanelInputError
from fairpanel.ml import (
    HISTORY_OUTCOMES,
    SelectionModel,
    canonical_checksum,
    generate_history,
    load_model,
)
from fairpanel.ml._features import ERR_MISSING_COLUMN, ERR_MODEL, ERR_NOT_FITTED, seed_int
from fairpanel.ml._history import ERR_SOURCE

PLANTED = {"proxy": "womens_college", "leakage": "hours_used", "artifact": "source_tag"}


@pytest.fixture(scope="module")
def history():
    return generate_history(100, cycles=3, seed=3)


def test_clean_history_has_no_planted_column(history):
    assert not set(PLANTED.values()) & set(history.columns)
    assert history["selected"].dtype == bool
    # the top quarter of each cycle is selected
    assert history.groupby("cycle")["selected"].sum().tolist() == [25, 25, 25]
    assert set(HISTORY_OUTCOMES) <= set(history.columns)


@pytest.mark.parametrize(("flag", "column"), list(PLANTED.items()))
def test_each_flag_plants_its_column(flag, column):
    h = generate_history(50, cycles=2, seed=1, **{flag: True})
    assert column in h.columns


def test_leaked_column_is_recorded_only_for_selected():
    h = generate_history(50, cycles=2, seed=1, leakage=True)
    assert (h.loc[~h["selected"], "hours_used"] == 0).all()
    assert (h.loc[h["selected"], "hours_used"] > 0).all()


def test_watermark_follows_the_decision_only_in_the_simulated_source():
    sim = generate_history(200, cycles=2, seed=1, artifact=True)
    real = generate_history(200, cycles=2, seed=1, artifact=True, source="real")
    assert (sim["source_tag"] == sim["selected"]).mean() > 0.85
    assert abs((real["source_tag"] == real["selected"]).mean() - 0.625) < 0.06  # chance


def test_biased_history_penalises_women_at_equal_score():
    fair = generate_history(200, cycles=3, seed=5)
    biased = generate_history(200, cycles=3, seed=5, biased=True)
    # same draws: the rubric scores are identical, only the decisions differ
    pd.testing.assert_series_equal(fair["past_score"], biased["past_score"])
    women = biased["gender"] == "woman"
    assert biased.loc[women, "selected"].mean() < 0.6 * biased.loc[~women, "selected"].mean()


def test_generator_is_seeded():
    pd.testing.assert_frame_equal(generate_history(30, seed=9), generate_history(30, seed=9))


def test_generator_rejects_unknown_source():
    with pytest.raises(ValueError, match="source must be one of") as err:
        generate_history(30, source="lab")  # type: ignore[arg-type]
    assert str(err.value) == ERR_SOURCE.format(allowed=("simulated", "real"), value="lab")


def test_groups_and_outcomes_are_never_features(history):
    model = SelectionModel(groups=["gender", "career_stage"]).fit(history)
    assert model.feature_names_ == [
        "field", "publications", "citation_index", "prior_awards", "requested_hours", "pages",
    ]  # fmt: skip
    listed = SelectionModel(groups=["gender"], features=["gender", "publications"]).fit(history)
    assert listed.feature_names_ == ["publications"]


def test_checksum_ignores_order_and_sees_every_cell(history):
    model = SelectionModel(groups=["gender"]).fit(history)
    used = history[[*model.feature_names_, "selected"]]
    assert model.training_checksum_ == canonical_checksum(used)
    shuffled = history.sample(frac=1.0, random_state=0)[list(history.columns)[::-1]]
    assert SelectionModel(groups=["gender"]).fit(shuffled).training_checksum_ == (
        model.training_checksum_
    )
    changed = history.copy()
    changed.loc[0, "publications"] += 1
    assert SelectionModel(groups=["gender"]).fit(changed).training_checksum_ != (
        model.training_checksum_
    )


def test_save_and_load_round_trip(history, tmp_path):
    model = SelectionModel(groups=["gender"], seed=1).fit(history)
    path = model.save(tmp_path / "model.joblib")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict_score(history), model.predict_score(history))
    assert loaded.card() == model.card()
    assert model.card()["training_checksum"] == model.training_checksum_


def test_gbm_and_score_target(history):
    gbm = SelectionModel(model="gbm", groups=["gender"], seed=1).fit(history)
    assert gbm.card()["estimator"] == "HistGradientBoostingClassifier"
    p = gbm.predict_score(history)
    assert ((p >= 0) & (p <= 1)).all()
    assert gbm.coefficients().empty
    reg = SelectionModel(target="past_score", groups=["gender"]).fit(history)
    assert (reg.task_, reg.card()["estimator"]) == ("regression", "Ridge")
    assert "selected" not in reg.feature_names_


def test_text_decisions_from_a_spreadsheet(history):
    as_text = history.assign(selected=history["selected"].map({True: "yes", False: "no"}))
    a = SelectionModel(groups=["gender"]).fit(history).predict_score(history)
    b = SelectionModel(groups=["gender"]).fit(as_text).predict_score(history)
    np.testing.assert_allclose(a, b)


def test_missing_feature_in_new_data_is_treated_as_missing(history):
    model = SelectionModel(groups=["gender"]).fit(history)
    p = model.predict_score(history.drop(columns=["citation_index"]))
    assert np.isfinite(p).all()


def test_errors(history):
    with pytest.raises(ValueError, match="model must be one of") as err:
        SelectionModel(model="forest").fit(history)  # type: ignore[arg-type]
    assert str(err.value) == ERR_MODEL.format(allowed=("logistic", "gbm"), value="forest")
    with pytest.raises(FairpanelInputError) as missing:
        SelectionModel(target="funded").fit(history)
    assert missing.value.message == ERR_MISSING_COLUMN.format(column="funded")
    with pytest.raises(ValueError, match="not fitted") as unfitted:
        SelectionModel().predict_score(history)
    assert str(unfitted.value) == ERR_NOT_FITTED


def test_seed_int_accepts_text_and_numbers():
    assert seed_int("cycle 2026") == seed_int("cycle 2026") != seed_int("cycle 2027")
    assert seed_int(3) == seed_int(3)


def test_new_cycle_read_as_text_gets_the_same_predictions():
    # A submissions file read as text (or with a stray "n/a") must not change the model's
    # view of the features: numbers stay numbers, true/false stays 0/1.
    h = generate_history(60, seed=1, proxy=True)
    model = SelectionModel(groups=["gender"]).fit(h)
    as_text = h.astype(str)
    as_text.loc[0, "publications"] = "n/a"
    a, b = model.predict_score(h), model.predict_score(as_text)
    np.testing.assert_allclose(a[1:], b[1:])
    assert np.isfinite(b[0])
