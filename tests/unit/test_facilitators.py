"""Facilitators: the ranking (a pure function, hypothesis), the area, the store and FacilitatorService's
flows on a real SQLite file built by build_core, the ledger included; the CSV import; privacy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.__main__ import main
from bot.core import Core
from bot.errors import UserError
from bot.geo import Commune, geography
from bot.projects.csvfile import ImportError_
from bot.resources.facilitators.csvfile import CSV_HEADER, parse_csv
from bot.resources.facilitators.messages import reason
from bot.resources.facilitators.models import (
    MEMBERS_MAX,
    Area,
    Facilitator,
    FacilitatorDraft,
    FacilitatorStatus,
    RequestStatus,
    Structure,
)
from bot.resources.facilitators.ranking import Need, rank
from bot.resources.facilitators.service import ANSWERED, LAPSED, MODERATION, QUESTION, REQUEST, VERDICT
from bot.resources.facilitators.zone import parse_zone, zone_text
from bot.vocabulary import Etape, Expertise, Posture, Suivi
from tests.support import ManualDateClock, RecordingNotifier

GEO = geography()
CLERMONT = GEO.resolve_commune("insee:63113")
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "facilitators.csv"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def record(
    ident: int,
    *,
    expertises: frozenset[Expertise] = frozenset({Expertise.immobilier}),
    etapes: frozenset[Etape] = frozenset({Etape.emergence}),
    at: Commune = CLERMONT,
    lat: float | None = None,
    zone: Area | None = None,
) -> Facilitator:
    return Facilitator(
        id=ident, nom=f"Structure {ident}", structure=Structure.association, code_insee=at.insee,
        expertises=expertises, etapes=etapes, zone=zone or Area(), commune=at.nom, departement=at.departement,
        region=at.region, lat=at.lat if lat is None else lat, lon=at.lon, statut=FacilitatorStatus.publie,
        guild_id=None, proposed_by=None, created_at=EPOCH, updated_at=EPOCH, confirmed_at=EPOCH,
    )  # fmt: skip


def draft(nom: str = "Cairn (test)", **fields: object) -> FacilitatorDraft:
    base: dict[str, object] = {
        "nom": nom,
        "code_insee": "63113",
        "structure": Structure.cooperative,
        "zone": Area(departements=frozenset({"63"})),
        "expertises": frozenset({Expertise.dynamiques_groupes}),
        "etapes": frozenset({Etape.emergence}),
        "site": "https://exemple.org/cairn",
    }
    return FacilitatorDraft.model_validate(base | fields)


# ---------------------------------------------------------------------- ranking

expertise_sets = st.frozensets(st.sampled_from(list(Expertise)))
phases = st.one_of(st.none(), st.sampled_from(list(Etape)))


@given(
    needed=expertise_sets,
    phase=phases,
    fewer=expertise_sets,
    extra=expertise_sets,
    etapes=st.frozensets(st.sampled_from(list(Etape)), min_size=1),
    covers=st.booleans(),
    lat=st.floats(min_value=42.0, max_value=50.0),
)
def test_covering_more_of_the_needs_never_ranks_lower(
    needed: frozenset[Expertise],
    phase: Etape | None,
    fewer: frozenset[Expertise],
    extra: frozenset[Expertise],
    etapes: frozenset[Etape],
    covers: bool,
    lat: float,
) -> None:
    """Same base, same area: the one whose expertises and phases are a superset is never ranked below."""
    zone = Area(departements=frozenset({"63"})) if covers else Area()
    more = fewer | extra
    richer = record(1, expertises=more or frozenset(Expertise), etapes=etapes | {Etape.emergence}, lat=lat, zone=zone)
    poorer = record(2, expertises=fewer or richer.expertises, etapes=etapes, lat=lat, zone=zone)
    if not fewer:
        poorer = record(2, expertises=richer.expertises, etapes=etapes, lat=lat, zone=zone)
    need = Need(needed, phase)
    ranked = rank([poorer, richer], need, CLERMONT)
    by_id = {r.facilitator.id: r for r in ranked}
    assert by_id[1].fit >= by_id[2].fit
    if by_id[1].fit > by_id[2].fit:
        assert ranked[0].facilitator.id == 1


@given(fits=st.lists(st.tuples(expertise_sets, st.booleans(), st.floats(41.0, 51.0)), min_size=1, max_size=8))
def test_the_order_is_fit_then_area_then_distance(fits: list[tuple[frozenset[Expertise], bool, float]]) -> None:
    need = Need(frozenset({Expertise.dynamiques_groupes, Expertise.immobilier}), Etape.emergence)
    candidates = [
        record(i, expertises=e or frozenset({Expertise.gestion_projets}), lat=lat,
               zone=Area(departements=frozenset({"63"})) if c else Area())
        for i, (e, c, lat) in enumerate(fits)
    ]  # fmt: skip
    ranked = rank(candidates, need, CLERMONT)
    keys = [(-r.fit, not r.covers, r.distance_km) for r in ranked]
    assert keys == sorted(keys)


def test_fit_counts_the_needed_expertises_and_the_phase() -> None:
    need = Need(frozenset({Expertise.dynamiques_groupes, Expertise.immobilier}), Etape.emergence)
    [ranked] = rank([record(1, expertises=frozenset({Expertise.dynamiques_groupes}))], need, CLERMONT)
    assert (ranked.fit, ranked.matched, ranked.phase_matched) == (2, (Expertise.dynamiques_groupes,), True)
    assert ranked.distance_km == pytest.approx(0.0)
    assert reason(ranked, need, "fr") == "dynamiques de groupes, émergence, à moins d'1 km"


def test_a_covering_facilitator_comes_before_a_nearer_one_of_equal_fit() -> None:
    vichy = GEO.commune("03310")
    assert vichy is not None
    near = record(1, at=CLERMONT)
    covering = record(2, at=vichy, zone=Area(departements=frozenset({"63"})))
    need = Need(frozenset({Expertise.immobilier}), None)
    ranked = rank([near, covering], need, CLERMONT)
    assert [r.facilitator.id for r in ranked] == [2, 1]
    assert reason(ranked[0], need, "en-US") == "real estate, works in your area, 47 km away"


# ---------------------------------------------------------------------- the area


def test_an_area_is_typed_as_departements_regions_and_communes() -> None:
    area = parse_zone("63, Allier; Auvergne-Rhône-Alpes, Vichy", GEO)
    assert area == Area(communes=frozenset({"03310"}), departements=frozenset({"63", "03"}), regions=frozenset({"84"}))
    assert zone_text(area, GEO) == "Auvergne-Rhône-Alpes, Allier (03), Puy-de-Dôme (63), Vichy (03)"
    assert parse_zone("Auvergne", GEO).departements == {"03", "15", "43", "63"}  # a former région: its départements
    with pytest.raises(UserError) as refused:
        parse_zone("63, Atlantide", GEO)
    assert refused.value.params == {"lieu": "Atlantide"}


def test_an_area_covers_its_communes_departements_and_regions() -> None:
    lyon = GEO.commune("69123")
    assert lyon is not None
    assert Area(regions=frozenset({"84"})).covers(CLERMONT)
    assert Area(departements=frozenset({"63"})).covers(CLERMONT)
    assert Area(communes=frozenset({"63113"})).covers(CLERMONT)
    assert not Area(departements=frozenset({"63"})).covers(lyon)


# ---------------------------------------------------------------------- the store and the service


async def test_a_registration_waits_for_a_moderator_then_is_published(core: Core, notifier: RecordingNotifier) -> None:
    service = core.facilitators
    await core.guild_settings.update(1, modqueue_channel_id=500)
    outcome = await service.register(draft(), proposer_id=42, guild_id=1, locale="fr")
    assert outcome.queued and outcome.facilitator.members == (42,)
    assert not outcome.facilitator.published
    assert await service.near(CLERMONT, Need(frozenset({Expertise.dynamiques_groupes}), None)) == []
    await core.outbox.run_due()
    [(channel, _, card)] = notifier.sent
    assert channel == 500 and "Cairn (test)" in (card.title or "")
    await service.publish(outcome.facilitator.id)
    await core.outbox.run_due()
    assert notifier.sent[-1][0] == 42
    assert "est publiée" in notifier.sent[-1][2].content
    [found] = await service.near(CLERMONT, Need(frozenset({Expertise.dynamiques_groupes}), Etape.emergence))
    assert (found.fit, found.covers) == (2, True)
    with pytest.raises(UserError):
        await service.publish(outcome.facilitator.id)
    assert await core.outbox.store.counts(MODERATION) == {"sent": 1}
    assert await core.outbox.store.counts(VERDICT) == {"sent": 1}


async def test_a_refusal_tells_why_and_a_name_is_taken_once(core: Core, notifier: RecordingNotifier) -> None:
    service = core.facilitators
    outcome = await service.register(draft(), proposer_id=42, guild_id=None, locale="en-US")
    assert not outcome.queued
    with pytest.raises(UserError):
        await service.register(draft("CAIRN (Test)"), proposer_id=43, guild_id=None, locale="fr")
    with pytest.raises(UserError):
        await service.refuse(outcome.facilitator.id, "  ")
    await service.refuse(outcome.facilitator.id, "Doublon")
    await core.outbox.run_due()
    assert notifier.sent[-1][2].content == "❌ “Cairn (test)” was not accepted in the directory. Reason: Doublon"


async def test_members_edit_and_add_contacts(core: Core) -> None:
    service = core.facilitators
    created = (await service.register(draft(), proposer_id=42, guild_id=None, locale="fr")).facilitator
    with pytest.raises(UserError):
        await service.edit(created.id, draft(site=None), editor_id=7, moderator=False, locale="fr")
    edited = await service.edit(created.id, draft(site=None), editor_id=42, moderator=False, locale="fr")
    assert edited.site is None
    with pytest.raises(UserError):
        await service.add_member(created.id, 8, by=7, moderator=False, locale="fr")
    added = await service.add_member(created.id, 8, by=42, moderator=False, locale="fr")
    assert added.members == (42, 8)
    with pytest.raises(UserError):
        await service.add_member(created.id, 8, by=42, moderator=False, locale="fr")
    assert [n for _, n, _ in await service.names("cai", user_id=8)] == ["Cairn (test)"]
    assert await service.names("cai") == []  # not published yet


async def registered(core: Core, count: int) -> list[int]:
    ids = []
    for n in range(count):
        submitted = await core.facilitators.register(draft(f"S{n} (test)"), proposer_id=42, guild_id=None, locale="fr")
        ids.append(submitted.facilitator.id)
    return ids


async def refused(action: Awaitable[object]) -> None:
    with contextlib.suppress(UserError):
        await action


async def test_two_moderators_at_once_give_one_verdict(core: Core) -> None:
    created = await registered(core, 4)
    await asyncio.gather(
        *(refused(core.facilitators.publish(f)) for f in created),
        *(refused(core.facilitators.refuse(f, "Doublon")) for f in created),
    )
    assert await core.outbox.store.counts(VERDICT) == {"pending": len(created)}


async def test_concurrent_contacts_and_requests_keep_to_the_limits(core: Core) -> None:
    service = core.facilitators
    [created] = await registered(core, 1)
    await service.publish(created)
    await asyncio.gather(
        *(refused(service.add_member(created, user, by=42, moderator=False, locale="fr")) for user in range(100, 112))
    )
    assert len((await service.store.must_get(created)).members) == MEMBERS_MAX
    await asyncio.gather(
        *(
            refused(service.request_contact(created, requester_id=7, guild_id=None, locale="fr", message=text))
            for text in ("Bonjour !", "Bonjour !!", "Bonjour !!!", "Bonjour !!!!")
        )
    )
    assert await core.outbox.store.counts(REQUEST) == {"pending": MEMBERS_MAX}


async def test_rounds_at_once_ask_a_stale_record_once(core: Core, clock: ManualDateClock) -> None:
    created = await registered(core, 12)
    for facilitator_id in created:
        await core.facilitators.publish(facilitator_id)
    clock.advance(days=371)
    await asyncio.gather(*(core.facilitators.run_due() for _ in range(4)))
    assert await core.outbox.store.counts(QUESTION) == {"pending": len(created)}


async def test_near_prefers_fit_then_coverage_and_keeps_the_nearest_others(core: Core) -> None:
    await core.facilitators.import_csv(DEMO.read_text(encoding="utf-8"))
    need = Need(frozenset({Expertise.dynamiques_groupes}), Etape.emergence)
    found = await core.facilitators.near(CLERMONT, need)
    assert found[0].facilitator.nom == "Cairn Accompagnement (démo)"
    assert found[0].covers and found[0].fit == 2
    assert all(r.fit > 0 for r in found) and len(found) == 5
    others = await core.facilitators.near(CLERMONT, Need(frozenset({Expertise.immobilier}), None), limit=2)
    assert [r.facilitator.commune for r in others] == ["Saint-Étienne", "Montpellier"]


async def test_the_directory_filters_by_expertise_phase_and_radius(core: Core) -> None:
    await core.facilitators.import_csv(DEMO.read_text(encoding="utf-8"))
    within = await core.facilitators.directory(CLERMONT, Need(frozenset(), None), 60.0)
    assert [r.facilitator.commune for r in within] == ["Clermont-Ferrand", "Vichy", "Saint-Étienne"]
    immobilier = await core.facilitators.directory(CLERMONT, Need(frozenset({Expertise.immobilier}), None), 200.0)
    assert [r.facilitator.commune for r in immobilier] == ["Saint-Étienne"]


async def test_the_same_file_twice_changes_nothing_and_a_bad_row_writes_nothing(core: Core) -> None:
    text = DEMO.read_text(encoding="utf-8")
    first = await core.facilitators.import_csv(text)
    assert (first.created, first.updated, first.unchanged) == (12, 0, 0)
    again = await core.facilitators.import_csv(text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12)
    changed = text.replace("immobilier;gestion_projets,realisation,expertise,continu", "immobilier,realisation,,", 1)
    assert (await core.facilitators.import_csv(changed)).updated == 1
    bad = ",".join(CSV_HEADER) + "\nX,cooperative,Clermont-Ferrand,63113,63,magie,emergence,,,,\n"
    with pytest.raises(ImportError_) as refused:
        await core.facilitators.import_csv(bad + "Y (test),association,,63113,Atlantide,immobilier,emergence,,,,\n")
    assert [line for line, _ in refused.value.problems] == [2, 3]
    assert len(await core.facilitators.store.published()) == 12


def test_the_csv_needs_its_columns_and_takes_labels() -> None:
    with pytest.raises(ImportError_):
        parse_csv("nom,commune\nX,Thiers\n", GEO)
    row = "Atelier (test),Indépendant·e,Thiers,,,Dynamiques de groupes;IMMOBILIER,Émergence,Expert·e,Ponctuel,,\n"
    [parsed] = parse_csv(",".join(CSV_HEADER) + "\n" + row, GEO)
    assert parsed.structure is Structure.independant
    assert parsed.zone == Area(departements=frozenset({"63"}))  # no area: the base's département
    assert parsed.postures == {Posture.expertise} and parsed.suivis == {Suivi.ponctuel}
    assert parsed.contact is None


async def test_contact_reveals_nothing_until_a_member_accepts(core: Core, notifier: RecordingNotifier) -> None:
    service = core.facilitators
    created = (await service.register(draft(), proposer_id=42, guild_id=None, locale="fr")).facilitator
    await service.add_member(created.id, 43, by=42, moderator=False, locale="fr")
    await service.publish(created.id)
    await core.outbox.run_due()
    notifier.sent.clear()
    with pytest.raises(UserError):
        await service.request_contact(
            created.id, requester_id=42, guild_id=None, locale="fr", message="Bonjour, aidez-nous"
        )
    requested = await service.request_contact(
        created.id, requester_id=7, guild_id=None, locale="fr", message="Notre groupe bloque sur les décisions."
    )
    assert requested.request is not None
    with pytest.raises(UserError):
        await service.request_contact(created.id, requester_id=7, guild_id=None, locale="fr", message="Encore nous !!")
    await core.outbox.run_due()
    assert sorted(user for user, _, _ in notifier.sent) == [42, 43]
    for _, _, message in notifier.sent:
        assert "<@7>" not in message.content and "7" not in "".join(message.lines).split()
    with pytest.raises(UserError):
        await service.answer(requested.request.id, by=7, accepted=True)
    answered, _ = await service.answer(requested.request.id, by=43, accepted=True)
    assert answered.status is RequestStatus.acceptee
    with pytest.raises(UserError):
        await service.answer(requested.request.id, by=42, accepted=False)
    notifier.sent.clear()
    await core.outbox.run_due()
    [(user, _, told)] = notifier.sent
    assert user == 7 and "<@43>" in told.content and "https://exemple.org/cairn" in told.content
    assert await core.outbox.store.counts(REQUEST) == {"sent": 2}
    assert await core.outbox.store.counts(ANSWERED) == {"sent": 1}


async def test_a_structure_without_members_gives_its_public_contact(core: Core) -> None:
    await core.facilitators.import_csv(DEMO.read_text(encoding="utf-8"))
    [cairn] = await core.facilitators.names("cairn")
    requested = await core.facilitators.request_contact(
        cairn[0], requester_id=7, guild_id=None, locale="fr", message="Bonjour, nous cherchons de l'aide."
    )
    assert requested.request is None and requested.site == "https://exemple.org/cairn-demo"


async def test_an_unanswered_request_lapses_and_a_stale_record_is_asked_once(
    core: Core, clock: ManualDateClock, notifier: RecordingNotifier
) -> None:
    service = core.facilitators
    created = (await service.register(draft(), proposer_id=42, guild_id=None, locale="fr")).facilitator
    await service.publish(created.id)
    await service.request_contact(created.id, requester_id=7, guild_id=None, locale="fr", message="Bonjour, aidez-nous")
    clock.advance(days=31)
    assert await service.run_due() == 1
    assert await core.outbox.store.counts(LAPSED) == {"pending": 1}
    assert await core.outbox.store.counts(REQUEST) == {"cancelled": 1}
    clock.advance(days=340)
    assert await service.next_due() is not None
    assert await service.run_due() == 1
    assert await service.run_due() == 0
    await core.outbox.run_due()
    assert await core.outbox.store.counts(QUESTION) == {"sent": 1}
    await service.confirm(created.id, 42, locale="fr")
    with pytest.raises(UserError):
        await service.confirm(created.id, 7, locale="fr")


async def test_a_member_s_data_is_exported_and_erased_the_structure_stays(core: Core) -> None:
    service = core.facilitators
    created = (await service.register(draft(), proposer_id=42, guild_id=None, locale="fr")).facilitator
    await service.add_member(created.id, 43, by=42, moderator=False, locale="fr")
    await service.publish(created.id)
    await service.request_contact(
        created.id, requester_id=42 + 1000, guild_id=None, locale="fr", message="Bonjour à vous !"
    )
    exported = await core.member_data.export(42)
    assert [row["nom"] for row in exported["accompagnement_structures"]] == ["Cairn (test)"]
    asker = await core.member_data.export(1042)
    assert [row["message"] for row in asker["accompagnement_demandes"]] == ["Bonjour à vous !"]
    await core.member_data.erase(42)
    await core.member_data.erase(1042)
    kept = await service.store.must_get(created.id)
    assert kept.members == (43,) and kept.proposed_by is None and kept.published
    assert (await core.member_data.export(1042))["accompagnement_demandes"] == []


def test_the_command_line_imports_facilitators_all_or_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    assert main(["import-facilitators", str(DEMO)]) == 0
    assert capsys.readouterr().out == "12 créés, 0 mis à jour, 0 inchangé.\n"
    assert main(["import-facilitators", str(DEMO)]) == 0
    assert capsys.readouterr().out == "0 créé, 0 mis à jour, 12 inchangés.\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(CSV_HEADER) + "\nX (test),association,Thiers,,Atlantide,immobilier,emergence,,,,\n")
    assert main(["import-facilitators", str(bad)]) == 1
    assert f"{bad}:2:" in capsys.readouterr().err
