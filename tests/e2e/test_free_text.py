"""Free text as members type it, through the real client and the emulator (issue 10).

Every free-text option of the bot's commands (found by walking the real command tree, autocompleted
ones included: a member may ignore the suggestions) and every text field of the forms they open gets
nasty text from hypothesis: up to the option's length (2,000 characters when it has none), emoji,
combining marks, mentions, markdown, bidi and zero-width characters. Each time the member is answered
in time, nothing the bot sends breaks Discord's limits (the emulator checks every request), nobody is
pinged, and a refusal is private, changes nothing in the database and gives back what was typed.

Then the error handler's answers to what discord.py raises itself: out-of-range values Discord's
client would not send, conversions that fail, commands out of step, errors after a deferral.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import string
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import cogs.ui.errors
from bot.client import HabitatBot, walk_commands
from bot.config import Settings
from bot.errors import UserError
from bot.events.models import Manager
from bot.events.questions import QuestionDraft, QuestionKind
from bot.i18n import gettext
from bot.recurrence import Frequency
from bot.sandbox.driver import Driver, Message, Reply
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox, furnish, invite, sandbox
from bot.sandbox.state import User
from bot.sources.feed_service import FeedProblem, Fetched
from bot.vocabulary import EtapeRejointe, Horizon, Statut
from tests.support import ManualClock, ManualDateClock

pytestmark = pytest.mark.asyncio(loop_scope="module")

NO_OPTION_LIMIT = 2000  # Discord takes 6,000 characters per option value; a member pasting a page is enough
THIERS = "insee:63430"  # the value the commune autocomplete gives for Thiers
OTHER_SERVER = "Réseau national"  # a second server the bot is on, for /agenda suivre
FACILITATOR = "Cairn Accompagnement (démo)"  # a demo facilitator, which moderators may edit
EXAMPLES = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is never a fluke of CI
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


# ---------------------------------------------------------------------- the options, from the real tree


@dataclass(frozen=True)
class Option:
    command: str
    name: str
    low: int
    high: int

    def __str__(self) -> str:
        return f"{self.command} {self.name}"


def free_text_options() -> list[Option]:
    """Every string option without fixed choices of the bot's commands, as the bot registers them."""

    async def walk() -> list[Option]:
        bot = HabitatBot(Settings(_env_file=None))
        for extension in bot.extensions_to_load:
            await bot.load_extension(extension)
        return [
            Option(
                command.qualified_name,
                parameter.display_name,
                int(parameter.min_value or 1),
                int(parameter.max_value or NO_OPTION_LIMIT),
            )
            for command in walk_commands(bot.tree)
            for parameter in command.parameters
            if parameter.type is discord.AppCommandOptionType.string and not parameter.choices
        ]

    return asyncio.run(walk())


OPTIONS = free_text_options()
# What these tests find wrong today in the cogs being rewritten by others; strictly expected to fail, so
# that the fix is noticed and the line goes.
OPTION_FAILURES: dict[str, str] = {}


def known_failures(cases: list[Any], failures: dict[str, str], key: Callable[[Any], str]) -> list[Any]:
    """`cases`, those named in `failures` marked as failing strictly: a fix turns them red until unmarked."""
    return [
        pytest.param(case, marks=pytest.mark.xfail(reason=failures[key(case)], strict=True))
        if key(case) in failures
        else case
        for case in cases
    ]


# ---------------------------------------------------------------------- nasty text

CLUSTERS = [
    "é",
    "e\u0301",
    "👍🏽",
    "\u2764\ufe0f",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "🇫🇷",
    "1\ufe0f\u20e3",
    "ก\u0e31",
    "ﷺ",  # one code point, shown very wide
    "\U0001d54f",  # outside the basic plane
]
INVISIBLE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e"]
INVISIBLE += ["\u200f", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\n", "\t", "  "]
MARKDOWN = ["**", "__", "~~", "||", "`", "```", "> ", "# ", "-# ", "[lien](https://exemple.org)", "\\", "{", "}"]
# Fragments of valid input, so that some examples get past the first check and reach the rest.
PLAUSIBLE = ["Thiers", "63", "Puy-de-Dôme", "Auvergne", THIERS, "12/04/2027 14h", "17h", "1j 2h", "lundi"]
PLAUSIBLE += ["https://exemple.org/", "Europe/Paris", "250000", "2", "1", "Les Hirondelles"]
LOCALES = st.sampled_from(["fr", "en-US"])
WORDS = st.text(alphabet=string.ascii_letters + "éèàçœÉÀ -'", min_size=1, max_size=12)
CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))

# Mentions of the demo server's members, roles and channels (named here, their ids filled in by `typed`).
MENTIONS = ["@everyone", "@here", "<@§alex§>", "<@!§sam§>", "<@&§organisateurs§>", "<@&§moderateurs§>"]
MENTIONS += ["<@&§guild§>", "<#§general§>", "</projet chercher:§guild§>"]
PIECES = st.lists(
    st.one_of(
        WORDS,
        CHARACTERS,
        st.sampled_from(CLUSTERS),
        st.sampled_from(INVISIBLE),
        st.sampled_from(MARKDOWN),
        st.sampled_from(MENTIONS),
        st.sampled_from(PLAUSIBLE),
    ),
    min_size=1,
    max_size=30,
)
# What hypothesis would take long to stumble on, tried every time: a number too big for any id, a digit
# that str.isdigit() accepts and int() does not, and mass mentions around a right-to-left override.
EDGES = [
    example(pieces=["9"], full=True, locale="fr"),
    example(pieces=["²"], full=False, locale="fr"),
    example(pieces=["@everyone ", "<@&§moderateurs§>", "\u202e", "Thiers"], full=True, locale="en-US"),
]


