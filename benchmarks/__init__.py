"""Performance targets of fairpanel, each measured against a named baseline in the same run."""
