"""The import contracts (pyproject.toml) cover every package of the project, `make lint`
checks them, and they hold: no package imports a layer above it, the feature apps import
none of each other, the kernel imports no project package."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def project_apps() -> set[str]:
    return {c.name for c in apps.get_app_configs() if Path(c.path).parent == ROOT}


def test_every_app_of_the_project_is_in_one_layer():
    layers = next(c for c in CONTRACTS["contracts"] if c["type"] == "layers")["layers"]
    layered = [name.strip() for layer in layers for name in re.split(r"[:|]", layer)]
    assert sorted(layered) == sorted(project_apps()) == sorted(CONTRACTS["root_packages"])
    assert layers[-1] == "core" and layers[0] == "cooprogreso"


def test_the_feature_apps_are_independent():
    independence = next(c for c in CONTRACTS["contracts"] if c["type"] == "independence")
    assert set(independence["modules"]) == {"transfers", "cards", "payments", "enterprise"}


def test_make_lint_checks_the_contracts_and_they_hold():
    makefile = (ROOT / "Makefile").read_text()
    assert "$(BIN)/lint-imports" in makefile.split("\nlint:")[1].split("\n\n")[0]
    result = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
