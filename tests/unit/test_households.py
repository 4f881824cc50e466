"""Household profiles and introductions: the store's rules and the service's flows, on a real SQLite file
(the flows through build_core, as the bot wires them, with a notifier that records instead of sending)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.clock import to_db
from bot.config import Settings
from bot.core import Core, build_core
from bot.db import MIGRATIONS_DIR, Database, SqliteDatabase
from bot.errors import Text, UserError
from bot.geo import geography
from bot.households.matching import ranked, score_project
from bot.households.models import (
    MAX_BUDGET,
    MAX_PENDING_REQUESTS,
    HouseholdMakeup,
    IntroductionKind,
    IntroductionStatus,
    WhatMatters,
    WhereWhen,
    parse_budget,
    parse_place,
)
from bot.households.service import (
    ANSWERED,
    DIGEST,
    GREETING,
    LAPSED,
    QUESTION,
    REQUEST,
    SETTLED_ROOM,
    SHORTLIST,
    SUGGESTIONS,
    WITHDRAWN,
    build_step,
)
from bot.households.store import HouseholdStore, IntroductionStore
from bot.i18n import explain
from bot.notify import Delivery
from bot.outbox import FIRST_RETRY, Status, subject
from bot.projects.models import ProjectDraft
from bot.vocabulary import (
    Apport,
    EspacePartage,
    Etape,
    EtapeRejointe,
    FormeJuridique,
    Horizon,
    Milieu,
    Public,
    Statut,
    Valeur,
)
from tests.support import ManualDateClock, RecordingNotifier, another, due_letters, heard

FOYER = IntroductionKind.foyer
GUILD = 1
CLOSED = "messages privés fermés ou membre inconnu"


@pytest.fixture
def households(db: Database, clock: ManualDateClock) -> HouseholdStore:
    return HouseholdStore(db, geography())


@pytest.fixture
def introductions(db: Database, clock: ManualDateClock) -> IntroductionStore:
    return IntroductionStore(db)


async def complete(
    store: HouseholdStore, user_id: int, insee: str = "63113", visibility: str = "tous", locale: str = "fr"
) -> None:
    where = WhereWhen(
        code_insee=insee, radius_km=30, horizon=Horizon.maintenant, etapes=frozenset({EtapeRejointe.lieu_existant})
    )
    await store.save_where(user_id, where, guild_id=GUILD, locale=locale)
    await store.save_household(user_id, HouseholdMakeup(adults=1, statuts=frozenset({Statut.achat})))
    await store.save_matters(user_id, WhatMatters(visibility=visibility))


class NoRooms:
    """No introductions channel on these servers: each side is given the other's name."""

    async def open(self, channel_id: int, title: str, members: tuple[int, int], greeting: str) -> int | None:
        raise AssertionError("no channel, no thread")


def texts(notifier: RecordingNotifier, user_id: int) -> list[str]:
    return [message.content for recipient, _, message in notifier.sent if recipient == user_id]


async def statuses(core: Core, kind: str) -> list[tuple[Status, str | None]]:
    rows = await core.db.fetchall("SELECT status, reason FROM outbox WHERE kind = ? ORDER BY id", (kind,))
    return [(Status(row["status"]), row["reason"]) for row in rows]


# ---------------------------------------------------------------------- what members type


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150000-250000", (150000, 250000)),
        ("150 000 € – 250 000 €", (150000, 250000)),
        ("150.000 à 250.000", (150000, 250000)),
        ("250000", (None, 250000)),
        ("", (None, None)),
    ],
)
def test_budget(text: str, expected: tuple[int | None, int | None]) -> None:
    assert parse_budget(text) == expected


def test_budget_refuses_words() -> None:
    with pytest.raises(UserError):
        parse_budget("beaucoup")


@given(st.text(max_size=40))
def test_a_typed_budget_is_read_or_refused_never_a_crash(text: str) -> None:
    try:
        low, high = parse_budget(text)
    except UserError as error:
        assert error.message.startswith("Je ne comprends pas le budget")
        return
    assert low is None or (high is not None and 0 < low <= high)


