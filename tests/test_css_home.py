"""Styles have one home, static/css/, and no page carries a style of its own (CSP S4)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(settings.BASE_DIR)
SKIPPED = {"var", "node_modules", "__pycache__"}


def project_files() -> list[Path]:
    """The project's own files (not the virtualenvs, tools or data under var/)."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED]
        found += [Path(folder, name) for name in files]
    return found


FILES = project_files()
TEMPLATES = [path for path in FILES if "templates" in path.relative_to(ROOT).parts]
LINKED = re.compile(r"""\{% static ['"]([^'"]+\.css)['"] %\}""")


def test_every_stylesheet_a_page_links_is_in_static_css() -> None:
    linked = {name for path in TEMPLATES for name in LINKED.findall(path.read_text())}
    assert {"css/app.css", "css/pages.css", "css/item.css"} <= linked
    for name in linked:
        found = finders.find(name)
        assert found and Path(found).parent == ROOT / "static" / "css", name


def test_no_stylesheet_lives_anywhere_else() -> None:
    sheets = [path.relative_to(ROOT) for path in FILES if path.suffix == ".css"]
    assert sheets and all(path.parent == Path("static/css") for path in sheets), sheets


def test_no_template_writes_a_style() -> None:
    for path in TEMPLATES:
        text = path.read_text()
        assert "<style" not in text and " style=" not in text, path