def with_edges(test: Any) -> Any:
    """The test, trying EDGES before what hypothesis draws."""
    for edge in reversed(EDGES):
        test = edge(test)
    return test


def typed(w: World, pieces: list[str], *, low: int, high: int, full: bool, multiline: bool, trimmed: bool) -> str:
    """The pieces as one text, mentions made real, shaped as Discord would deliver them."""
    ids = {name: str(user.id) for name, user in w.sb.demo.users.items()}
    ids |= {name: str(role.id) for name, role in w.sb.demo.roles.items()}
    ids |= {"guild": str(w.sb.demo.guild.id), "general": str(w.sb.demo.channel("general").id)}
    text = re.sub(r"§(\w+)§", lambda match: ids[match[1]], "".join(pieces))
    return shaped(text, low=low, high=high, full=full, multiline=multiline, trimmed=trimmed)


def shaped(text: str, *, low: int, high: int, full: bool, multiline: bool, trimmed: bool) -> str:
    """What reaches the bot: single-line inputs have no line breaks, Discord enforces the lengths, trims
    a command's options (not a form's fields), and sends no value made only of spaces."""
    if not multiline:
        text = text.replace("\n", " ").replace("\r", " ")
    if full:
        text = text * (high // max(1, len(text)) + 1)
    text = text[:high].strip() if trimmed else text[:high]
    if not text.strip():
        text = "x" + text[: high - 1]
    return text + "x" * (low - len(text))


# ---------------------------------------------------------------------- the world


class World:
    """One bot on one emulated Discord for the whole file, with what the commands need to exist."""

    def __init__(self, sb: Sandbox, clock: ManualDateClock) -> None:
        self.sb = sb
        self.clock = clock
        self.event = self.event_to_cancel = self.ad = self.project = ""
        self.described: list[BaseException] = []  # what the error handler explained during a try
        self.unexpected: list[BaseException] = []  # what it could only call "an unexpected error"
        self.names = itertools.count(1)

    def __repr__(self) -> str:  # hypothesis shows it with each failing example
        return "World()"

    @property
    def driver(self) -> Driver:
        return self.sb.driver

    def user(self, name: str) -> User:
        return self.sb.demo.users.get(name) or next(u for u in self.sb.emulator.users.values() if u.username == name)


async def last_id(sb: Sandbox, table: str) -> str:
    row = await sb.bot.db.fetchone(f"SELECT max(id) AS id FROM {table}")
    assert row is not None and row["id"] is not None, table
    return str(row["id"])


async def publish_ad(w: World, user: User, title: str) -> str:
    form = await w.driver.slash(user, "annonce publier", categorie="logement", departement="63")
    done = await w.driver.submit(user, form, {**AD_FORM, "annonce-titre": title})
    assert "Annonce publiée" in done.text, done.text
    return await last_id(w.sb, "ads")


async def propose_project(w: World, user: User, name: str) -> Reply:
    form = await w.driver.slash(user, "projet proposer", commune=THIERS, etape="emergence")
    done = await w.driver.submit(user, form, {**PROJECT_FORM, "Nom du projet": name})
    assert "attend la validation" in done.text, done.text
    return done


async def complete_step(w: World, user: User, step: int) -> None:
    form = await w.driver.slash(user, "presentation creer")
    done = await w.driver.submit(user, form, STEP_FORMS[step])
    assert f"{step}/3" in done.text, done.text


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    emulator = Emulator(clock=ManualClock())
    path: Path = tmp_path_factory.mktemp("free-text") / "bot.sqlite3"
    clock = ManualDateClock()
    async with sandbox(path, emulator=emulator, clock=clock) as sb:
        w = World(sb, clock)
        with pytest.MonkeyPatch.context() as patch:
            describe, unexpected = cogs.ui.errors.describe, cogs.ui.errors.unexpected

            def recorded_describe(interaction: discord.Interaction[Any], error: BaseException) -> str:
                w.described.append(error)
                return describe(interaction, error)

            def recorded_unexpected(interaction: discord.Interaction[Any], error: BaseException) -> str:
                w.unexpected.append(error)
                return unexpected(interaction, error)

            patch.setattr(cogs.ui.errors, "describe", recorded_describe)
            patch.setattr(cogs.ui.errors, "unexpected", recorded_unexpected)
            await furnish(sb)
            await invite(sb, emulator.add_guild(OTHER_SERVER, w.user("camille")))  # one to follow
            await sb.bot.guild_settings.update(sb.demo.guild.id, max_live_ads=100, max_ads_per_day=100)
            for name in ("u1", "u2", "u3"):  # one newcomer per step of the introduction
                emulator.add_member(sb.demo.guild, emulator.add_user(name))
            dominique, alex, morgane = w.user("dominique"), w.user("alex"), w.user("morgane")
            for title in ("Portes ouvertes des Hirondelles", "Plénière de printemps"):
                created = await w.driver.slash(
                    dominique, "evenement creer", type="jpo", titre=title, debut="12/04/2027 14h", fin="17h",
                    commune=THIERS,
                )  # fmt: skip
                assert "Événement créé" in created.text, created.text
            w.event, w.event_to_cancel = str(int(await last_id(sb, "events")) - 1), await last_id(sb, "events")
            w.ad = await publish_ad(w, alex, "Maison à partager")
            await propose_project(w, alex, "Les Hirondelles")
            await sb.bot.scheduler.run_due()  # the moderation card goes through the ledger
            card = Message(sb.emulator, sb.emulator.messages_in(sb.demo.channel("moderation"))[-1])
            await w.driver.click(morgane, card, "Publier")
            w.project = await last_id(sb, "projects")
            await complete_step(w, w.user("u2"), 1)
            await complete_step(w, w.user("u3"), 1)
            await complete_step(w, w.user("u3"), 2)
            await settle(w)
            assert w.unexpected == [] and sb.emulator.problems == [], sb.emulator.problems
            yield w
        assert sb.emulator.problems == [], "\n".join(sb.emulator.problems)


# ---------------------------------------------------------------------- what must hold after each try


async def fingerprint(sb: Sandbox) -> tuple[int, dict[str, int]]:
    """Rows the bot's one connection has written so far (inserted, updated or deleted, kept or rolled back:
    a refusal must write none), and each table's row count, to say where when one did."""
    tables = await sb.bot.db.tables()
    counts = " UNION ALL ".join(f"SELECT '{t}' AS name, count(*) AS n FROM \"{t}\"" for t in tables)
    written = await sb.bot.db.fetchone("SELECT total_changes() AS n")
    assert written is not None
    return int(written["n"]), {row["name"]: row["n"] for row in await sb.bot.db.fetchall(counts)}


async def settle(w: World) -> None:
    """Deliver what the ledger holds, so that its messages are checked too and the next try starts still."""
    while await w.sb.bot.scheduler.run_due():
        pass


def short(text: str) -> str:
    return repr(text if len(text) <= 120 else f"{text[:60]}…{text[-40:]} ({len(text)} characters)")


def bot_messages(w: World) -> dict[int, Any]:
    """Each message of the bot, with when it was last edited."""
    bot_id = str(w.sb.emulator.bot_user.id)
    return {key: m["edited_timestamp"] for key, m in w.sb.emulator.messages.items() if m["author"]["id"] == bot_id}


def pinging(w: World, seen: dict[int, Any]) -> list[str]:
    """The messages the bot posted or edited since `seen` that ping someone, or would if their text held
    a mention."""
    found = []
    for key, edited in bot_messages(w).items():
        if key in seen and seen[key] == edited:
            continue
        message = w.sb.emulator.messages[key]
        allowed = message.get("allowed_mentions") or {"parse": ["everyone", "roles", "users"]}
        if message["mentions"] or message["mention_roles"] or message["mention_everyone"]:
            found.append(f"{message['id']} pings: {short(message['content'])}")
        elif allowed.get("parse") or allowed.get("users") or allowed.get("roles"):
            found.append(f"{message['id']} allows pings {allowed}: {short(message['content'])}")
    return found


def offered_back(reply: Reply) -> dict[str, Any] | None:
    """The button of a refusal that opens the form again, if any."""
    for message in reply.messages:
        for button in message.buttons:
            if not button.get("disabled"):
                return button
    return None


Refusal = Callable[[Reply], bool]
FIELD_NAMED = re.compile(r"^« (.+?) » ne convient pas|^“(.+?)” does not fit", re.MULTILINE)


def option_names(w: World, command: str) -> set[str]:
    """The names of a command's options, as Discord shows them to members in French and in English."""
    words = command.split()
    node: dict[str, Any] = w.sb.emulator.guild_commands[w.sb.demo.guild.id][words[0]]
    for word in words[1:]:
        node = next(option for option in node.get("options") or [] if option["name"] == word)
    return {
        name
        for option in node.get("options") or []
        for name in (option["name"], *(option.get("name_localizations") or {}).values())
    }


async def attempt(
    w: World,
    act: Callable[[], Awaitable[Reply]],
    what: str,
    *,
    refusal: Refusal | None = None,
    fields: set[str] | None = None,
) -> tuple[Reply, bool]:
    """Run one try and check what must always hold; returns the reply and whether it was a refusal (the
    error handler explained one, or `refusal` recognises one the command answered itself). A refusal
    that names a field must name one of `fields`, as the member sees them."""
    await settle(w)
    before = await fingerprint(w.sb)
    seen = bot_messages(w)
    w.described.clear()
    w.unexpected.clear()
    reply = await act()
    after = await fingerprint(w.sb)
    refused = bool(w.described) or (refusal is not None and refusal(reply))
    problems = list(w.sb.emulator.problems)
    w.sb.emulator.problems.clear()
    assert not reply.late and reply.interaction.response_type is not None, f"{what}: no answer in time"
    assert not w.unexpected, f"{what}: « erreur inattendue » for {w.unexpected!r}"
    assert problems == [], f"{what}: Discord would refuse what the bot sent:\n" + "\n".join(problems)
    if refused:
        changed = sorted(table for table in before[1] if before[1][table] != after[1].get(table))
        assert before[0] == after[0], (
            f"{what}: refused, yet {after[0] - before[0]} row(s) written (tables that grew or shrank: {changed})\n"
            f"{reply.text[:500]}"
        )
        assert all(message.ephemeral for message in reply.messages), f"{what}: a public refusal"
        assert reply.posted == [], f"{what}: refused, yet the bot posted {reply.posted}"
        named = {match[0] or match[1] for m in reply.messages for match in FIELD_NAMED.findall(m.content)}
        assert fields is None or named <= fields, f"{what}: the refusal names {named - fields}, not {fields}"
    await settle(w)
    problems = list(w.sb.emulator.problems)
    w.sb.emulator.problems.clear()
    assert problems == [], f"{what}: Discord would refuse what the ledger sent:\n" + "\n".join(problems)
    pings = pinging(w, seen)
    assert pings == [], f"{what}: {pings}"
    return reply, refused


# ---------------------------------------------------------------------- every free-text option

Values = dict[str, Any]
# Who runs each command, and valid values for its other options (each option under test replaces its own).
COMMANDS: dict[str, tuple[str, Callable[[World], Values]]] = {
    "config fuseau": ("camille", lambda w: {}),
    "config rappels": ("camille", lambda w: {}),
    "annonce publier": ("alex", lambda w: {"categorie": "logement"}),
    "annonce chercher": ("alex", lambda w: {}),
    "annonce retirer": ("alex", lambda w: {}),
    "annonce renouveler": ("alex", lambda w: {}),
    "annonce signaler": ("sam", lambda w: {"annonce": int(w.ad)}),
    "rappel programmer": (
        "dominique",
        lambda w: {
            "salon": w.sb.demo.channel("annonces"),
            "message": "Réunion du groupe",
            "quand": "12/04/2027 9h",
            "repetition": Frequency.weekly.value,
        },
    ),
    "rappel annuler": ("dominique", lambda w: {}),
    "evenement creer": (
        "dominique",
        lambda w: {"type": "jpo", "titre": "Visite", "debut": "12/04/2027 14h", "fin": "17h", "commune": THIERS},
    ),
    "evenement modifier": ("dominique", lambda w: {"evenement": w.event}),
    "evenement annuler": ("dominique", lambda w: {"evenement": w.event_to_cancel, "raison": "Salle indisponible"}),
    "evenement participants": ("dominique", lambda w: {}),
    "evenement questions": ("dominique", lambda w: {}),
    "evenement atelier": (
        "dominique",
        lambda w: {"evenement": w.event, "titre": "Visite du chantier", "debut": "12/04/2027 15h", "fin": "16h"},
    ),
    "evenement liste": ("alex", lambda w: {}),
    "evenement inscrire": ("dominique", lambda w: {"evenement": w.event}),
    "evenement desinscrire": ("alex", lambda w: {}),
    "evenement mes-rappels": ("alex", lambda w: {}),
    "evenement calendrier": ("alex", lambda w: {}),
    "evenement accueil": ("dominique", lambda w: {"evenement": w.event}),
    "evenement present": ("alex", lambda w: {}),
    "evenement stats": ("dominique", lambda w: {"evenement": w.event}),
    "mise-en-lien foyers": ("alex", lambda w: {}),
    "projet chercher": ("alex", lambda w: {}),
    "projet fiche": ("alex", lambda w: {}),
    "projet proposer": ("alex", lambda w: {"commune": THIERS, "etape": "emergence"}),
    "projet modifier": ("alex", lambda w: {"projet": w.project}),
    "projet exporter": ("dominique", lambda w: {}),
    "observatoire": ("alex", lambda w: {}),
    "agenda abonner": ("dominique", lambda w: offline_feeds(w) | {"region": "Auvergne", "annoncer": False}),
    "agenda suivre": ("camille", lambda w: {"serveur": OTHER_SERVER}),
    "agenda ne-plus-suivre": ("camille", lambda w: {"serveur": OTHER_SERVER}),
    "ressource chercher": ("alex", lambda w: {}),
    "ressource fiche": ("alex", lambda w: {}),
    "ressource proposer": ("alex", lambda w: {"theme": "juridique", "type": "guide", "lien": "https://exemple.org/g"}),
    "accompagnement annuaire": ("alex", lambda w: {"pres_de": THIERS}),
    "accompagnement inscrire": ("alex", lambda w: {"commune": THIERS, "structure": "association"}),
    "accompagnement modifier": ("morgane", lambda w: {"nom": FACILITATOR}),
    "accompagnement ajouter-contact": ("morgane", lambda w: {"nom": FACILITATOR, "membre": w.user("alex")}),
}


def offline_feeds(w: World) -> Values:
    """A valid feed's address, and a bot that reads no feed: any address typed (https://exemple.org/…) is
    answered as unreachable, without reaching the internet."""

    async def unreachable(url: str, **_: object) -> Fetched:
        raise FeedProblem("unreachable")

    w.sb.bot.core.feeds.fetch = unreachable
    return {"adresse": "https://agenda.exemple.org/a.ics", "nom": "Habitat Auvergne"}


@pytest.mark.parametrize("option", known_failures(OPTIONS, OPTION_FAILURES, str), ids=str)
@EXAMPLES
@given(pieces=PIECES, full=st.booleans(), locale=LOCALES)
@with_edges
async def test_any_text_in_any_option_is_answered_within_limits_without_pings(
    world: World, option: Option, pieces: list[str], full: bool, locale: str
) -> None:
    if option.command not in COMMANDS:
        pytest.fail(f"/{option.command}: say who runs it and give valid values for its options in COMMANDS")
    actor, valid = COMMANDS[option.command]
    text = typed(world, pieces, low=option.low, high=option.high, full=full, multiline=False, trimmed=True)
    user = world.user(actor)
    values = {**valid(world), option.name: text}

    async def act() -> Reply:
        return await world.driver.slash(user, option.command, locale=locale, **values)

    await attempt(world, act, f"/{option} {short(text)}", fields=option_names(world, option.command))


# ---------------------------------------------------------------------- every text field of the forms

AD_FORM: dict[str, str | list[str]] = {
    "annonce-titre": "Maison à partager",
    "annonce-texte": "Une grande maison près de Thiers, pour deux familles.",
    "annonce-commune": "Thiers",
    "annonce-prix": "250000",
}
PROJECT_FORM: dict[str, str | list[str]] = {
    "Nom du projet": "La Ruche",
    "Description": "Dix logements et un jardin partagé.",
    "Contact public (courriel, téléphone)": "ruche@exemple.org",
}
STEP_FORMS: dict[int, dict[str, str | list[str]]] = {
    1: {
        "foyer-lieu": "Thiers",
        "foyer-rayon": "30",
        "foyer-horizon": [Horizon.maintenant.value],
        "foyer-etapes": [EtapeRejointe.groupe_en_formation.value],
    },
    2: {
        "foyer-adultes": "2",
        "foyer-enfants": "1",
        "foyer-seniors": "0",
        "foyer-budget": "150000-250000",
        "foyer-statuts": [Statut.locatif_social.value],
    },
    3: {"foyer-intro": "Nous aimons le jardin et les repas partagés."},
}
RESOURCE_FORM: dict[str, str | list[str]] = {
    "Titre": "Guide des statuts",
    "Résumé": "Les statuts d'une coopérative, article par article.",
    "Auteur ou source": "Réseau de démo",
    "Date (AAAA, AAAA-MM ou AAAA-MM-JJ)": "2024-02",
}
MESSAGE: dict[str, str | list[str]] = {"Votre message": "Bonjour, la maison est-elle encore libre ?"}
REPORT: dict[str, str | list[str]] = {"Ce qui ne va pas": "Annonce en double"}
REASON: dict[str, str | list[str]] = {"Raison (envoyée à la personne)": "Annonce en double"}
QUESTION: dict[str, str | list[str]] = {
    "question-texte": "Quel atelier d'abord ?",
    "question-type": ["choix"],
    "question-choix": "Foncier solidaire\nJuridique",
}
ANSWERS: dict[str, str | list[str]] = {"Régime alimentaire": "Végétarien"}
FACILITATOR_FORM: dict[str, str | list[str]] = {
    "accomp-nom": "La Boussole",
    "accomp-zone": "63, Allier",
    "accomp-expertises": ["dynamiques_groupes"],
    "accomp-etapes": ["emergence"],
}
FACILITATOR_CONTACT: dict[str, str | list[str]] = {"Votre projet, votre besoin": "Notre groupe cherche un appui."}


async def post_of(w: World, ad_id: str) -> Message:
    row = await w.sb.bot.db.fetchone("SELECT thread_id FROM ads WHERE id = ?", (int(ad_id),))
    assert row is not None
    return Message(w.sb.emulator, w.sb.emulator.messages_in(row["thread_id"])[0])


async def open_ad_form(w: World, user: User) -> Reply:
    return await w.driver.slash(user, "annonce publier", categorie="logement", departement="63")


async def open_resource_form(w: World, user: User) -> Reply:
    return await w.driver.slash(user, "ressource proposer", theme="juridique", type="guide", lien="https://ex.org/g")


async def open_project_form(w: World, user: User) -> Reply:
    return await w.driver.slash(user, "projet proposer", commune=THIERS, etape="emergence")


def open_step(step: int) -> Callable[[World, User], Awaitable[Reply]]:
    async def open_(w: World, user: User) -> Reply:
        return await w.driver.slash(user, "presentation modifier", etape=step)

    return open_


async def open_ad_contact(w: World, user: User) -> Reply:
    return await w.driver.click(user, await post_of(w, w.ad), "Contacter")


async def open_ad_report(w: World, user: User) -> Reply:
    return await w.driver.click(user, await post_of(w, w.ad), "Signaler")


async def open_project_contact(w: World, user: User) -> Reply:
    fiche = await w.driver.slash(user, "projet fiche", projet=w.project)
    assert fiche.message is not None, fiche.text
    return await w.driver.click(user, fiche.message, "Contacter les référents")


async def open_project_refusal(w: World, user: User) -> Reply:
    await propose_project(w, w.user("alex"), f"Projet à refuser n° {next(w.names)}")
    await w.sb.bot.scheduler.run_due()  # the moderation card goes through the ledger
    card = Message(w.sb.emulator, w.sb.emulator.messages_in(w.sb.demo.channel("moderation"))[-1])
    return await w.driver.click(user, card, "Refuser")


async def open_ad_removal(w: World, user: User) -> Reply:
    ad = await publish_ad(w, w.user("alex"), f"Annonce signalée n° {next(w.names)}")
    await w.driver.slash(w.user("sam"), "annonce signaler", annonce=int(ad), raison="Annonce en double")
    await w.sb.bot.scheduler.run_due()  # the report card reaches the moderation queue through the ledger
    card = Message(w.sb.emulator, w.sb.emulator.messages_in(w.sb.demo.channel("moderation"))[-1])
    return await w.driver.click(user, card, "Supprimer l'annonce")


async def fresh_event(w: World) -> str:
    """An event of its own for each form of questions: five questions at most per event."""
    created = await w.driver.slash(
        w.user("dominique"), "evenement creer", type="jpo", titre=f"Visite n° {next(w.names)}",
        debut="12/04/2027 14h", fin="17h", commune=THIERS,
    )  # fmt: skip
    assert "Événement créé" in created.text, created.text
    return await last_id(w.sb, "events")


async def open_question_form(w: World, user: User) -> Reply:
    page = await w.driver.slash(user, "evenement questions", evenement=await fresh_event(w))
    assert page.message is not None, page.text
    return await w.driver.click(user, page.message, "Ajouter une question")


async def open_answers_form(w: World, user: User) -> Reply:
    event_id = await fresh_event(w)
    organiser = Manager(w.user("dominique").id, w.sb.demo.guild.id, organiser=True, moderator=False)
    draft = QuestionDraft(text="Régime alimentaire", kind=QuestionKind.text)
    await w.sb.bot.core.questions.add(int(event_id), draft, by=organiser)
    return await w.driver.slash(user, "evenement inscrire", evenement=event_id)


async def open_facilitator_form(w: World, user: User) -> Reply:
    return await w.driver.slash(user, "accompagnement inscrire", commune=THIERS, structure="association")


async def open_facilitator_contact(w: World, user: User) -> Reply:
    found = await w.driver.slash(user, "accompagnement annuaire", pres_de=THIERS)
    assert found.message is not None, found.text
    record = await w.driver.choose(user, found.message, [FACILITATOR])
    assert record.message is not None, record.text
    return await w.driver.click(user, record.message, "Demander un contact")


@dataclass(frozen=True)
class Form:
    """A form reachable from a command: who fills it, how it opens, valid values for all its fields, and
    how it says "no" when it answers a refusal itself rather than through the error handler."""

    actor: str
    open: Callable[[World, User], Awaitable[Reply]]
    valid: dict[str, str | list[str]]
    refusal: Refusal | None = None
    command: str | None = None  # the command whose options the form completes


def step_refused(step: int) -> Refusal:
    """An introduction step that did not validate offers the same step again ("Corriger l'étape")."""

    def refused(reply: Reply) -> bool:
        return any(b.get("custom_id") == f"foyer:etape:{step}" for m in reply.messages for b in m.buttons)

    return refused


FORMS: dict[str, Form] = {
    "annonce publier": Form("alex", open_ad_form, AD_FORM, command="annonce publier"),
    "projet proposer": Form("alex", open_project_form, PROJECT_FORM, command="projet proposer"),
    "ressource proposer": Form("alex", open_resource_form, RESOURCE_FORM, command="ressource proposer"),
    "presentation 1/3": Form("u1", open_step(1), STEP_FORMS[1], step_refused(1)),
    "presentation 2/3": Form("u2", open_step(2), STEP_FORMS[2], step_refused(2)),
    "presentation 3/3": Form("u3", open_step(3), STEP_FORMS[3], step_refused(3)),
    "contacter une annonce": Form("dominique", open_ad_contact, MESSAGE),
    "signaler une annonce": Form("dominique", open_ad_report, REPORT),
    "écrire aux référents": Form("dominique", open_project_contact, MESSAGE),
    "refuser un projet": Form("morgane", open_project_refusal, REASON),
    "retirer une annonce": Form("morgane", open_ad_removal, REASON),
    "ajouter une question": Form("dominique", open_question_form, QUESTION),
    "répondre aux questions": Form("alex", open_answers_form, ANSWERS),
    "inscrire une structure": Form("alex", open_facilitator_form, FACILITATOR_FORM, command="accompagnement inscrire"),
    "demander un contact": Form("dominique", open_facilitator_contact, FACILITATOR_CONTACT),
}
FIELDS = [(form, key) for form, spec in FORMS.items() for key, value in spec.valid.items() if isinstance(value, str)]
NUMBER = (
    "« {big} » is refused naming « {name} », the model's field, not the form's label (no title, no labels "
    "given to invalid()), and « ² » passes str.isdigit() but not int(): « erreur inattendue » ({where})"
)
FIELD_FAILURES: dict[str, str] = {}


def text_inputs(modal: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Each text input of a modal, with the label it is shown under."""
    return ((inner, label) for inner, label in labels_of(modal) if inner.get("type") == 4)


def labels_of(modal: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Each field of a modal (text input or menu), with the label it is shown under."""
    for row in modal.get("components") or []:
        inner = row.get("component") if row.get("type") == 18 else (row.get("components") or [{}])[0]
        yield inner, str(row.get("label") or inner.get("label") or "")


def field_of(modal: dict[str, Any], key: str) -> dict[str, Any]:
    for inner, label in text_inputs(modal):
        if key in (inner["custom_id"], label):
            return inner
    raise AssertionError(f"no field « {key} » in the form")


async def open_form(w: World, name: str) -> tuple[User, Reply]:
    form = FORMS[name]
    user = w.user(form.actor)
    if name == "presentation 1/3" and await w.sb.bot.households.get(user.id) is None:
        opened = await w.driver.slash(user, "presentation creer")
    else:
        opened = await form.open(w, user)
    assert opened.modal is not None, f"{name}: no form opened\n{opened.text}"
    covered = {key for key, value in form.valid.items() if isinstance(value, str)}
    uncovered = [label for inner, label in text_inputs(opened.modal) if not {inner["custom_id"], label} & covered]
    assert uncovered == [], f"{name}: give these text fields a valid value in FORMS: {uncovered}"
    return user, opened


@pytest.mark.parametrize("field", known_failures(FIELDS, FIELD_FAILURES, ": ".join), ids=": ".join)
@EXAMPLES
@given(pieces=PIECES, full=st.booleans(), locale=LOCALES)
@with_edges
async def test_any_text_in_any_form_field_is_answered_and_a_refusal_gives_it_back(
    world: World, field: tuple[str, str], pieces: list[str], full: bool, locale: str
) -> None:
    form, key = field
    user, opened = await open_form(world, form)
    assert opened.modal is not None
    spec = field_of(opened.modal, key)
    low = int(spec.get("min_length") or (1 if spec.get("required", True) else 0))
    high = int(spec.get("max_length") or 4000)
    multiline = spec.get("style") == 2
    text = typed(world, pieces, low=low, high=high, full=full, multiline=multiline, trimmed=False)

    async def act() -> Reply:
        return await world.driver.submit(user, opened, {**FORMS[form].valid, key: text}, locale=locale)

    what = f"{form} « {key} » {short(text)}"
    command = FORMS[form].command
    labels = {label for _, label in labels_of(opened.modal)}
    labels |= {gettext(label, "en-US") for label in labels} | (option_names(world, command) if command else set())
    submitted, refused = await attempt(world, act, what, refusal=FORMS[form].refusal, fields=labels)
    if not refused:
        return
    button = offered_back(submitted)
    assert button is not None, f"{what}: refused without a way back to what was typed\n{submitted.text}"
    assert submitted.message is not None or submitted.followups
    again = await world.driver.click(user, submitted.messages[-1], button["custom_id"])
    assert again.modal is not None, f"{what}: the button does not open the form again"
    kept = field_of(again.modal, key).get("value") or ""
    assert kept in (text, text.strip()), f"{what}: the form came back with {short(kept)}"


# ---------------------------------------------------------------------- pings recorded by the emulator


async def test_the_one_allowed_ping_is_recorded_and_user_text_pings_nobody(world: World) -> None:
    """/rappel mentions the role the organiser chose, and nothing the organiser typed."""
    sb = world.sb
    role = sb.demo.roles["organisateurs"]
    text = f"@everyone <@{world.user('alex').id}> <@&{sb.demo.roles['moderateurs'].id}> réunion !"
    done = await world.driver.slash(
        world.user("dominique"), "rappel programmer", salon=sb.demo.channel("annonces"), message=text,
        quand="02/03/2027 10h", role=role,
    )  # fmt: skip
    assert "programmée" in done.text, done.text
    world.clock.advance(days=1)
    await settle(world)
    posted = [m for m in sb.emulator.messages_in(sb.demo.channel("annonces")) if "réunion !" in m["content"]]
    assert posted and posted[-1]["mention_roles"] == [str(role.id)]
    assert posted[-1]["mentions"] == [] and posted[-1]["mention_everyone"] is False


# ---------------------------------------------------------------------- the error handler


class Faults(commands.Cog):
    """Commands that fail at each stage of an answer, to see the member told every time."""

    @app_commands.command(name="panne-apres-attente", description="Échoue après « réflexion » privée")
    async def after_private_thinking(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise UserError("Cela ne convient pas : {raison}.", raison="x" * 3000)

    @app_commands.command(name="panne-apres-attente-publique", description="Échoue après « réflexion » publique")
    async def after_public_thinking(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(thinking=True)
        raise UserError("Choisissez au moins un salon.")

    @app_commands.command(name="panne-apres-reponse", description="Échoue après avoir répondu")
    async def after_answer(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("Voici le début.")
        raise UserError("Choisissez au moins un rôle.")

    @app_commands.command(name="panne-de-droits", description="Refusée par une vérification")
    @app_commands.check(lambda interaction: False)
    async def refused_by_a_check(self, interaction: discord.Interaction[Any]) -> None:
        raise AssertionError("a failed check stops the command")

    @app_commands.command(name="panne-de-message", description="Échoue avec un message mal écrit")
    async def broken_message(self, interaction: discord.Interaction[Any]) -> None:
        raise UserError("Bonjour {personne}, {inconnu}.", personne="Sam")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def faulty(world: World) -> World:
    await world.sb.bot.add_cog(Faults())
    await world.sb.bot.sync_commands()
    return world


def crafted(w: World, user: User, command: str, **options: Any) -> dict[str, Any]:
    """A command as Discord would send it, for a test to change into what an outdated client or a forged
    request could send."""
    return w.driver._command_data(user, w.sb.demo.guild, w.driver.default_channel(), command, options)


async def send(w: World, user: User, data: dict[str, Any], *, locale: str | None = None) -> Reply:
    return await w.driver._interact(2, user, w.driver.default_channel(), data, locale=locale)


def leaf(data: dict[str, Any]) -> list[dict[str, Any]]:
    container = data
    while container.get("options") and container["options"][0]["type"] in (1, 2):
        container = container["options"][0]
    options: list[dict[str, Any]] = container.setdefault("options", [])
    return options


async def test_a_number_out_of_its_range_is_refused_naming_the_option(world: World) -> None:
    camille = world.user("camille")
    data = crafted(world, camille, "config heures-calmes", debut=22, fin=7)
    leaf(data)[0]["value"] = 99

    async def act() -> Reply:
        return await send(world, camille, data)

    reply, refused = await attempt(world, act, "heures-calmes 99")
    assert refused and reply.ephemeral
    assert reply.content == "« debut » ne convient pas : au plus 23."


async def test_a_text_longer_than_discord_allows_is_refused_in_english_for_an_english_client(world: World) -> None:
    sam = world.user("sam")
    data = crafted(world, sam, "evenement mes-rappels", delais="1j")
    leaf(data)[0]["value"] = "1j " * 400

    async def act() -> Reply:
        return await send(world, sam, data)

    reply, refused = await attempt(world, act, "mes-rappels 1200")
    assert refused and reply.content == "“delays” does not fit: at most 60 characters."


async def test_a_value_outside_the_choices_is_refused(world: World) -> None:
    alex = world.user("alex")
    data = crafted(world, alex, "annonce publier", categorie="logement", departement="63")
    leaf(data)[0]["value"] = "chateau"

    async def act() -> Reply:
        return await send(world, alex, data)

    reply, refused = await attempt(world, act, "categorie chateau")
    assert refused and reply.modal is None
    assert reply.content == "« categorie » ne convient pas : choisissez parmi les valeurs proposées."


async def test_a_whole_number_option_given_text_is_refused(world: World) -> None:
    sam = world.user("sam")
    data = crafted(world, sam, "annonce signaler", annonce=1, raison="Annonce en double")
    leaf(data)[0]["value"] = "douze"

    async def act() -> Reply:
        return await send(world, sam, data, locale="fr")

    reply, refused = await attempt(world, act, "annonce douze")
    assert refused and reply.content == "« annonce » ne convient pas : un nombre entier est attendu."


async def test_someone_who_left_the_server_is_refused_as_a_member_option(world: World) -> None:
    outsider = world.sb.emulator.add_user("ancien")
    dominique = world.user("dominique")

    async def act() -> Reply:
        return await world.driver.slash(dominique, "evenement inscrire", evenement=world.event, pour=outsider)

    reply, refused = await attempt(world, act, "inscrire ancien")
    assert refused and reply.content == "« pour » ne convient pas : choisissez un membre du serveur."


async def test_a_command_out_of_step_with_discord_gets_a_clear_message(world: World) -> None:
    camille = world.user("camille")
    data = crafted(world, camille, "config fuseau", fuseau="Europe/Paris")
    leaf(data).clear()  # Discord's list of commands still shows an older form of the command

    async def act() -> Reply:
        return await send(world, camille, data)

    reply, refused = await attempt(world, act, "fuseau sans option")
    assert refused and reply.ephemeral
    assert reply.content.startswith("Cette commande a changé depuis que Discord vous l'a proposée")
    data["options"][0]["name"] = "ancienne"

    async def unknown() -> Reply:
        return await send(world, camille, data, locale="en-US")

    reply, refused = await attempt(world, unknown, "sous-commande inconnue")
    assert refused and reply.content.startswith("This command has changed since Discord offered it to you")


async def test_an_error_after_a_private_deferral_reaches_the_member_clipped(faulty: World) -> None:
    alex = faulty.user("alex")
    reply, refused = await attempt(faulty, lambda: faulty.driver.slash(alex, "panne-apres-attente"), "attente")
    assert refused and reply.ephemeral
    assert reply.content.startswith("Cela ne convient pas : xxx") and len(reply.content) <= 150


async def test_an_error_after_a_public_deferral_is_told_privately(faulty: World) -> None:
    alex = faulty.user("alex")

    async def act() -> Reply:
        return await faulty.driver.slash(alex, "panne-apres-attente-publique")

    reply, refused = await attempt(faulty, act, "attente publique")
    assert refused and reply.message is None  # the public "thinking…" is gone
    assert [m.content for m in reply.followups] == ["Choisissez au moins un salon."]
    assert reply.followups[0].ephemeral


async def test_an_error_after_an_answer_comes_as_a_private_follow_up(faulty: World) -> None:
    reply = await faulty.driver.slash(faulty.user("alex"), "panne-apres-reponse")
    assert reply.content == "Voici le début." and not reply.ephemeral
    assert [(m.content, m.ephemeral) for m in reply.followups] == [("Choisissez au moins un rôle.", True)]


async def test_a_failed_check_is_said_plainly(faulty: World) -> None:
    sam = faulty.user("sam")
    reply, refused = await attempt(faulty, lambda: faulty.driver.slash(sam, "panne-de-droits"), "droits")
    assert refused and reply.ephemeral
    assert reply.content == "You do not have the rights needed for this action."


async def test_a_message_that_cannot_be_written_still_tells_the_member(faulty: World) -> None:
    sam = faulty.user("sam")
    reply = await faulty.driver.slash(sam, "panne-de-message")
    assert reply.ephemeral and reply.content.startswith("Something unexpected went wrong (ref. ")
    assert faulty.unexpected and isinstance(faulty.unexpected[-1], KeyError)
    faulty.unexpected.clear()