@given(st.integers(1, 10**12), st.integers(0, 10**12), st.sampled_from(["-", " – ", " à ", "/"]), st.booleans())
def test_a_budget_written_as_people_write_it_is_read_whole(low: int, extra: int, dash: str, spaced: bool) -> None:
    high = low + extra

    def written(n: int) -> str:
        return f"{n:,}".replace(",", "\u202f" if spaced else "") + (" €" if spaced else "")

    assert parse_budget(f"{written(low)}{dash}{written(high)}") == (low, high)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # the first call loads the communes
@given(st.text(max_size=100))
def test_a_typed_place_is_a_commune_departements_or_a_refusal(text: str) -> None:
    geo = geography()
    try:
        code_insee, departements = parse_place(text, geo)
    except UserError:
        return
    assert (code_insee is None) == bool(departements)
    assert code_insee is None or geo.commune(code_insee) is not None
    assert all(d in geo.departements for d in departements)


def test_place_is_a_commune_or_departements() -> None:
    geo = geography()
    assert parse_place("63, 03", geo) == (None, frozenset({"63", "03"}))
    assert parse_place("Thiers", geo) == ("63430", frozenset())


@given(
    adultes=st.one_of(st.text(max_size=3), st.integers(-5, 10**21).map(str)),
    budget=st.one_of(st.text(max_size=40), st.integers(0, 10**21).map(str)),
)
def test_a_refused_household_step_names_its_field_in_the_members_words(adultes: str, budget: str) -> None:
    """Whatever is typed, the step is valid within its bounds, or refused naming a field of the form."""
    # A refusal gives the typed budget back: typed words are not the model's leaking through.
    assume(not any(word in budget for word in ("budget_max", "adults", "should")))
    geo = geography()
    typed = {"adultes": adultes, "statuts": {"achat"}, "budget": budget}
    try:
        step = build_step(2, typed, geo)
    except UserError as error:
        message = explain(error, "fr")
        assert "budget_max" not in message and "adults" not in message and "should" not in message
        champ = error.params.get("champ")
        assert champ is None or (
            isinstance(champ, Text)
            and champ.message
            in (
                "Nombre d'adultes",
                "Budget en €, par ex. 150000-250000",
            )
        )
        return
    assert isinstance(step, HouseholdMakeup)
    assert 1 <= step.adults <= 12
    assert step.budget_max is None or step.budget_max <= MAX_BUDGET


# ---------------------------------------------------------------------- the store


async def test_a_circle_profile_knows_the_departements_it_touches(households: HouseholdStore) -> None:
    await complete(households, 1, insee="03310")  # Vichy, near the Puy-de-Dôme
    profile = await households.get(1)
    assert profile is not None and profile.complete
    assert {"03", "63"} <= profile.departements


async def suggested(core: Core, user_id: int) -> list[int]:
    return [s.target_id for s in (await core.households.suggestions(user_id)).households]


async def test_only_visible_complete_unpaused_reachable_households_are_suggested(core: Core) -> None:
    store = core.households.store
    for user_id in range(1, 6):
        await complete(store, user_id, visibility="projets" if user_id == 3 else "tous")
    await store.set_flags(4, paused=True)
    await store.note_dm(5, closed=True)
    where = WhereWhen(code_insee="63113", horizon=Horizon.maintenant, etapes=frozenset({EtapeRejointe.lieu_existant}))
    await store.save_where(6, where, guild_id=GUILD, locale="fr")  # the first step only
    assert await suggested(core, 1) == [2]


LOG = "household_changes"


@contextlib.asynccontextmanager
async def another_process(db: Database, clock: ManualDateClock) -> AsyncIterator[Core]:
    """A second bot process on the same database: its own connection, its own index of households."""
    async with another(db, clock) as other:
        yield build_core(Settings(_env_file=None), db=other, clock=clock, notifier=RecordingNotifier())


async def test_households_changed_in_another_process_are_seen_by_the_next_suggestions(
    core: Core, db: Database, clock: ManualDateClock
) -> None:
    for user_id in (1, 2, 3, 4):
        await complete(core.households.store, user_id)
    assert await suggested(core, 1) == [2, 3, 4]
    await heard(db, LOG, None)  # on PostgreSQL, listening: what follows is heard of, not read every time
    assert await suggested(core, 1) == [2, 3, 4]
    before = db.change_count(LOG)
    async with another_process(db, clock) as other:
        await other.households.still_holds(2, False)  # paused there
        await other.households.save_step(3, 3, {"visibilite": "projets"}, guild_id=GUILD, locale="fr")
        await complete(other.households.store, 5)
        # Much nearer Clermont-Ferrand than Thiers: 4 moves away and comes last.
        await other.households.save_step(
            4, 1, {"lieu": "Thiers", "horizon": "maintenant", "etapes": {"lieu_existant"}}, guild_id=GUILD, locale="fr"
        )
    await heard(db, LOG, before)
    assert await suggested(core, 1) == [5, 4]


