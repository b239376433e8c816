"""Rubrics: the shipped rubrics, validation errors, totals and bands, the card and the CLI."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from fairpanel import FairpanelInputError
from fairpanel import _yaml as Y
from fairpanel.cli import app
from fairpanel.rubric import Rubric, builtin_rubric_path, card_model, load_rubric, render_card
from fairpanel.rubric import _parts as R
from fairpanel.rubric._card import ERR_FORMAT
from fairpanel.rubric._parse import HINT_QUOTE

RUBRICS = builtin_rubric_path("telescope").parent
SHIPPED = ["telescope.yaml", "research_grant.yaml", "faculty_hire.yaml"]


def _base() -> dict[str, Any]:
    """A small valid rubric: two criteria (weights 2 and 1) on 1–3, two bands."""
    return {
        "name": "Small test rubric",
        "purpose": "Rank proposals.",
        "scale": {"min": 1, "max": 3, "higher_is_better": True},
        "criteria": [
            {
                "id": "merit",
                "title": "Merit",
                "weight": 2,
                "asks": "Is there a question?",
                "levels": {3: "Question and measurement.", 2: "Question only.", 1: "Neither."},
            },
            {
                "id": "feasibility",
                "title": "Feasibility",
                "weight": 1,
                "levels": {
                    3: {"label": "Full", "descriptor": "Every number calculated."},
                    2: "Numbers without calculation.",
                    1: "No numbers.",
                },
            },
        ],
        "bands": [
            {"name": "fund", "threshold": 2.5, "descriptor": "Fund."},
            {"name": "reject", "threshold": 1, "descriptor": "Do not fund."},
        ],
        "notes": "Judge the proposal, not the proposer.",
    }


def _lower_is_better() -> Rubric:
    """The same rubric on a 1–5 scale where 1 is best (as SNSF grades and AIBS scores)."""
    data = _base()
    data["scale"] = {"min": 1, "max": 5, "higher_is_better": False}
    for crit in data["criteria"]:
        crit["levels"] = {v: f"level {v}" for v in range(1, 6)}
    data["bands"] = [
        {"name": "fund", "threshold": 1.5, "descriptor": "Fund."},
        {"name": "maybe", "threshold": 2.5, "descriptor": "Lottery."},
        {"name": "reject", "threshold": 5, "descriptor": "Do not fund."},
    ]
    return Rubric.from_dict(data)


# ----------------------------------------------------------------- shipped rubrics
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_rubric_loads_and_is_complete(name: str):
    rubric = load_rubric(RUBRICS / name)
    assert rubric.source == str(RUBRICS / name)
    assert rubric.purpose
    assert rubric.notes
    assert len(rubric.criteria) >= 3
    assert math.isclose(rubric.weights.sum(), 1.0)
    for crit in rubric.criteria:
        assert crit.asks
        assert [lvl.value for lvl in crit.levels] == sorted(rubric.scale.points, reverse=True)
        # Descriptors are evidence, long enough to be more than an adjective.
        assert all(len(lvl.descriptor.split()) >= 8 for lvl in crit.levels)
        assert all(lvl.label for lvl in crit.levels)
    assert len(rubric.bands) >= 3
    assert rubric.bands[-1].threshold == rubric.scale.worst
    # Round trip through the YAML schema.
    assert Rubric.from_dict(rubric.to_dict()) == rubric


def test_telescope_rubric_is_dual_anonymous():
    rubric = load_rubric(RUBRICS / "telescope.yaml")
    assert rubric.scale.points == (1, 2, 3, 4, 5)
    assert rubric.scale.higher_is_better
    assert "dual-anonymous" in rubric.notes
    assert "resource_justification" in rubric.criterion_ids


# ------------------------------------------------------------------- validation
def _set(path: str, value: Any) -> Any:
    """Return a mutation that sets ``path`` (dotted, list indexes as ints) in the base."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = data
        for p in parents:
            node = node[p]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()

