"""One error type for bad input, naming the file, row and column a person must fix.

Rows are counted the way a spreadsheet shows them: the header is row 1, so the first
data row is row 2. The CLI turns this error into one line on stderr and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FairpanelInputError"]


class FairpanelInputError(ValueError):
    """Input a committee must fix: a file, a row, a column and what to do.

    Parameters
    ----------
    message : str
        What is wrong, as one sentence without a trailing period.
    file : str or Path, optional
        The file the problem is in (its name as the user gave it).
    row : int, optional
        The spreadsheet row (header = 1, first data row = 2).
    column : str, optional
        The column name as it appears in the file.
    field : str, optional
        For structured files (a rubric's YAML), the key path, e.g. ``criteria[2].weight``.
    hint : str, optional
        What to do about it.

    Examples
    --------
    >>> err = FairpanelInputError("score 9 is off the scale 1–6", file="reviews.csv",
    ...                           row=4, column="score", hint="use a level of the rubric")
    >>> str(err)
    "reviews.csv, row 4, column 'score': score 9 is off the scale 1–6; use a level of the rubric"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.field = field
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        text = self.message if not where else f"{', '.join(where)}: {self.message}"
        if self.hint:
            text = f"{text}; {self.hint}"
        # One line, always: the CLI prints this as-is.
        return " ".join(text.split())

    def with_file(self, file: str | Path) -> FairpanelInputError:
        """Return a copy that names ``file`` (used when a frame-level check knows no path).

        Parameters
        ----------
        file : str or Path
            The file to name, as the user gave it. It replaces any file the error
            already names; message, row, column, field and hint are kept.

        Returns
        -------
        FairpanelInputError
            A new error; this one is not changed.

        Examples
        --------
        >>> err = FairpanelInputError("duplicate review", row=3, column="reviewer_id")
        >>> str(err.with_file("reviews.csv"))
        "reviews.csv, row 3, column 'reviewer_id': duplicate review"
        """
        return FairpanelInputError(
            self.message,
            file=file,
            row=self.row,
            column=self.column,
            field=self.field,
            hint=self.hint,
        )
