"""The README, .env.example and deploy/ say what the code does (and the README says it once)."""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from pathlib import Path, PurePosixPath

from bot.__main__ import parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
SERVICE = ROOT / "deploy" / "habitat-bot.service"
INSTRUCTIONS = {"FROM", "WORKDIR", "COPY", "RUN", "ENV", "USER", "VOLUME", "CMD", "ARG", "LABEL", "EXPOSE"}


def fenced(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0], line.split(None, 1)[1].strip()) for line in lines]


def test_the_readme_opens_with_the_two_commands() -> None:
    first_block = fenced("sh")[0].splitlines()
    assert [line.split()[:2] for line in first_block] == [["make", "run"], ["make", "test"]]
    assert "bac à sable" in first_block[0]


def test_every_command_line_command_is_in_the_readme_once() -> None:
    listed = re.search(r"\{([a-z,-]+)\}", parser().format_usage())
    assert listed is not None
    for name in listed.group(1).split(","):
        assert len(re.findall(rf"^\| `{name}[ `]", README, flags=re.MULTILINE)) == 1, name
    assert README.count("python -m bot migrate") <= 1


def test_the_readme_shows_the_deploy_files_as_they_are() -> None:
    assert fenced("ini") == [SERVICE.read_text(encoding="utf-8")]
    assert fenced("dockerfile") == [DOCKERFILE.read_text(encoding="utf-8")]


def test_the_systemd_unit_runs_the_bot_from_its_folder_and_restarts_it() -> None:
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(SERVICE.read_text(encoding="utf-8"))
    service = unit["Service"]
    folder = PurePosixPath(service["WorkingDirectory"])
    assert service["User"] and service["User"] != "root"
    assert PurePosixPath(service["EnvironmentFile"]) == folder / ".env"
    assert service["Restart"] == "on-failure"
    python, *argv = service["ExecStart"].split()
    assert PurePosixPath(python) == folder / ".venv" / "bin" / "python"
    assert argv[:2] == ["-m", "bot"]
    # `run`, not the default: without a token a service must stop, not open the sandbox.
    assert parser().parse_args(argv[2:]).command == "run"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_dockerfile_is_well_formed_and_copies_no_secret_nor_database() -> None:
    steps = instructions()
    assert {name for name, _ in steps} <= INSTRUCTIONS
    assert steps[0][0] == "FROM"
    python = re.fullmatch(r"python:3\.(\d+)-slim", steps[0][1])
    assert python is not None
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert int(python.group(1)) >= int(requires.removeprefix(">=3."))
    for name, rest in steps:
        if name == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source not in (".", "data", ".env") and not source.endswith(".sqlite3"), source
    users = [rest for name, rest in steps if name == "USER"]
    assert users and users[-1] != "root"
    cmd = json.loads(next(rest for name, rest in steps if name == "CMD"))
    assert cmd[:3] == ["python", "-m", "bot"] and parser().parse_args(cmd[3:]).command == "run"
    env = dict(pair.split("=", 1) for name, rest in steps if name == "ENV" for pair in rest.split())
    volume = PurePosixPath(next(rest for name, rest in steps if name == "VOLUME"))
    assert volume in PurePosixPath(env["DATABASE_PATH"]).parents


def test_env_example_lists_every_setting_and_only_those() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", text, flags=re.MULTILINE))
    assert named == {name.upper() for name in Settings.model_fields}
    # A DATABASE_PATH in .env would override the container's; the default is said instead.
    assert not re.search(r"^DATABASE_PATH=", text, flags=re.MULTILINE)


def test_the_demo_members_are_who_the_readme_says() -> None:
    from bot.sandbox.demo import build_demo
    from bot.sandbox.emulator import Emulator
    from bot.sandbox.state import ADMINISTRATOR

    demo = build_demo(Emulator())
    section = README.split("## Les membres de démonstration", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", section, flags=re.MULTILINE))
    assert set(rows) == set(demo.users)
    guild = demo.guild

    def roles(name: str) -> set[str]:
        return {guild.roles[role_id].name for role_id in guild.members[demo.user(name).id].roles}

    assert guild.base_permissions(demo.user("camille").id) & ADMINISTRATOR and "Bureau" in roles("camille")
    assert "administratrice" in rows["camille"] and "Bureau" in rows["camille"]
    assert roles("dominique") == {"Organisateurs"} and "Organisateurs" in rows["dominique"]
    assert roles("morgane") == {"Modérateurs"} and "Modérateurs" in rows["morgane"]
    assert roles("alex") == roles("sam") == set()
    assert demo.user("sam").locale == "en-US" and "anglais" in rows["sam"]
    assert 'titre:"Portes ouvertes"' in section
