"""JSON both ways for every result type: plain values out, checked values in, a schema stamp.

Out: :func:`jsonable` turns numpy and pandas values into plain JSON (NaN and missing
values become ``null``; ``json.dumps(..., allow_nan=False)`` always works) and
:func:`records` does it for a table. In: :class:`Node` reads a parsed JSON document
with typed getters whose errors name the path of the bad value
(``scores[3].expected_rank``), and :func:`table` turns checked records back into a
frame. Every result's ``to_dict`` carries :func:`stamp` under ``"schema"``, and its
``from_dict`` calls :func:`check_schema`: a file without the key is version 1, the
layout every result had before the stamp existed, so files from earlier years still
read.

Layer 1: pandas is imported only inside :func:`table`; numpy and pandas values are
recognised by what they can do (``item``, ``tolist``), not by their types.

``_write`` holds the way out, ``_read`` (the file and its stamp) and ``_node`` (the
typed getters) the way in; import them from here.
"""

from fairpanel._json._node import ERR_MISSING, ERR_TYPE, Kind, Node, table
from fairpanel._json._read import (
    ERR_SCHEMA_NAME,
    ERR_SCHEMA_VERSION,
    check_schema,
    read_json,
    within,
)
from fairpanel._json._write import ERR_KEY, ERR_NOT_JSON, SCHEMA_KEY, jsonable, records, stamp

__all__ = [
    "ERR_KEY",
    "ERR_MISSING",
    "ERR_NOT_JSON",
    "ERR_SCHEMA_NAME",
    "ERR_SCHEMA_VERSION",
    "ERR_TYPE",
    "SCHEMA_KEY",
    "Kind",
    "Node",
    "check_schema",
    "jsonable",
    "read_json",
    "records",
    "stamp",
    "table",
    "within",
]
