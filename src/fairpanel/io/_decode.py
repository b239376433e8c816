"""Bytes to text for the table readers: the encoding given, checked, and a guess when wrong.

A committee's CSV comes from Excel on Windows (cp1252), a Mac (UTF-8 with or without a
byte-order mark), an old system (Latin-1) or a database export (UTF-16). Decoding fails
with one line that names the row of the first bad byte and the encoding the file most
likely has; a byte-order mark contradicting ``--encoding``, NUL bytes (UTF-16 read as
8-bit text) and lone surrogates (which no UTF-8 file can hold, and pandas' reader and
every writer would fail on much later) are refused the same way.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

import numpy as np

from fairpanel._errors import FairpanelInputError

__all__ = ["decode"]

ERR_NOT_TEXT = "the file is not {encoding} text (byte 0x{byte:02x}){guess}"
ERR_CODEC = "cannot decode the file as {encoding}: {problem}"
ERR_UNKNOWN_ENCODING = "unknown text encoding '{encoding}'"
ERR_BOM = "the file starts with a {bom} byte-order mark, but --encoding {encoding} was given"
ERR_NUL = "the file holds NUL bytes, so it is not {encoding} text{guess}"
ERR_SURROGATE = (
    "the file holds a character that is not valid text (U+{code:04X}, half of a UTF-16 pair)"
)
HINT_ENCODING = "re-run with --encoding {suggest}, or save the file as UTF-8"
HINT_BOM = "leave out --encoding (the mark says the file is {bom}), or save the file as UTF-8"
HINT_CODEC = "use a Python codec name such as utf-8, latin-1 or cp1252"

#: Bytes 0x80–0x9F are printable in Windows-1252 (curly quotes, dashes, €) but control
#: characters in Latin-1; Excel on Windows writes them, so their presence points to cp1252.
_CP1252_ONLY = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def decode(data: bytes, encoding: str, source: str) -> str:
    """Decode a table file's bytes, or raise one line saying why not and what to do.

    Parameters
    ----------
    data : bytes
        The whole file.
    encoding : str
        The ``--encoding`` given (``utf-8`` accepts a byte-order mark).
    source : str
        The file's name, for the error.

    Returns
    -------
    str
        The text.
    """
    try:
        codec = codecs.lookup(encoding)
        if not getattr(codec, "_is_text_encoding", True):
            raise LookupError(encoding)  # rot13, base64: codecs, but not text encodings
    except LookupError:
        raise FairpanelInputError(
            ERR_UNKNOWN_ENCODING.format(encoding=encoding), file=source, hint=HINT_CODEC
        ) from None
    _check_bom(data, codec.name, encoding, source)
    # Excel's "CSV UTF-8" export starts with a byte-order mark; it is not data.
    name = "utf-8-sig" if codec.name == "utf-8" else codec.name
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        # The line of the first bad byte is its spreadsheet row (header = line 1).
        line = data.count(b"\n", 0, exc.start) + 1
        guess, suggest = _guess_encoding(data)
        shown = "UTF-8" if codec.name == "utf-8" else encoding
        raise FairpanelInputError(
            ERR_NOT_TEXT.format(
                encoding=shown,
                byte=data[exc.start],
                guess=f"; it looks like {guess}" if guess else "",
            ),
            file=source,
            row=line,
            hint=HINT_ENCODING.format(suggest=suggest),
        ) from None
    except (UnicodeError, ValueError) as exc:  # idna, punycode: not a table's encoding
        raise FairpanelInputError(
            ERR_CODEC.format(encoding=encoding, problem=" ".join(str(exc).split())),
            file=source,
            hint=HINT_CODEC,
        ) from None
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        raise FairpanelInputError(
            ERR_SURROGATE.format(code=ord(surrogate.group())),
            file=source,
            row=text.count("\n", 0, surrogate.start()) + 1,
            hint="save the file as UTF-8 text",
        )
    if "\x00" in text:
        # UTF-16 without a byte-order mark decodes "as" UTF-8 or Latin-1 with a NUL
        # between letters; no committee's table holds NUL on purpose.
        utf16 = data[1::2].count(0) + data[::2].count(0) > len(data) // 4
        raise FairpanelInputError(
            ERR_NUL.format(
                encoding="UTF-8" if codec.name == "utf-8" else encoding,
                guess="; it looks like UTF-16 without a byte-order mark" if utf16 else "",
            ),
            file=source,
            row=text.count("\n", 0, text.index("\x00")) + 1,
            hint="re-run with --encoding utf-16-le (or utf-16-be), or save the file as UTF-8"
            if utf16
            else "export the table again as text",
        )
    return text


#: A lone UTF-16 surrogate: what ``unicode_escape`` and friends decode "\\ud800" to. It
#: cannot be written as UTF-8 (nor parsed by pandas' C reader, which encodes the text).
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")

#: Byte-order marks, and the codec each one names.
_BOMS: Final = (
    (codecs.BOM_UTF8, "UTF-8", ("utf-8",)),
    (codecs.BOM_UTF16_LE, "UTF-16", ("utf-16", "utf-16-le")),
    (codecs.BOM_UTF16_BE, "UTF-16", ("utf-16", "utf-16-be")),
)


def _check_bom(data: bytes, codec: str, given: str, source: str) -> None:
    """Refuse an ``--encoding`` the file's own byte-order mark contradicts.

    Decoding a UTF-8 file with a mark as Latin-1 would turn the mark into the letters
    ``ï»¿`` glued to the first column's name; the mark is the file's own statement of
    its encoding, so a different ``--encoding`` is a mistake to name, not to guess
    around. A UTF-16 mark read as UTF-8 is left to the decoding error, which says so.
    """
    for mark, name, codecs_ in _BOMS:
        if data.startswith(mark) and codec not in codecs_ and codec != "utf-8":
            raise FairpanelInputError(
                ERR_BOM.format(bom=name, encoding=given),
                file=source,
                row=1,
                hint=HINT_BOM.format(bom=name),
            )


def _guess_encoding(data: bytes) -> tuple[str, str]:
    """Name the encoding a non-UTF-8 file most likely has, and the option value for it.

    A cheap heuristic, not a detector: byte-order marks identify UTF-16; otherwise
    Western-European spreadsheets write Windows-1252 or Latin-1, told apart by the
    bytes only Windows-1252 prints.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16 (a byte-order mark starts the file)", "utf-16"
    high = np.frombuffer(data, dtype=np.uint8)
    if np.isin(high, np.fromiter(_CP1252_ONLY, dtype=np.uint8)).any():
        return "Windows-1252 (cp1252)", "cp1252"
    return "Latin-1 (ISO-8859-1)", "latin-1"
