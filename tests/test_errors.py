"""``FairpanelInputError``: one line naming the file, row, column and hint."""

from fairpanel import FairpanelInputError


def test_message_names_file_row_column_and_hint_on_one_line():
    err = FairpanelInputError(
        "score 9 is off the scale 1–6",
        file="reviews.csv",
        row=4,
        column="score",
        hint="use a level\nof the rubric",
    )
    assert str(err) == (
        "reviews.csv, row 4, column 'score': score 9 is off the scale 1–6; use a level of the rubric"
    )
    assert "\n" not in str(err)


def test_with_file_keeps_the_rest():
    err = FairpanelInputError("bad weight", field="criteria[2].weight").with_file("r.yaml")
    assert str(err) == "r.yaml, field 'criteria[2].weight': bad weight"
    assert isinstance(err, ValueError)
