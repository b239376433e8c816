"""The package version, in one place (read by hatchling and by reports)."""

__version__ = "0.1.0"
