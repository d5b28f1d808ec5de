"""The library stands alone: no web or database framework, no other part of the app."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import wallet.openbadges

LIBRARY = Path(wallet.openbadges.__file__).parent
MODULES = sorted(f"wallet.openbadges.{info.name}" for info in pkgutil.iter_modules([str(LIBRARY)]))

# `wallet/__init__.py` builds the Flask app, so the child process registers a bare `wallet`
# package first: only the library's own imports are then loaded.
PROBE = """
import importlib, json, sys, types
package = types.ModuleType("wallet")
package.__path__ = [sys.argv[1]]
sys.modules["wallet"] = package
importlib.import_module(sys.argv[2])
print(json.dumps(sorted(sys.modules)))
"""

FORBIDDEN = {"flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug", "flask_babel", "requests"}
# PyLD builds a requests-based default document loader when it is imported; we never use it
# (every call passes our bundled-only loader: test_jsonld proves it), so requests loaded by PyLD
# alone is tolerated.
LOADED_BY_PYLD = {"requests"}


def test_every_module_is_probed() -> None:
    assert {"wallet.openbadges.v2", "wallet.openbadges.baking", "wallet.openbadges.verify"} <= set(
        MODULES
    )


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_no_framework_and_nothing_else_of_the_app(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(LIBRARY.parent), module],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(result.stdout))
    assert module in loaded
    tolerated = LOADED_BY_PYLD if "pyld" in loaded else set()
    assert not {name for name in loaded if name.split(".")[0] in FORBIDDEN - tolerated}
    app_modules = {name for name in loaded if name.startswith("wallet.")}
    assert all(name.startswith("wallet.openbadges") for name in app_modules), app_modules