async def test_a_household_erased_anywhere_is_never_suggested_again(
    core: Core, db: Database, clock: ManualDateClock
) -> None:
    for user_id in (1, 2, 3, 4):
        await complete(core.households.store, user_id)
    async with another_process(db, clock) as other:
        assert await suggested(other, 1) == [2, 3, 4]
        assert await suggested(core, 1) == [2, 3, 4]
        # The erasing process forgets at once; the other finds the household gone when it confirms its best.
        await other.member_data.erase(2)
        me = await core.households.get(1)
        assert me is not None
        index = other.households.index
        assert 2 not in index.rank(index.asker(me), (), 10)
        assert await suggested(other, 1) == [3, 4]
        assert await suggested(core, 1) == [3, 4]
        index = core.households.index
        assert 2 not in index.rank(index.asker(me), (), 10)


async def test_at_most_ten_pending_requests_and_none_twice(introductions: IntroductionStore) -> None:
    await introductions.request(FOYER, 1, target_user_id=2, guild_id=None)
    with pytest.raises(UserError, match="existe déjà"):
        await introductions.request(FOYER, 1, target_user_id=2, guild_id=None)
    for target in range(3, 2 + MAX_PENDING_REQUESTS):
        await introductions.request(FOYER, 1, target_user_id=target, guild_id=None)
    with pytest.raises(UserError, match="demandes en attente"):
        await introductions.request(FOYER, 1, target_user_id=99, guild_id=None)
    with pytest.raises(UserError):
        await introductions.request(FOYER, 5, target_user_id=5, guild_id=None)


async def test_concurrent_requests_keep_to_the_limit_and_never_ask_twice(introductions: IntroductionStore) -> None:
    async def attempt(requester: int, target: int) -> None:
        with contextlib.suppress(UserError):
            await introductions.request(FOYER, requester, target_user_id=target, guild_id=None)

    await asyncio.gather(*(attempt(1, target) for target in range(100, 100 + 2 * MAX_PENDING_REQUESTS)))
    await asyncio.gather(*(attempt(2, 3) for _ in range(4)))
    rows = await introductions.db.fetchall(
        "SELECT requester_id, COUNT(*) AS n FROM introductions GROUP BY requester_id"
    )
    assert {row["requester_id"]: row["n"] for row in rows} == {1: MAX_PENDING_REQUESTS, 2: 1}


async def test_a_request_past_its_lifetime_is_no_longer_answered(
    introductions: IntroductionStore, clock: ManualDateClock
) -> None:
    request = await introductions.request(FOYER, 1, target_user_id=2, guild_id=None)
    clock.advance(days=15)
    with pytest.raises(UserError, match="expiré"):
        await introductions.answer(request.id, accepted=True, by=2)


async def test_the_first_answer_counts(introductions: IntroductionStore) -> None:
    request = await introductions.request(FOYER, 1, target_user_id=2, guild_id=None)
    assert (await introductions.answer(request.id, accepted=False, by=2)).status is IntroductionStatus.declinee
    with pytest.raises(UserError):
        await introductions.answer(request.id, accepted=True, by=2)


async def test_a_declined_pair_is_no_longer_suggested(core: Core, introductions: IntroductionStore) -> None:
    await complete(core.households.store, 1)
    await complete(core.households.store, 2)
    assert await suggested(core, 1) == [2]
    request = await introductions.request(FOYER, 2, target_user_id=1, guild_id=None)
    await introductions.answer(request.id, accepted=False, by=1)
    assert await suggested(core, 1) == []
    assert await suggested(core, 2) == []


