"""The docs keep up with the code: every command, every setting, every relative link.

Names are read from the code (the management command files, the settings' `env` reads,
`.env.example`), never from a list kept here, so a new command or setting without docs fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("marketpulse", "articles", "ingest", "sentiment", "ops")
LINK = re.compile(r"\]\(([^)\s]+)\)")
ENV_READ = re.compile(r"""\benv(?:\.[a-z_]+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")
DOTENV_NAME = re.compile(r"^#? ?([A-Z][A-Z0-9_]+)=", re.MULTILINE)


def commands() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app / "management" / "commands").glob("*.py")):
            if not path.name.startswith("_"):
                found.append(path.stem)
    return found


def settings_names() -> set[str]:
    names = set(ENV_READ.findall((ROOT / "marketpulse" / "settings.py").read_text()))
    names |= set(DOTENV_NAME.findall((ROOT / ".env.example").read_text()))
    return names


def markdown_files() -> list[Path]:
    return [
        ROOT / "README.md",
        ROOT / "BENCHMARKS.md",
        *sorted((ROOT / "docs").rglob("*.md")),
        *sorted((ROOT / "benchmarks").rglob("*.md")),
    ]


def test_the_code_has_commands_and_settings_to_check():
    assert len(commands()) >= 10 and "scrape_reddit" in commands()
    assert len(settings_names()) >= 40 and "DATABASE_URL" in settings_names()


@pytest.mark.parametrize("name", commands())
def test_every_management_command_is_in_commands_md(name):
    text = (ROOT / "docs" / "commands.md").read_text()
    assert f"## {name}\n" in text, f"docs/commands.md has no '## {name}' section"
    assert f"manage.py {name}" in text, f"docs/commands.md has no example of manage.py {name}"


@pytest.mark.parametrize("name", sorted(settings_names()))
def test_every_setting_is_in_configuration_md(name):
    assert f"`{name}`" in (ROOT / "docs" / "configuration.md").read_text(), f"docs/configuration.md misses {name}"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    broken = []
    for target in LINK.findall(path.read_text()):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        file_part = target.split("#", 1)[0]
        if not (path.parent / file_part).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)}: links to missing files: {broken}"
