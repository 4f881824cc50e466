"""Household profiles and introductions: the store's rules on a real SQLite file."""

from __future__ import annotations

import pytest

from bot.db import Database
from bot.errors import UserError
from bot.geo import geography
from bot.households.models import (
    MAX_PENDING_REQUESTS,
    HouseholdMakeup,
    WhatMatters,
    WhereWhen,
    parse_budget,
    parse_place,
)
from bot.households.store import HouseholdStore, IntroductionStore
from bot.vocabulary import EtapeRejointe, Horizon, Statut
from tests.support import ManualDateClock


@pytest.fixture
def clock(db: Database) -> ManualDateClock:
    manual = ManualDateClock()
    db.clock = manual
    return manual


@pytest.fixture
def households(db: Database, clock: ManualDateClock) -> HouseholdStore:
    return HouseholdStore(db, geography())


@pytest.fixture
def introductions(db: Database, clock: ManualDateClock) -> IntroductionStore:
    return IntroductionStore(db)


async def complete(store: HouseholdStore, user_id: int, insee: str = "63113", visibility: str = "tous") -> None:
    where = WhereWhen(
        code_insee=insee, radius_km=30, horizon=Horizon.maintenant, etapes=frozenset({EtapeRejointe.lieu_existant})
    )
    await store.save_where(user_id, where, guild_id=1, locale="fr")
    await store.save_household(user_id, HouseholdMakeup(adults=1, statuts=frozenset({Statut.achat})))
    await store.save_matters(user_id, WhatMatters(visibility=visibility))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150000-250000", (150000, 250000)),
        ("150 000 € – 250 000 €", (150000, 250000)),
        ("250000", (None, 250000)),
        ("", (None, None)),
    ],
)
def test_budget(text: str, expected: tuple[int | None, int | None]) -> None:
    assert parse_budget(text) == expected


def test_budget_refuses_words() -> None:
    with pytest.raises(UserError):
        parse_budget("beaucoup")


def test_place_is_a_commune_or_departements() -> None:
    geo = geography()
    assert parse_place("63, 03", geo) == (None, frozenset({"63", "03"}))
    assert parse_place("Thiers", geo) == ("63430", frozenset())


async def test_a_circle_profile_knows_the_departements_it_touches(households: HouseholdStore) -> None:
    await complete(households, 1, insee="03310")  # Vichy, near the Puy-de-Dôme
    profile = await households.get(1)
    assert profile is not None and profile.complete
    assert {"03", "63"} <= profile.departements


async def test_only_visible_complete_unpaused_households_are_candidates(households: HouseholdStore) -> None:
    await complete(households, 1)
    await complete(households, 2)
    await complete(households, 3, visibility="projets")
    await complete(households, 4)
    await households.set_flags(4, paused=True)
    me = await households.get(1)
    assert me is not None
    assert [p.user_id for p in await households.candidate_households(me)] == [2]


async def test_at_most_ten_pending_requests_and_none_twice(introductions: IntroductionStore) -> None:
    await introductions.request(1, target_user_id=2, guild_id=None)
    with pytest.raises(UserError, match="existe déjà"):
        await introductions.request(1, target_user_id=2, guild_id=None)
    for target in range(3, 2 + MAX_PENDING_REQUESTS):
        await introductions.request(1, target_user_id=target, guild_id=None)
    with pytest.raises(UserError, match="demandes en attente"):
        await introductions.request(1, target_user_id=99, guild_id=None)
    with pytest.raises(UserError):
        await introductions.request(5, target_user_id=5, guild_id=None)


async def test_requests_expire_after_fourteen_days(introductions: IntroductionStore, clock: ManualDateClock) -> None:
    request = await introductions.request(1, target_user_id=2, guild_id=None)
    clock.advance(days=15)
    with pytest.raises(UserError, match="expiré"):
        await introductions.answer(request.id, accepted=True, by=2)
    found = await introductions.get(request.id)
    assert found is not None and found.status == "expiree"


async def test_the_first_answer_counts(introductions: IntroductionStore) -> None:
    request = await introductions.request(1, target_user_id=2, guild_id=None)
    assert (await introductions.answer(request.id, accepted=False, by=2)).status == "declinee"
    with pytest.raises(UserError):
        await introductions.answer(request.id, accepted=True, by=2)


async def test_a_declined_pair_is_no_longer_a_candidate(
    households: HouseholdStore, introductions: IntroductionStore
) -> None:
    await complete(households, 1)
    await complete(households, 2)
    request = await introductions.request(2, target_user_id=1, guild_id=None)
    await introductions.answer(request.id, accepted=False, by=1)
    me = await households.get(1)
    assert me is not None
    assert await households.candidate_households(me) == []


async def test_a_capped_candidate_list_keeps_the_nearest(households: HouseholdStore) -> None:
    await complete(households, 1, insee="63113")  # Clermont-Ferrand
    for user_id, insee in ((2, "63430"), (3, "63178"), (4, "63300"), (5, "03310")):  # Thiers, Issoire, Riom, Vichy
        await complete(households, user_id, insee=insee)
    me = await households.get(1)
    assert me is not None
    nearest = [p.user_id for p in await households.candidate_households(me, limit=2)]
    assert nearest == [4, 3]  # Riom (~14 km), then Issoire (~31 km): not the oldest two
