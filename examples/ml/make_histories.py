"""Write the ML examples: a clean history, one with every failure planted, and a shifted
"real" source (run from the repository root: python examples/ml/make_histories.py)."""

from pathlib import Path

from fairpanel.io import write_frame
from fairpanel.ml import generate_history

HERE = Path(__file__).parent
PLANTED = {"proxy": True, "leakage": True, "artifact": True, "biased": True}

write_frame(HERE / "history_clean.csv", generate_history(150, cycles=3, seed=2026))
write_frame(HERE / "history_planted.csv", generate_history(150, cycles=3, seed=2026, **PLANTED))
write_frame(
    HERE / "shifted_real.csv", generate_history(150, cycles=3, seed=7, source="real", **PLANTED)
)