INVALID = [
    # (mutation, expected message, field)
    (_set("criteria.0.weight", 0), R.ERR_WEIGHT.format(weight=0), "criteria[1].weight"),
    (_set("criteria.1.weight", -2.5), R.ERR_WEIGHT.format(weight=-2.5), "criteria[2].weight"),
    (
        _set("criteria.0.weight", math.inf),
        R.ERR_WEIGHT.format(weight=math.inf),
        "criteria[1].weight",
    ),
    (_set("criteria.0.weight", True), R.ERR_WEIGHT.format(weight=True), "criteria[1].weight"),
    (
        _set("criteria.1.weight", _DELETE),
        R.ERR_WEIGHT_MIXED.format(id="feasibility"),
        "criteria[2].weight",
    ),
    (
        _set("criteria.0.levels", {3: "a", 1: "c"}),
        R.ERR_LEVELS_COVER.format(min=1, max=3, missing="2"),
        "criteria[1].levels",
    ),
    (
        _set("criteria.0.levels.4", "too high"),
        R.ERR_LEVEL_OFF_SCALE.format(level=4, min=1, max=3),
        "criteria[1].levels.4",
    ),
    (
        _set("criteria.0.levels.2", "  "),
        R.ERR_EMPTY_DESCRIPTOR.format(level=2),
        "criteria[1].levels.2",
    ),
    (
        _set("criteria.1.levels.3", {"label": "Full"}),
        R.ERR_EMPTY_DESCRIPTOR.format(level=3),
        "criteria[2].levels.3.descriptor",
    ),
    (
        _set("criteria.1.levels.3", {"label": "Full", "text": "x"}),
        R.ERR_UNKNOWN_KEY.format(key="text", allowed="label, descriptor"),
        "criteria[2].levels.3.text",
    ),
    (
        _set("criteria.1.id", "merit"),
        R.ERR_DUPLICATE_CRITERION.format(id="merit"),
        "criteria[2].id",
    ),
    (_set("criteria.0.id", ""), R.ERR_EMPTY.format(key="id"), "criteria[1].id"),
    (_set("criteria", []), R.ERR_NO_CRITERIA, "criteria"),
    (_set("scale", _DELETE), R.ERR_MISSING_KEY.format(key="scale"), None),
    (_set("name", _DELETE), R.ERR_MISSING_KEY.format(key="name"), None),
    (_set("scale.min", 3), R.ERR_SCALE_ORDER.format(min=3, max=3), "scale"),
    (
        _set("scale.max", 3.5),
        R.ERR_SCALE_INTEGER.format(min=1.0, max=3.5),
        "scale",
    ),
    (_set("scale.max", math.nan), R.ERR_NOT_FINITE.format(got=math.nan), "scale.max"),
    (
        _set("scale.higher_is_better", "yes"),
        R.ERR_BAD_TYPE.format(expected="true or false", got="yes"),
        "scale.higher_is_better",
    ),
    (
        _set("bands.0.threshold", 0.5),
        R.ERR_BAND_OFF_SCALE.format(name="fund", threshold=0.5, min=1, max=3),
        "bands[1].threshold",
    ),
    (
        _set("bands.1.threshold", 1.5),
        R.ERR_BAND_COVER.format(name="reject", end=1),
        "bands[2].threshold",
    ),
    (
        _set("bands", [{"name": "low", "threshold": 1}, {"name": "high", "threshold": 2.5}]),
        R.ERR_BAND_ORDER.format(direction="decreasing", name="high", threshold=2.5),
        "bands[2].threshold",
    ),
    (_set("bands.1.name", "fund"), R.ERR_DUPLICATE_BAND.format(name="fund"), "bands[2].name"),
    (_set("bands", []), R.ERR_NO_BANDS, "bands"),
    (
        _set("criteria.0.wieght", 2),
        R.ERR_UNKNOWN_KEY.format(key="wieght", allowed="id, title, weight, asks, levels"),
        "criteria[1].wieght",
    ),
    (
        _set("version", 2),
        R.ERR_UNKNOWN_KEY.format(
            key="version", allowed="name, purpose, scale, criteria, bands, notes"
        ),
        "version",
    ),
    (
        _set("criteria.0.levels", ["a", "b", "c"]),
        R.ERR_BAD_TYPE.format(expected="a mapping of level → descriptor", got=["a", "b", "c"]),
        "criteria[1].levels",
    ),
]


