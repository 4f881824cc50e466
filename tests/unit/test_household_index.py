"""The in-memory index of households ranks as the pure functions do: the same hard limits, the same score to
the bit, the same order as `ranked` over `score_households`, whatever the profiles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.changes import MISSING_WAIT, REREAD_AFTER, ChangeCursor
from bot.households.index import MatchIndex
from bot.households.matching import ranked, score_households
from bot.households.models import COMPLETE, HouseholdProfile
from bot.households.service import open_to_households
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Statut, Valeur, mask_of

DEPARTEMENTS = ("03", "15", "42", "43", "63", "69")
MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def row_of(profile: HouseholdProfile, seq: int) -> dict[str, Any]:
    """The changed row as `HouseholdStore.changes` reads it."""
    return {
        "seq": seq,
        "user_id": profile.user_id,
        "step": profile.step,
        "lat": profile.lat,
        "lon": profile.lon,
        "radius_km": profile.radius_km,
        "horizon": profile.horizon.value if profile.horizon else None,
        "visible_households": int(profile.visible_households),
        "paused": int(profile.paused),
        "dm_closed": int(profile.dm_closed),
        "departements": " ".join(sorted(profile.departements)),
        "statut_mask": mask_of(profile.statuts, Statut),
        "etape_mask": mask_of(profile.etapes, EtapeRejointe),
        "valeur_mask": mask_of(profile.valeurs, Valeur),
        "apport_mask": mask_of(profile.apports, Apport),
    }


def sets(values: Any, least: int = 0) -> st.SearchStrategy[frozenset[Any]]:
    return st.frozensets(st.sampled_from(list(values)), min_size=least)


# Often at the very same place, as households of one commune are: then only the id parts them.
REGION = st.sampled_from([(45.7797, 3.0863), (45.8566, 3.5475), (46.1277, 3.4258)]) | st.tuples(
    st.floats(44.5, 46.5), st.floats(2.0, 4.5)
)
# A city and its outskirts: most households at its centre, the others within a few cells of it.
CITY = st.just((45.7797, 3.0863)) | st.tuples(st.floats(45.6, 45.95), st.floats(2.85, 3.3))


@st.composite
def profiles(draw: st.DrawFn, user_id: int, place: st.SearchStrategy[tuple[float, float]] = REGION) -> HouseholdProfile:
    centred = draw(st.booleans()) or draw(st.booleans())
    lat, lon = draw(place) if centred else (None, None)
    return HouseholdProfile(
        user_id=user_id,
        guild_id=1,
        step=draw(st.sampled_from([COMPLETE, COMPLETE, COMPLETE, 3])),
        code_insee=None,
        commune="Ici" if centred else None,
        lat=lat,
        lon=lon,
        radius_km=draw(st.integers(1, 300) if place is REGION else st.integers(1, 40)) if centred else None,
        departements=draw(sets(DEPARTEMENTS, 1)),
        milieux=frozenset(),
        horizon=draw(st.sampled_from(list(Horizon))),
        etapes=draw(sets(EtapeRejointe, 1)),
        adults=1,
        children=0,
        seniors=0,
        accessibility=False,
        statuts=draw(sets(Statut, 1)),
        budget_min=None,
        budget_max=None,
        valeurs=draw(sets(Valeur)),
        apports=draw(sets(Apport)),
        intro="",
        visible_households=draw(st.booleans()) or draw(st.booleans()),
        visible_projects=False,
        paused=draw(st.integers(0, 9)) == 0,
        digest=True,
        locale="fr",
        created_at=MOMENT,
        updated_at=MOMENT,
        dm_closed=draw(st.integers(0, 9)) == 0,
    )


@st.composite
def networks(
    draw: st.DrawFn, most: int = 40, place: st.SearchStrategy[tuple[float, float]] = REGION
) -> tuple[HouseholdProfile, list[HouseholdProfile]]:
    me = draw(profiles(1, place))
    others = [draw(profiles(user_id, place)) for user_id in range(2, 2 + draw(st.integers(0, most)))]
    return me.model_copy(update={"step": COMPLETE, "paused": False}), others


@settings(max_examples=300, deadline=None)
@given(networks(), st.integers(1, 8), st.data())
def test_the_index_ranks_every_household_as_the_pure_functions_do(
    network: tuple[HouseholdProfile, list[HouseholdProfile]], limit: int, data: st.DataObject
) -> None:
    ranks_as_the_pure_functions_do(network, limit, data)


@settings(max_examples=40, deadline=None)
@given(networks(120, CITY), st.integers(1, 8), st.data())
def test_in_a_city_the_index_still_ranks_as_the_pure_functions_do(
    network: tuple[HouseholdProfile, list[HouseholdProfile]], limit: int, data: st.DataObject
) -> None:
    # Many within reach: a bar from the first circle, and the box it leaves, cell row by cell row.
    ranks_as_the_pure_functions_do(network, limit, data)


def ranks_as_the_pure_functions_do(
    network: tuple[HouseholdProfile, list[HouseholdProfile]], limit: int, data: st.DataObject
) -> None:
    me, others = network
    index = MatchIndex()
    # In two changes, the second renumbering some households: a household is where its last change says.
    changed = data.draw(st.lists(st.sampled_from(others), unique_by=lambda p: p.user_id)) if others else []
    index.apply([row_of(p, seq) for seq, p in enumerate([me, *others], start=1)], 0.0)
    if data.draw(st.booleans()):
        index._compact()  # as after many changes: these by rows of cells, the next ones after them
    index.apply([row_of(other, len(others) + 1 + n) for n, other in enumerate(changed, start=1)], 0.0)
    settled = set(data.draw(st.lists(st.sampled_from([o.user_id for o in others] or [0]), max_size=3)))
    candidates = [o for o in others if open_to_households(o) and o.user_id not in settled]
    expected = [s.target_id for s in ranked((score_households(me, other) for other in candidates), limit)]
    assert index.rank(index.asker(me), settled, limit) == expected
    # Ranked from the household's own row, as a member asking is before their profile is read: the same, whether
    # others may meet them or not.
    own = index.asker_of(me.user_id)
    assert own == index.asker(me)
    assert index.rank(own, settled, limit) == expected
    assert len(index) == sum(open_to_households(p) for p in {p.user_id: p for p in [me, *others]}.values())


def test_a_household_no_longer_matchable_leaves_the_index() -> None:
    index = MatchIndex()
    me, other = (
        HouseholdProfile.model_construct(**{**row_of_defaults(), "user_id": user_id, "departements": frozenset({"63"})})
        for user_id in (1, 2)
    )
    index.apply([row_of(other, 1)], 0.0)
    assert index.rank(index.asker(me), (), 5) == [2]
    index.apply([{**row_of(other, 2), "paused": 1}], 0.0)
    assert index.rank(index.asker(me), (), 5) == []
    index.apply([row_of(other, 3)], 0.0)
    index.drop(2)
    assert index.rank(index.asker(me), (), 5) == []


def row_of_defaults() -> dict[str, Any]:
    return {
        "guild_id": 1,
        "step": COMPLETE,
        "code_insee": "63113",
        "commune": "Clermont-Ferrand",
        "lat": 45.7797,
        "lon": 3.0863,
        "radius_km": 30,
        "milieux": frozenset(),
        "horizon": Horizon.maintenant,
        "etapes": frozenset({EtapeRejointe.lieu_existant}),
        "statuts": frozenset({Statut.achat}),
        "valeurs": frozenset(),
        "apports": frozenset(),
        "visible_households": True,
        "paused": False,
        "dm_closed": False,
    }


def test_a_change_number_found_missing_is_asked_for_again_for_a_while() -> None:
    index = MatchIndex()
    other = HouseholdProfile.model_construct(**{**row_of_defaults(), "user_id": 2, "departements": frozenset({"63"})})
    index.apply([row_of(other, 1), row_of(other, 4)], 100.0)
    assert index.changes.since == 4
    assert index.changes.wanted(100.0 + MISSING_WAIT / 2) == [2, 3]  # not yet committed, perhaps
    index.apply([row_of(other, 3)], 101.0)
    assert index.changes.wanted(100.0 + MISSING_WAIT / 2) == [2]
    assert index.changes.wanted(100.0 + MISSING_WAIT) == []  # rolled back, or renumbered since


def test_a_reading_is_trusted_a_minute_while_the_count_of_changes_stands_still() -> None:
    cursor = ChangeCursor()
    assert not cursor.current(None, 0.0) and not cursor.current(0, 0.0)  # never read
    cursor.caught_up(5, 100.0)
    assert cursor.current(5, 100.0 + REREAD_AFTER - 1)
    assert not cursor.current(6, 101.0)  # the log moved
    assert not cursor.current(None, 101.0)  # that cannot be told now (PostgreSQL not listening)
    assert not cursor.current(5, 100.0 + REREAD_AFTER)  # a lost notification is not waited for longer
