"""The import rules of docs/architecture.md, read from the source with ast (no import runs).

Every `import` and `from ... import` counts, wherever it stands (in a function, under
TYPE_CHECKING): a model named by a string ("payers.Payer") is not an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

APPS = (
    "accounts",
    "patients",
    "payers",
    "worklists",
    "intake",
    "x12feed",
    "feeds",
    "reports",
    "fhirapi",
    "demo",
)
# authq's modules besides authq.lib: the project's wiring, which no app may import.
WIRING = (
    "authq",
    "authq.settings",
    "authq.urls",
    "authq.api_urls",
    "authq.celery",
    "authq.wsgi",
    "authq.asgi",
    "authq.middleware",
    "authq.context_processors",
    "authq.errors",
    "authq.backends",
    "authq.gunicorn_conf",
    "authq.mail",
)

# package -> the packages it may not import (besides the wiring, which none may).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "authq.lib": APPS,
    "accounts": (
        "patients",
        "payers",
        "worklists",
        "intake",
        "x12feed",
        "feeds",
        "reports",
        "fhirapi",
        "demo",
    ),
    "patients": ("payers", "worklists", "intake", "x12feed", "feeds", "reports", "fhirapi", "demo"),
    "payers": ("worklists", "intake", "x12feed", "feeds", "reports", "fhirapi", "demo"),
    "worklists": ("intake", "x12feed", "feeds", "reports", "fhirapi", "demo"),
    "intake": ("x12feed", "feeds", "reports", "fhirapi", "demo"),
    # Feeds above the records: nothing imports them, they import no other feed, but the
    # live feed reads intake's import profiles (payer ids, assigning authority).
    "x12feed": ("intake", "feeds", "reports", "fhirapi", "demo"),
    "feeds": ("x12feed", "reports", "fhirapi", "demo"),
    "fhirapi": ("intake", "x12feed", "feeds", "reports", "demo"),
    "reports": ("intake", "x12feed", "feeds", "fhirapi", "demo"),
    "demo": ("intake", "x12feed", "feeds", "reports", "fhirapi"),
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path) -> set[str]:
    """The modules a file imports, relative imports resolved; `from a import b` gives both
    `a` and `a.b` (b may be a module)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(root: Path) -> list[str]:
    """Each import that breaks a rule, as `file: module`."""
    found = []
    for package, forbidden in FORBIDDEN.items():
        folder = root.joinpath(*package.split("."))
        for path in sorted(folder.rglob("*.py")):
            for module in sorted(imported_modules(path, root)):
                if any(_within(module, f) for f in forbidden) or (
                    module in WIRING and not _within(module, "authq.lib")
                ):
                    found.append(f"{path.relative_to(root)}: {module}")
    return found


def test_the_apps_and_authq_lib_keep_the_import_rules():
    assert violations(ROOT) == []


def test_every_app_is_under_a_rule():
    # A new app joins FORBIDDEN (and docs/architecture.md) before its first import.
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert packages == set(FORBIDDEN) - {"authq.lib"}


def test_a_forbidden_import_is_reported_wherever_it_stands(tmp_path):
    files = {
        "authq/__init__.py": "",
        "authq/lib/__init__.py": "",
        "authq/lib/good.py": "from authq.lib import bounds\nimport django\n",
        "authq/lib/bad.py": "def f():\n    from worklists import scan\n",
        "patients/__init__.py": "",
        "patients/models.py": 'fk = "payers.Payer"\nfrom . import validators\n',
        "patients/services.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import payers.models\n"
        ),
        "payers/__init__.py": "",
        "payers/views.py": "from patients import models\nfrom authq import middleware\n",
        "accounts/__init__.py": "",
        "accounts/forms.py": "from . import roles\nfrom ..worklists import roles\n",
        "worklists/__init__.py": "",
        "worklists/api.py": "from authq.lib.records import KeyFilter\nfrom payers import api\n",
        "demo/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert violations(tmp_path) == [
        "authq/lib/bad.py: worklists",
        "authq/lib/bad.py: worklists.scan",
        "accounts/forms.py: worklists",
        "accounts/forms.py: worklists.roles",
        "patients/services.py: payers.models",
        "payers/views.py: authq",
        "payers/views.py: authq.middleware",
    ]
