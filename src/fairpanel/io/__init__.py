"""Reading the committee's tables with clear errors, and writing outputs atomically."""

from fairpanel.io._write import guard_outputs, write_bytes, write_frame, write_json, write_text

__all__ = ["guard_outputs", "write_bytes", "write_frame", "write_json", "write_text"]