@pytest.mark.parametrize(("mutate", "message", "field"), INVALID)
def test_invalid_rubric_raises_its_message(mutate: Any, message: str, field: str | None):
    data = copy.deepcopy(_base())
    mutate(data)
    with pytest.raises(FairpanelInputError) as info:
        Rubric.from_dict(data)
    assert info.value.message == message
    assert info.value.field == field


def test_lower_is_better_bands_must_increase():
    data = _base()
    data["scale"]["higher_is_better"] = False
    data["bands"] = [{"name": "fund", "threshold": 2}, {"name": "reject", "threshold": 1.5}]
    with pytest.raises(FairpanelInputError) as info:
        Rubric.from_dict(data)
    expected = R.ERR_BAND_ORDER.format(direction="increasing", name="reject", threshold=1.5)
    assert info.value.message == expected


def test_equal_weights_when_every_weight_is_omitted():
    data = _base()
    for crit in data["criteria"]:
        del crit["weight"]
    assert Rubric.from_dict(data).weights.tolist() == [0.5, 0.5]


def test_not_a_mapping():
    with pytest.raises(FairpanelInputError) as info:
        Rubric.from_dict(["a", "list"])
    assert info.value.message == R.ERR_NOT_MAPPING


# ---------------------------------------------------------------- file-level errors
SMALL_YAML = """\
name: Vote
scale: {min: 1, max: 3}
criteria:
  - id: overall
    levels: {1: reject, 2: maybe, 3: fund}
bands:
  - {name: top, threshold: 2.5}
  - {name: rest, threshold: 1}
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", R.ERR_EMPTY_FILE),
        (SMALL_YAML.replace("Vote", "Vot\xe9").encode("latin-1"), Y.ERR_NOT_UTF8),
        (
            SMALL_YAML.replace(
                "name: Vote", "name: !!python/object/apply:os.system [ls]"
            ).encode(),
            Y.ERR_YAML_TAG.format(tag="!!python/object/apply:os.system", line=1),
        ),
        (
            SMALL_YAML.replace("scale:", "name: Again\nscale:").encode(),
            Y.ERR_DUPLICATE_KEY.format(key="name", line=2),
        ),
        (
            b"name: [Vote\n",
            Y.ERR_YAML.format(problem="expected ',' or ']', but got '<stream end>' at line 2"),
        ),
    ],
    ids=["empty", "not_utf8", "python_tag", "duplicate_key", "not_yaml"],
)
def test_load_rubric_file_errors(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "rubric.yaml"
    path.write_bytes(content)
    with pytest.raises(FairpanelInputError) as info:
        load_rubric(path)
    assert info.value.message == message
    assert info.value.file == str(path)


def test_unquoted_yes_no_descriptor_gets_a_hint(tmp_path: Path):
    # YAML 1.1 turns an unquoted "yes" into True: the descriptor would be lost.
    path = tmp_path / "rubric.yaml"
    path.write_text(SMALL_YAML.replace("3: fund", "3: yes"), encoding="utf-8")
    with pytest.raises(FairpanelInputError) as info:
        load_rubric(path)
    assert info.value.message == R.ERR_BAD_TYPE.format(expected="text", got=True)
    assert info.value.hint == HINT_QUOTE
    assert info.value.field == "criteria[1].levels.3"


def test_load_rubric_accepts_a_byte_order_mark(tmp_path: Path):
    path = tmp_path / "rubric.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL_YAML.encode())
    assert load_rubric(path).name == "Vote"


def test_python_tag_is_never_constructed(tmp_path: Path):
    # A tag that would create a file if PyYAML's unsafe loader were used.
    target = tmp_path / "pwned"
    path = tmp_path / "rubric.yaml"
    path.write_text(f"name: !!python/object/apply:pathlib.Path.touch [{target}]\n")
    with pytest.raises(FairpanelInputError):
        load_rubric(path)
    assert not target.exists()


# --------------------------------------------------------------- totals and bands
def test_totals_weighted_mean_by_hand():
    rubric = Rubric.from_dict(_base())  # weights merit 2, feasibility 1
    wide = pd.DataFrame({"merit": [3, 1, 2], "feasibility": [1, 3, 2]})
    # (2·3 + 1·1)/3 = 7/3, (2·1 + 1·3)/3 = 5/3, 2.
    np.testing.assert_allclose(rubric.totals(wide), [7 / 3, 5 / 3, 2.0])
    assert rubric.totals(wide).name == "total"


def test_totals_renormalise_missing_criterion_scores():
    rubric = Rubric.from_dict(_base())
    wide = pd.DataFrame(
        {"merit": [3.0, np.nan, np.nan], "feasibility": [np.nan, 1.0, np.nan]},
        index=["a", "b", "c"],
    )
    totals = rubric.totals(wide)
    assert totals.index.tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(totals[["a", "b"]], [3.0, 1.0])
    assert np.isnan(totals["c"])
    # A frame holding only some criteria: the others count as missing.
    np.testing.assert_allclose(rubric.totals(pd.DataFrame({"feasibility": [2]})), [2.0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(1, 5)),
            st.one_of(st.none(), st.integers(1, 5)),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_totals_agree_with_numpy_masked_average(rows: list[tuple[int | None, int | None]]):
    # Independent implementation: numpy's masked weighted average, row by row.
    rubric = _lower_is_better()
    values = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    wide = pd.DataFrame(values, columns=["feasibility", "merit"])  # order must not matter
    totals = rubric.totals(wide).to_numpy()
    expected = np.ma.average(
        np.ma.masked_invalid(values), axis=1, weights=np.broadcast_to([1.0, 2.0], values.shape)
    ).filled(np.nan)
    np.testing.assert_allclose(totals, expected, rtol=1e-12)
    finite = totals[~np.isnan(totals)]
    assert np.all((finite >= 1) & (finite <= 5))


def test_band_of_higher_is_better_boundaries():
    rubric = Rubric.from_dict(_base())  # fund ≥ 2.5, reject otherwise
    got = rubric.band_of([3.0, 2.5, 2.4999, 1.0, np.nan, 0.7, 3.2])
    # A calibrated total a little beyond either end still gets the end's band.
    assert got.tolist() == ["fund", "fund", "reject", "reject", None, "reject", "fund"]


def test_band_of_lower_is_better():
    rubric = _lower_is_better()  # fund ≤ 1.5, maybe ≤ 2.5, reject up to 5
    got = rubric.band_of(np.array([1.0, 1.5, 1.51, 2.5, 2.51, 5.0, 5.3, np.nan]))
    assert got.tolist() == ["fund", "fund", "maybe", "maybe", "reject", "reject", "reject", None]


def test_totals_then_bands_on_a_lower_is_better_scale():
    rubric = _lower_is_better()
    wide = pd.DataFrame({"merit": [1, 2, 5], "feasibility": [2, 4, np.nan]})
    totals = rubric.totals(wide)  # 4/3, 8/3, 5
    np.testing.assert_allclose(totals, [4 / 3, 8 / 3, 5.0])
    assert rubric.band_of(totals).tolist() == ["fund", "reject", "reject"]


# -------------------------------------------------------------------- the card
NASTY = "<script>alert(1)</script>"


def _nasty() -> Rubric:
    data = _base()
    data["name"] = f"R&D {NASTY} #1"
    data["purpose"] = "# not a heading\n\n- not a list"
    data["criteria"][0]["title"] = NASTY
    data["criteria"][0]["levels"][2] = "states the question | not the measurement\nsee p. 2"
    data["criteria"][1]["id"] = "feas|ibility"
    data["criteria"][1]["levels"][1] = "Uses *stars*, _underscores_ and [a](javascript:x) link"
    data["bands"][0]["name"] = "<b>fund</b>"
    data["notes"] = f"1. first\n\n{NASTY}\n\n> quoted"
    return Rubric.from_dict(data)


def _cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_markdown_card_telescope():
    rubric = load_rubric(RUBRICS / "telescope.yaml")
    card = render_card(rubric, format="md")
    assert card.startswith("# Telescope observing proposal\n")
    assert "| Criterion | Weight | 5 | 4 | 3 | 2 | 1 |" in card
    for crit in rubric.criteria:
        assert f"**{crit.title}**" in card
    for pct in ("40%", "25%", "20%", "15%"):
        assert f"| {pct} |" in card
    assert "total = 40% × Scientific merit + 25% × Technical feasibility" in card
    assert "| **Excellent** | ≥ 4.5 |" in card
    assert "| **Very good** | ≥ 3.75 and < 4.5 |" in card
    assert "| **Not competitive** | < 3 |" in card
    assert "Notes for reviewers" in card
    assert not any(line.endswith(" ") for line in card.splitlines())


def test_markdown_card_escapes_and_keeps_the_table_shape():
    card = render_card(_nasty(), format="md")
    assert "<script" not in card
    assert "<b>" not in card
    lines = card.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Criterion |"))
    table = lines[header : header + 4]
    assert [len(_cells(row)) for row in table] == [5, 5, 5, 5]
    # An independent GFM renderer sees the same table, the pipe as text, and no live HTML.
    html = MarkdownIt("commonmark").enable("table").render(card)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "states the question | not the measurement see p. 2" in html
    assert "<code>feas|ibility</code>" in html
    assert "<em>" not in html
    assert "<a " not in html
    assert "<h1>R&amp;D &lt;script&gt;alert(1)&lt;/script&gt; #1</h1>" in html
    assert "<p># not a heading</p>" in html
    assert "<p>- not a list</p>" in html
    assert "<p>1. first</p>" in html
    assert "<blockquote>" in html  # only the formula, not the "> quoted" note
    assert html.count("<blockquote>") == 1
    assert html.count("<tr>") == 3 + 3  # header + two criteria, header + two bands


def test_html_card_escapes_and_is_self_contained():
    card = render_card(_nasty(), format="html")
    assert card.startswith("<!DOCTYPE html>")
    assert "<script" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&lt;b&gt;fund&lt;/b&gt;" in card
    assert "states the question | not the measurement see p. 2" in card
    for external in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert external not in card
    assert "<style>" in card
    assert "@media print" in card


def test_html_card_content():
    rubric = load_rubric(RUBRICS / "research_grant.yaml")
    card = render_card(rubric, format="html")
    assert "<h1>Research grant proposal</h1>" in card
    assert "from 1 to 6; higher is better: 6 is the best level, 1 the worst" in card
    assert card.count("<tr>") == 1 + len(rubric.criteria) + 1 + len(rubric.bands)
    assert '<td class="fp-weight">35%</td>' in card
    assert '<td class="fp-range">≥ 5.25</td>' in card


def test_card_fragment_for_reports():
    rubric = Rubric.from_dict(_base())
    html = render_card(rubric, format="html", standalone=False)
    assert html.lstrip().startswith('<section class="fp-card"')
    assert "<html" not in html
    md = render_card(rubric, format="md", standalone=False)
    assert md.startswith("## Small test rubric\n")
    assert "\n### Bands\n" in md


def test_card_model_lower_is_better():
    model = card_model(_lower_is_better())
    assert model["direction"] == "lower is better: 1 is the best level, 5 the worst"
    assert model["points"] == [1, 2, 3, 4, 5]
    assert [lvl["value"] for lvl in model["criteria"][0]["levels"]] == [1, 2, 3, 4, 5]
    assert [b["range"] for b in model["bands"]] == ["≤ 1.5", "≤ 2.5 and > 1.5", "> 2.5"]
    assert [c["percent"] for c in model["criteria"]] == ["66.7%", "33.3%"]


def test_single_criterion_card():
    card = render_card(Rubric.single_criterion(minimum=1, maximum=4), format="md")
    assert "its score on the one criterion" in card
    assert "| **scored** | every total |" in card


def test_render_card_rejects_unknown_format():
    with pytest.raises(
        ValueError, match=re.escape(ERR_FORMAT.format(allowed="'md', 'html'", got="pdf"))
    ):
        render_card(Rubric.from_dict(_base()), format="pdf")  # type: ignore[arg-type]


# ------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("name", SHIPPED)
def test_cli_check_shipped(name: str):
    result = CliRunner().invoke(app, ["rubric", "check", str(RUBRICS / name)])
    assert result.exit_code == 0, result.output
    assert "valid rubric" in result.stderr
    assert result.stdout == ""


def test_cli_check_bad_rubric(tmp_path: Path):
    data = SMALL_YAML.replace("threshold: 1}", "threshold: 2}")
    path = tmp_path / "r.yaml"
    path.write_text(data, encoding="utf-8")
    result = CliRunner().invoke(app, ["rubric", "check", str(path)])
    assert result.exit_code == 2
    message = R.ERR_BAND_COVER.format(name="rest", end=1)
    assert result.stderr == (f"fairpanel: error: {path}, field 'bands[2].threshold': {message}\n")


def test_cli_show_markdown_to_stdout_equals_library():
    path = RUBRICS / "faculty_hire.yaml"
    result = CliRunner().invoke(app, ["rubric", "show", str(path), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert result.stdout == render_card(load_rubric(path), format="md")


@pytest.mark.parametrize(
    ("args", "fmt"),
    [
        (["--out", "card.html"], "html"),
        (["--out", "card.txt"], "md"),
        (["--format", "html", "--out", "card.txt"], "html"),
    ],
)
def test_cli_show_writes_file(tmp_path: Path, args: list[str], fmt: str):
    path = RUBRICS / "telescope.yaml"
    out = tmp_path / args[-1]
    args = [*args[:-1], str(out)]
    result = CliRunner().invoke(app, ["rubric", "show", str(path), *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == render_card(load_rubric(path), format=fmt)
    assert str(out) in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_cli_show_bad_format():
    result = CliRunner().invoke(
        app, ["rubric", "show", str(RUBRICS / "telescope.yaml"), "--format", "pdf"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""


def test_docs_example_rubric_is_valid(tmp_path: Path):
    # docs/rubrics.md shows a minimal rubric and the output of checking it: keep both true.
    doc = (Path(__file__).parents[1] / "docs" / "rubrics.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.DOTALL)
    assert example is not None
    path = tmp_path / "travel.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    rubric = load_rubric(path)
    wide = pd.DataFrame({"relevance": [3], "budget": [1]})
    assert rubric.band_of(rubric.totals(wide)).tolist() == ["Do not fund"]  # 7/3 < 2.5
    result = CliRunner().invoke(app, ["rubric", "check", str(path)])
    shown = "travel.yaml: valid rubric 'Travel grant' — 2 criteria, 2 bands, scale 1–3"
    assert shown in doc
    assert result.stderr == shown.replace("travel.yaml", str(path)) + "\n"


def test_docs_worked_total():
    # The worked example in docs/rubrics.md: weights 40/25/20/15, scores 4, 5, blank, 3.
    rubric = load_rubric(RUBRICS / "telescope.yaml")
    wide = pd.DataFrame(
        {
            "scientific_merit": [4.0],
            "technical_feasibility": [5.0],
            "resource_justification": [np.nan],
            "data_legacy": [3.0],
        }
    )
    assert rubric.totals(wide).tolist() == [pytest.approx(4.125)]
