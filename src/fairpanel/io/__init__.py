"""Reading the committee's tables with clear errors, and writing outputs atomically."""

from fairpanel.io._read import SUPPORTED_SUFFIXES, read_table
from fairpanel.io._reviews import REVIEW_COLUMNS, load_reviews
from fairpanel.io._submissions import load_submissions
from fairpanel.io._write import guard_outputs, write_bytes, write_frame, write_json, write_text

__all__ = [
    "REVIEW_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "guard_outputs",
    "load_reviews",
    "load_submissions",
    "read_table",
    "write_bytes",
    "write_frame",
    "write_json",
    "write_text",
]
