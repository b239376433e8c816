"""The public API: every name in ``fairpanel.__all__`` is importable and documented."""

import inspect

import fairpanel


def test_all_names_exist_and_are_documented():
    for name in fairpanel.__all__:
        obj = getattr(fairpanel, name)
        if name == "__version__":
            assert isinstance(obj, str)
            continue
        assert inspect.getdoc(obj), f"{name} has no docstring"


def test_all_has_no_duplicates():
    names = [n for n in fairpanel.__all__ if n != "__version__"]
    assert len(set(names)) == len(names)