async def test_more_settled_households_than_the_early_ranking_holds_are_all_left_out(
    core: Core, introductions: IntroductionStore
) -> None:
    for user_id in range(1, 22):
        await complete(core.households.store, user_id)
    assert await suggested(core, 1) == [2, 3, 4, 5, 6]  # all alike: by id
    # Ranked from their own row before what they settled is read, the best 16 are all settled: ranked again.
    for other in range(2, 2 + SHORTLIST + SETTLED_ROOM):
        request = await introductions.request(FOYER, other, target_user_id=1, guild_id=None)
        await introductions.answer(request.id, accepted=False, by=1)
    assert await suggested(core, 1) == [18, 19, 20, 21]
    store = core.households.store
    settled = (set(range(2, 2 + SHORTLIST + SETTLED_ROOM)), set[int]())
    assert await store.settled(1) == settled
    assert await store.get_settled(1) == (await store.get(1), settled, [])
    # The households asked for are read in the same trip, in the order asked: those that exist, but the member.
    assert await store.get_settled(1, [21, 99, 3, 1]) == (
        await store.get(1),
        settled,
        await store.get_many([21, 3]),
    )
    assert await store.get_settled(99, [2]) == (None, (set(), set()), [])


async def test_a_change_the_index_has_not_heard_of_yet_still_ranks_from_the_profile_read(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = core.households.store
    for user_id in (1, 2, 3):
        await complete(store, user_id)  # Clermont-Ferrand
    for user_id in (4, 5):
        await complete(store, user_id, insee="69123")  # Lyon, 130 km away
    assert await suggested(core, 1) == [2, 3]
    # Member 1 moves to Lyon through another process, which this one has not heard of yet (a notification on
    # PostgreSQL may come a moment later, and a reading stands for a minute): its index still has them here.
    heard = core.db.change_count("household_changes")
    monkeypatch.setattr(core.db, "change_count", lambda log: heard)
    await complete(store, 1, insee="69123")
    assert await suggested(core, 1) == [4, 5]


# ---------------------------------------------------------------------- the introduction in three steps


async def test_a_budget_beyond_any_home_is_refused_and_nothing_is_stored(core: Core) -> None:
    await core.households.save_step(
        1, 1, {"lieu": "Thiers", "horizon": "maintenant", "etapes": {"lieu_existant"}}, guild_id=GUILD, locale="fr"
    )
    typed = {"adultes": "2", "statuts": {"achat"}, "budget": "99999999999999999999"}
    with pytest.raises(UserError) as refused:
        await core.households.save_step(1, 2, typed, guild_id=GUILD, locale="fr")
    assert explain(refused.value, "fr") == (
        "« Budget en €, par ex. 150000-250000 » ne convient pas : au plus 10000000."
    )
    assert explain(refused.value, "en-US") == "“Budget in €, e.g. 150000-250000” does not fit: at most 10000000."
    profile = await core.households.get(1)
    assert profile is not None and profile.step == 2 and profile.budget_max is None and profile.code_insee == "63430"


@pytest.mark.parametrize(
    ("step", "typed", "refusal"),
    [
        (2, {"adultes": "13", "statuts": {"achat"}}, "« Nombre d'adultes » ne convient pas : au plus 12."),
        (2, {"adultes": "2", "statuts": set()}, "« Statut envisagé » ne convient pas : au moins 1 élément."),
        (
            2,
            {"adultes": "2", "statuts": {"achat"}, "budget": "300000", "enfants": "99"},
            "« Nombre d'enfants » ne convient pas : au plus 12.",
        ),
        (3, {"intro": "x" * 501}, "« Quelques mots sur votre foyer » ne convient pas : au plus 500 caractères."),
        (
            1,
            {"lieu": "Thiers", "rayon": "999", "horizon": "maintenant", "etapes": {"lieu_existant"}},
            "« Rayon autour de la commune, en km » ne convient pas : au plus 300.",
        ),
        (1, {"lieu": "Thiers", "etapes": {"lieu_existant"}}, "« Quand ? » ne convient pas : à remplir."),
    ],
)
def test_every_value_is_bounded_and_refused_by_the_name_the_member_sees(
    step: int, typed: dict[str, object], refusal: str
) -> None:
    with pytest.raises(UserError) as refused:
        build_step(step, typed, geography())
    assert explain(refused.value, "fr") == refusal


# ---------------------------------------------------------------------- requests, answers, lapses


async def test_a_request_reaches_the_other_household_in_its_language_and_nothing_else(
    core: Core, notifier: RecordingNotifier
) -> None:
    await complete(core.households.store, 1)
    await complete(core.households.store, 2, locale="en-US")
    requested = await core.households.request(1, household=2, guild_id=GUILD)
    assert requested.introduction is not None
    await core.scheduler.run_due()
    [(recipient, nonce, message)] = notifier.sent
    assert (recipient, nonce) == (2, "ob-1")
    assert message.content == "A request to be put in touch is waiting for you."
    assert [b.custom_id for b in message.buttons] == [f"intro:oui:{requested.introduction.id}", "intro:non:1"]
    assert [b.label for b in message.buttons] == ["Accept", "Decline"]


async def test_an_unanswered_request_lapses_and_the_requester_is_told_in_the_same_change(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await complete(core.households.store, 1, locale="en-US")
    await complete(core.households.store, 2)
    for user_id in (1, 2):
        await core.households.set_digest(user_id, False)
    await core.households.request(1, household=2, guild_id=GUILD)
    await core.scheduler.run_due()
    clock.advance(days=13)
    assert await core.households.run_due() == 0  # not yet
    assert await core.households.next_due() == clock.now + timedelta(days=1)
    clock.advance(days=1, seconds=1)
    assert await core.households.run_due() == 1
    introduction = await core.households.introductions.get(1)
    assert introduction is not None and introduction.status is IntroductionStatus.expiree
    assert [letter.kind for letter in await core.outbox.store.pending(subject("introduction", 1))] == [LAPSED]
    await core.scheduler.run_due()
    assert texts(notifier, 1) == [
        "⌛ Your introduction request of 1 March 2027 got no answer in 14 days: it is closed, and nothing was "
        "shared. Other suggestions are waiting for you: /matching suggestions."
    ]
    with pytest.raises(UserError, match="expiré"):
        await core.households.answer(1, by=2, accepted=True, rooms=NoRooms())


async def test_a_decline_is_told_to_the_requester_and_the_pair_never_suggested_again(
    core: Core, notifier: RecordingNotifier
) -> None:
    await complete(core.households.store, 1)
    await complete(core.households.store, 2)
    await core.households.request(1, household=2, guild_id=GUILD)
    with pytest.raises(UserError, match="pas adressée"):
        await core.households.answer(1, by=3, accepted=True, rooms=NoRooms())
    answered = await core.households.answer(1, by=2, accepted=False, rooms=NoRooms())
    assert answered.status is IntroductionStatus.declinee
    await core.scheduler.run_due()
    assert texts(notifier, 1) == [
        "Votre demande de mise en lien n'a pas abouti cette fois-ci. D'autres suggestions vous attendent : "
        "/mise-en-lien suggestions."
    ]
    assert texts(notifier, 2) == []  # answered before its request went out: the request is not sent
    assert (await core.households.suggestions(1)).households == []


async def test_a_project_without_a_referent_on_discord_gives_its_public_contact(core: Core) -> None:
    await complete(core.households.store, 1)
    report = await core.projects.import_drafts(
        [
            ProjectDraft(
                nom="Les Tilleuls",
                code_insee="63113",
                etape=Etape.vivre_ensemble,
                recrute=True,
                site="https://tilleuls.example",
                contact="tilleuls@example.org",
            )
        ]
    )
    assert report.created == 1
    requested = await core.households.request(1, project=1, guild_id=GUILD)
    assert requested.introduction is None
    assert requested.project is not None and requested.project.nom == "Les Tilleuls"
    assert await core.db.fetchall("SELECT * FROM introductions") == []


async def test_a_project_request_no_referent_can_receive_is_withdrawn_with_the_public_contact(
    core: Core, notifier: RecordingNotifier
) -> None:
    await complete(core.households.store, 1)
    draft = ProjectDraft(
        nom="Les Tilleuls", code_insee="63113", etape=Etape.vivre_ensemble, recrute=True,
        forme_juridique=FormeJuridique.association, contact="tilleuls@example.org",
    )  # fmt: skip
    project = await core.projects.propose(draft, proposer_id=8, guild_id=GUILD, locale="fr")
    await core.projects.publish(project.id)
    await core.households.request(1, project=project.id, guild_id=GUILD)
    notifier.answer = Delivery.CLOSED
    await core.outbox.run_due()
    notifier.answer = Delivery.SENT
    await core.scheduler.run_due()
    assert texts(notifier, 1) == [
        "Votre demande au projet « Les Tilleuls » n'a pu être remise à aucun de ses référents : leurs messages "
        "privés sont fermés.\nLe projet se contacte aussi directement : tilleuls@example.org"
    ]
    introduction = await core.households.introductions.get(1)
    assert introduction is not None and introduction.status is IntroductionStatus.retiree


async def test_a_household_known_to_have_closed_dms_is_refused_at_once(core: Core) -> None:
    await complete(core.households.store, 1)
    await complete(core.households.store, 2)
    await core.households.store.note_dm(2, closed=True)
    with pytest.raises(UserError, match="ne reçoit pas de messages privés"):
        await core.households.request(1, household=2, guild_id=GUILD)
    assert await core.db.fetchall("SELECT * FROM introductions") == []


# ---------------------------------------------------------------------- the yearly question


async def a_year_on(core: Core, clock: ManualDateClock) -> None:
    """Household 1 introduced (without the weekly digest, to keep to the question) a year ago."""
    await complete(core.households.store, 1)
    await core.households.set_digest(1, False)
    clock.advance(days=366)


async def test_the_yearly_question_is_retried_after_a_server_error_and_the_pause_counts_from_its_delivery(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await a_year_on(core, clock)
    notifier.answer = Delivery.FAILED  # Discord answers 500
    await core.scheduler.run_due()
    assert await statuses(core, QUESTION) == [(Status.pending, None)]
    clock.advance(days=31)  # a month after the question was written, not delivered: not paused
    notifier.answer = Delivery.SENT
    await core.scheduler.run_due()
    profile = await core.households.get(1)
    assert profile is not None and not profile.paused
    assert profile.asked_delivered_at == clock.now
    assert texts(notifier, 1) == [
        "Votre présentation de foyer a un an. Est-elle toujours d'actualité ? Sans réponse d'ici un mois, elle sera "
        "mise en pause (plus proposée à personne)."
    ]
    clock.advance(days=29)
    await core.scheduler.run_due()
    profile = await core.households.get(1)
    assert profile is not None and not profile.paused
    clock.advance(days=2)
    await core.scheduler.run_due()
    profile = await core.households.get(1)
    assert profile is not None and profile.paused


async def test_an_answer_to_the_yearly_question_keeps_the_introduction_for_another_year(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await a_year_on(core, clock)
    await core.scheduler.run_due()
    await core.households.still_holds(1, True)
    clock.advance(days=60)
    await core.scheduler.run_due()
    profile = await core.households.get(1)
    assert profile is not None and not profile.paused and profile.asked_at is None
    assert len(texts(notifier, 1)) == 1


# ---------------------------------------------------------------------- every kind on the ledger

Make = Callable[[Core, ManualDateClock, RecordingNotifier], Awaitable[int]]


async def two_households(core: Core) -> None:
    await complete(core.households.store, 1)
    await complete(core.households.store, 2)
    await core.households.set_digest(2, False)


async def make_request(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> int:
    await two_households(core)
    await core.households.request(1, household=2, guild_id=GUILD)
    return 2


async def make_answer(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> int:
    await make_request(core, clock, notifier)
    await core.households.answer(1, by=2, accepted=True, rooms=NoRooms())
    return 1


async def make_withdrawal(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> int:
    await make_request(core, clock, notifier)
    notifier.answer = Delivery.CLOSED
    await core.outbox.run_due()
    notifier.answer = Delivery.SENT
    return 1


async def make_lapse(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> int:
    await make_request(core, clock, notifier)
    await core.outbox.run_due()
    clock.advance(days=15)
    await core.households.run_due()
    return 1


async def make_digest(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> int:
    await two_households(core)
    clock.advance(days=8)
    await core.households.run_due()
    return 1


async def make_question(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> int:
    await a_year_on(core, clock)
    await core.households.run_due()
    return 1


async def make_greeting(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> int:
    await core.households.greet(GUILD, 7)
    return 7


KINDS: dict[str, Make] = {
    REQUEST: make_request,
    ANSWERED: make_answer,
    WITHDRAWN: make_withdrawal,
    LAPSED: make_lapse,
    DIGEST: make_digest,
    QUESTION: make_question,
    GREETING: make_greeting,
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_kind_is_retried_after_a_server_error_and_sent_once(
    core: Core, clock: ManualDateClock, notifier: RecordingNotifier, kind: str
) -> None:
    recipient = await KINDS[kind](core, clock, notifier)
    [letter] = [row for row in await due_letters(core.outbox.store, clock.now) if row.kind == kind]
    assert letter.recipient_id == recipient
    notifier.answer = Delivery.FAILED
    await core.outbox.run_due()
    retried = await core.outbox.store.get(letter.id)
    assert retried is not None and retried.status is Status.pending and retried.attempts == 1
    notifier.answer = Delivery.SENT
    clock.advance(seconds=FIRST_RETRY.total_seconds())
    await core.outbox.run_due()
    sent = await core.outbox.store.get(letter.id)
    assert sent is not None and sent.status is Status.sent
    assert [nonce for user_id, nonce, _ in notifier.sent if user_id == recipient].count(letter.nonce) == 1


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_kind_to_closed_dms_is_undeliverable_with_its_reason(
    core: Core, clock: ManualDateClock, notifier: RecordingNotifier, kind: str
) -> None:
    await KINDS[kind](core, clock, notifier)
    [letter] = [row for row in await due_letters(core.outbox.store, clock.now) if row.kind == kind]
    notifier.answer = Delivery.CLOSED
    await core.outbox.run_due()
    settled = await core.outbox.store.get(letter.id)
    assert settled is not None and (settled.status, settled.reason) == (Status.undeliverable, CLOSED)


# ---------------------------------------------------------------------- migration 0010


async def test_a_question_the_old_code_claimed_is_asked_again_through_the_ledger(tmp_path: Path) -> None:
    """Before 0010 a question was marked before it was sent: whether it arrived is unknown, so it is asked
    again, and the month before a pause starts at that delivery."""
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:7]:
        shutil.copy(path, old / path.name)
    clock = ManualDateClock()
    async with SqliteDatabase(tmp_path / "old.sqlite3", clock=clock) as db:
        assert await db.migrate(old) == [1, 2, 3, 4, 5, 6, 7]
        asked = to_db(clock.now - timedelta(days=40))
        for user_id, paused in ((1, 0), (2, 1)):
            await db.execute(
                "INSERT INTO household_profiles (user_id, guild_id, step, paused, created_at, updated_at, nudged_at,"
                " last_digest_at) VALUES (?, 5, 4, ?, ?, ?, ?, ?)",
                (user_id, paused, asked, asked, asked, asked),
            )
        await db.migrate()
        rows = await db.fetchall("SELECT kind, recipient_id, subject, status FROM outbox")
        assert [tuple(row) for row in rows] == [(QUESTION, 1, "household:1", "pending")]
        store = HouseholdStore(db, geography())
        profile = await store.get(1)
        assert profile is not None and profile.asked_at is not None and profile.asked_delivered_at is None
        assert profile.digest_done_at == clock.now - timedelta(days=40)
        assert await store.to_pause(clock.now, 10) == []  # never paused before the question arrives


async def test_households_introduced_before_the_index_are_suggested_as_before(tmp_path: Path) -> None:
    """Migrations 0022 and 0025 write each profile's départements and masks from its tags (read from the row
    since), and 0022 numbers it for the index."""
    old = tmp_path / "migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:20]:
        shutil.copy(path, old / path.name)
    clock = ManualDateClock()
    async with SqliteDatabase(tmp_path / "old.sqlite3", clock=clock) as db:
        await db.migrate(old)
        moment = to_db(clock.now)
        for user_id, statut in ((1, "achat"), (2, "achat"), (3, "brs")):
            await db.execute(
                "INSERT INTO household_profiles (user_id, guild_id, step, lat, lon, radius_km, horizon,"
                " visible_households, created_at, updated_at) VALUES (?, 5, 4, 45.78, 3.09, 30, 'maintenant', 1, ?, ?)",
                (user_id, moment, moment),
            )
            tags = [("departement", "63"), ("departement", "03"), ("statut", statut), ("etape", "lieu_existant")]
            tags += [("valeur", "ecologie"), ("valeur", "culture"), ("apport", "soin"), ("milieu", "rural")]
            await db.execute_many(
                "INSERT INTO household_tags (user_id, kind, value) VALUES (?, ?, ?)", [(user_id, *t) for t in tags]
            )
        await db.migrate()
        row = await db.fetchone("SELECT * FROM household_profiles WHERE user_id = 1")
        assert row is not None
        assert sorted(row["departements"].split()) == ["03", "63"]
        assert (row["statut_mask"], row["etape_mask"], row["valeur_mask"], row["apport_mask"]) == (4, 4, 513, 2048)
        assert row["milieu_mask"] == 4
        core = build_core(Settings(_env_file=None), db=db, clock=clock, notifier=RecordingNotifier())
        shown = await core.households.suggestions(1)
        assert [s.target_id for s in shown.households] == [2]  # 3 shares no tenure
        profile = await core.households.get(1)
        assert profile is not None
        assert (profile.departements, profile.milieux, profile.statuts) == (
            frozenset({"03", "63"}),
            frozenset({Milieu.rural}),
            frozenset({Statut.achat}),
        )
        assert (profile.etapes, profile.valeurs, profile.apports) == (
            frozenset({EtapeRejointe.lieu_existant}),
            frozenset({Valeur.ecologie, Valeur.culture}),
            frozenset({Apport.soin}),
        )
        assert ("en commun : {valeurs}", {"valeurs": ["culture", "ecologie"]}) in [
            (r.text, r.params) for r in shown.households[0].reasons
        ]


COMMUNES = ("63113", "63430", "63300", "63178", "03310", "69123")


async def test_suggested_projects_rank_exactly_as_the_pure_scoring_over_whole_records(core: Core) -> None:
    """The service ranks candidate projects from the few columns it reads, then reads only the first ones whole:
    on random projects and households, members are shown what scoring every whole record would show them."""
    rng = random.Random(7)

    def some(members: Any, least: int = 0) -> frozenset[Any]:
        return frozenset(rng.sample(list(members), rng.randint(least, len(members))))

    drafts = [
        ProjectDraft(
            nom=f"Projet {n}",
            code_insee=rng.choice(COMMUNES),
            etape=rng.choice(list(Etape)),
            forme_juridique=rng.choice(list(FormeJuridique)),
            recrute=rng.random() < 0.8,
            publics=some(Public),
            espaces_partages=some(EspacePartage),
        )
        for n in range(80)
    ]
    assert (await core.projects.import_drafts(drafts[:70])).created == 70
    # With a référent (100), so that introductions can settle them; the last one awaits moderation.
    for draft in drafts[70:]:
        proposed = await core.projects.propose(draft, proposer_id=100, guild_id=GUILD, locale="fr")
        if draft is not drafts[-1]:
            await core.projects.publish(proposed.id)
    for user_id in range(1, 31):
        centred = rng.random() < 0.7
        where = WhereWhen(
            code_insee=rng.choice(COMMUNES) if centred else None,
            departements=frozenset() if centred else some(("63", "03", "69", "15"), 1),
            radius_km=rng.choice((5, 30, 80, 150)), horizon=rng.choice(list(Horizon)), etapes=some(EtapeRejointe, 1),
        )  # fmt: skip
        await core.households.store.save_where(user_id, where, guild_id=GUILD, locale="fr")
        makeup = HouseholdMakeup(
            adults=1, children=rng.randint(0, 1), seniors=rng.randint(0, 1), statuts=some(Statut, 1)
        )
        await core.households.store.save_household(user_id, makeup)
        matters = WhatMatters(valeurs=some(Valeur), accessibility=rng.random() < 0.3, visibility="tous")
        await core.households.store.save_matters(user_id, matters)
    records = await core.projects.get_many(list(range(1, 81)))
    settled: dict[int, set[int]] = {user_id: set() for user_id in range(1, 31)}
    for user_id in range(1, 31):  # each asked by, or asking, one of the projects with a référent
        project_id = rng.randint(71, 79)
        if user_id % 4 == 0:  # a référent has at most ten proposals pending
            await core.households.propose(project_id, 100, user_id, guild_id=GUILD)
        else:
            await core.households.request(user_id, project=project_id, guild_id=GUILD)
        settled[user_id].add(project_id)
    shown_any = 0
    for user_id in range(1, 31):
        profile = await core.households.store.get(user_id)
        assert profile is not None
        candidates = [record for record in records if record.id not in settled[user_id]]
        expected = ranked((score_project(profile, record) for record in candidates), SUGGESTIONS)
        shown = await core.households.suggestions(user_id)
        assert shown.projects == expected
        assert sorted(shown.records) == sorted(s.target_id for s in expected)
        shown_any += bool(expected)
    assert shown_any >= 10  # the random cases do show projects
