"""Every table in and out: reading the committee's tables with clear errors, writing outputs.

Each loader checks one table against its column contract (:data:`fairpanel._schema.TABLES`)
and raises one :class:`~fairpanel.FairpanelInputError` naming the file, the spreadsheet
row and the column, with what to do. Consumers (strategies, audit, report) call the
loaders on what they are handed; a frame a loader returned is not checked twice.
"""

from fairpanel.io._capacities import load_capacities
from fairpanel.io._checks import ERR_NOT_BOOL, bool_mask
from fairpanel.io._column_map import ColumnMap, read_column_map
from fairpanel.io._counts import load_counts
from fairpanel.io._decisions import load_decisions
from fairpanel.io._derive import submissions_from_reviews
from fairpanel.io._outputs import OutputTransaction, check_output_target, open_outputs
from fairpanel.io._provenance import (
    PROVENANCE_SUFFIX,
    FileRecord,
    OutputProvenance,
    RecordedProvenance,
    read_provenance,
    sidecar_path,
)
from fairpanel.io._quotas import Quota, QuotaTable, load_quotas
from fairpanel.io._read import SUPPORTED_SUFFIXES, read_table
from fairpanel.io._reviews import REVIEW_COLUMNS, load_reviews
from fairpanel.io._scores import load_allocation, load_scores
from fairpanel.io._submissions import load_submissions
from fairpanel.io._targets import guard_outputs
from fairpanel.io._write import write_bytes, write_frame, write_json, write_text

__all__ = [
    "ERR_NOT_BOOL",
    "PROVENANCE_SUFFIX",
    "REVIEW_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "ColumnMap",
    "FileRecord",
    "OutputProvenance",
    "OutputTransaction",
    "Quota",
    "QuotaTable",
    "RecordedProvenance",
    "bool_mask",
    "check_output_target",
    "guard_outputs",
    "load_allocation",
    "load_capacities",
    "load_counts",
    "load_decisions",
    "load_quotas",
    "load_reviews",
    "load_scores",
    "load_submissions",
    "open_outputs",
    "read_column_map",
    "read_provenance",
    "read_table",
    "sidecar_path",
    "submissions_from_reviews",
    "write_bytes",
    "write_frame",
    "write_json",
    "write_text",
]
