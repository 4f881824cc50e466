"""The rules of the house that a reviewer checks first, checked on every run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DISCORD_ALLOWED = ("bot/client.py", "bot/sandbox/")
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b")


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_the_core_knows_no_discord() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("bot/**/*.py")
        if not str(path.relative_to(ROOT)).startswith(DISCORD_ALLOWED) and "discord" in imported_modules(path)
    ]
    assert offenders == []


def test_no_sql_in_cogs() -> None:
    offenders = [
        str(p.relative_to(ROOT)) for p in ROOT.glob("cogs/**/*.py") if SQL.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_cogs_stay_thin_and_leave_the_flow_to_the_services() -> None:
    """Rule 2: a cog adapts (under 400 lines); what the bot sends on its own is a ledger row written by
    a service, so no cog sends a DM or drives the scheduler itself."""
    flow = re.compile(r"scheduler\.(rebuild|run_due|notify)|send_dm\(")
    too_long = [str(p.relative_to(ROOT)) for p in ROOT.glob("cogs/*.py") if len(p.read_text().splitlines()) >= 400]
    driving = [str(p.relative_to(ROOT)) for p in ROOT.glob("cogs/**/*.py") if flow.search(p.read_text())]
    assert (too_long, driving) == ([], [])
