"""The resource centre: the rules of a resource (a step in its strand, a real date, a link or a file),
the store's SQL and search on a real SQLite file, ResourceService's flows with the ledger, the CSV in
and out, and the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.__main__ import main
from bot.core import Core
from bot.errors import UserError
from bot.outbox import Status
from bot.projects.csvfile import ImportError_
from bot.resources.centre_cards import forum_tags
from bot.resources.csvfile import CSV_HEADER, parse_csv, to_csv
from bot.resources.framework import PHASE, STEPS, strand_of
from bot.resources.models import FILE_MAX_BYTES, Resource, ResourceDraft, ResourceFilters, ResourceStatus, StoredFile
from bot.resources.service import MODERATION, ResourceService
from bot.text import strip_accents
from bot.vocabulary import Destinataire, Etape, Pas, Theme, TypeRessource, Volet
from tests.support import ManualDateClock, RecordingNotifier

GUILD, QUEUE, ALEX, SAM = 1, 10, 100, 200
PDF = StoredFile("statuts.pdf", "application/pdf", b"%PDF-1.4 " + b"x" * 2000)


def draft(titre: str = "Statuts de coopérative", **fields: Any) -> ResourceDraft:
    values: dict[str, Any] = {
        "titre": titre,
        "resume": "Les statuts d'une coopérative d'habitants, rédigés par un groupe.",
        "auteur": "Un groupe",
        "theme": Theme.juridique,
        "type": TypeRessource.exemple_statuts,
        "lien": "https://exemple.org/statuts",
        **fields,
    }
    return ResourceDraft.model_validate(values)


@pytest.fixture
async def service(core: Core) -> ResourceService:
    await core.guild_settings.update(GUILD, modqueue_channel_id=QUEUE)
    return core.resources


async def titles(service: ResourceService, **filters: Any) -> list[str]:
    """What a search finds, by title (its order is tested apart: by relevance, then newest first)."""
    ids = await service.search(ResourceFilters(**filters))
    return sorted(r.titre for r in await service.resources(ids))


# ---------------------------------------------------------------------- the rules of a resource


@given(st.sampled_from(list(Pas)), st.sampled_from(list(Volet)))
def test_a_step_is_accepted_only_in_its_own_strand(step: Pas, strand: Volet) -> None:
    if strand_of(step) is strand:
        made = draft(pas=step, volet=strand)
        assert (made.volet, made.etape) == (strand, PHASE[step])
    else:
        with pytest.raises(ValidationError, match="ce pas n'appartient pas à ce volet"):
            draft(pas=step, volet=strand)


@pytest.mark.parametrize("step", list(Pas))
def test_a_step_alone_names_its_strand_and_keeps_a_phase_given(step: Pas) -> None:
    assert draft(pas=step).volet is strand_of(step)
    assert draft(pas=step, etape=Etape.vivre_ensemble).etape is Etape.vivre_ensemble


@pytest.mark.parametrize(("typed", "kept"), [("2021", "2021"), ("2021-06", "2021-06"), ("2024-02-29", "2024-02-29")])
def test_a_date_is_a_year_a_month_or_a_day(typed: str, kept: str) -> None:
    assert draft(date=typed).date == kept


@pytest.mark.parametrize("typed", ["21", "2021-13", "2023-02-29", "juin 2021", "2021/06"])
def test_other_dates_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        draft(date=typed)


def test_a_link_is_a_web_address() -> None:
    with pytest.raises(ValidationError, match="le lien doit commencer par http"):
        draft(lien="exemple.org")
    assert draft(lien="  ").lien is None


# ---------------------------------------------------------------------- proposing and moderating


async def test_a_proposal_waits_unseen_then_is_published_and_its_proposer_told(
    service: ResourceService, notifier: RecordingNotifier
) -> None:
    submitted = await service.propose(draft(lien=None), file=PDF, proposer_id=ALEX, guild_id=GUILD, locale="fr")
    resource = submitted.resource
    assert submitted.queued and resource.statut is ResourceStatus.en_attente
    assert resource.fichier is not None and resource.fichier.size == len(PDF.data)
    assert await titles(service, texte="cooperative") == []
    with pytest.raises(UserError):
        await service.record(str(resource.id), viewer_id=SAM, moderator=False)
    mine, kept = await service.record(str(resource.id), viewer_id=ALEX, moderator=False)
    assert mine.id == resource.id and kept == PDF
    assert await service.outbox.run_due() == 1
    [(channel, _, card)] = notifier.sent
    assert channel == QUEUE and "Ressource à valider" in card.content
    await service.publish(resource.id)
    with pytest.raises(UserError, match="déjà été traitée"):
        await service.refuse(resource.id, "trop tard")
    await service.outbox.run_due()
    assert notifier.sent[-1][0] == ALEX and "est publiée" in notifier.sent[-1][2].content
    assert await titles(service, texte="cooperatives groupe") == ["Statuts de coopérative"]


async def test_a_refusal_carries_its_reason_in_the_proposers_language(
    service: ResourceService, notifier: RecordingNotifier
) -> None:
    submitted = await service.propose(draft(), file=None, proposer_id=SAM, guild_id=GUILD, locale="en-US")
    with pytest.raises(UserError):
        await service.refuse(submitted.resource.id, "   ")
    await service.refuse(submitted.resource.id, "Doublon")
    await service.outbox.run_due()
    assert notifier.sent[-1][2].content == "❌ Your resource “Statuts de coopérative” was not accepted. Reason: Doublon"


async def test_the_same_title_twice_is_refused_and_nothing_is_written(service: ResourceService) -> None:
    await service.propose(draft(), file=None, proposer_id=ALEX, guild_id=GUILD, locale="fr")
    with pytest.raises(UserError, match="s'appelle déjà"):
        await service.propose(draft("STATUTS de cooperative"), file=PDF, proposer_id=SAM, guild_id=GUILD, locale="fr")
    row = await service.db.fetchone("SELECT COUNT(*) FROM resources")
    assert row is not None and row[0] == 1


@pytest.mark.parametrize(
    ("options", "size", "said"),
    [
        ({}, FILE_MAX_BYTES + 1, "Fichier trop gros"),
        ({}, 0, "Le fichier est vide"),
        ({"lien": None}, None, "Donnez un lien"),
    ],
)
def test_options_are_checked_before_the_form(
    service: ResourceService, options: dict[str, Any], size: int | None, said: str
) -> None:
    given_options = {"theme": "juridique", "type": "guide", "lien": "https://exemple.org", **options}
    with pytest.raises(UserError) as refused:
        service.facts(given_options, file_size=size)
    assert said in refused.value.message
    assert service.facts(given_options | {"lien": None}, file_size=FILE_MAX_BYTES).lien is None


async def test_the_card_of_a_resource_erased_before_it_was_posted_is_not_posted(
    core: Core, service: ResourceService, notifier: RecordingNotifier
) -> None:
    await service.propose(draft(), file=PDF, proposer_id=ALEX, guild_id=GUILD, locale="fr")
    await core.member_data.erase(ALEX)
    await service.outbox.run_due()
    assert notifier.sent == []
    assert await service.outbox.store.counts(MODERATION) == {Status.cancelled.value: 1}
    row = await service.db.fetchone("SELECT COUNT(*) FROM resource_files")
    assert row is not None and row[0] == 0


# ---------------------------------------------------------------------- search and the framework


async def test_filters_combine(service: ResourceService) -> None:
    await service.store.import_drafts(
        [
            draft("Guide de la décision", theme=Theme.gouvernance, pas=Pas.collectif_projet, type=TypeRessource.guide,
                  destinataires=frozenset({Destinataire.habitants})),
            draft("Charte de groupe", theme=Theme.vie_collective, pas=Pas.intentions, type=TypeRessource.trame_type,
                  destinataires=frozenset({Destinataire.habitants, Destinataire.collectivites})),
            draft("Foncier et communes", theme=Theme.foncier, pas=Pas.jalons, type=TypeRessource.guide,
                  destinataires=frozenset({Destinataire.collectivites})),
        ]
    )  # fmt: skip
    assert await titles(service, volet=Volet.collectif) == ["Charte de groupe", "Guide de la décision"]
    assert await titles(service, etape=Etape.emergence, destinataire=Destinataire.collectivites) == [
        "Charte de groupe",
        "Foncier et communes",
    ]
    assert await titles(service, type=TypeRessource.guide, theme=Theme.foncier) == ["Foncier et communes"]
    assert await titles(service, texte="decision", pas=Pas.collectif_projet) == ["Guide de la décision"]
    assert await titles(service, texte="le la de") == []


async def test_for_step_gives_the_step_first_then_the_strand_in_the_phase_then_the_whole_strand(
    service: ResourceService, clock: ManualDateClock
) -> None:
    rows = [
        draft("Pour tout le collectif", volet=Volet.collectif),
        draft("Autre étape d'émergence", pas=Pas.exploratoire),
        draft("De l'étape même", pas=Pas.intentions),
        draft("D'un autre volet", pas=Pas.jalons),
        draft("D'une autre phase", pas=Pas.voisinage),
    ]
    for row in rows:
        clock.advance(minutes=1)
        await service.store.import_drafts([row])
    found = await service.for_step(Volet.collectif, Pas.intentions, Etape.emergence)
    assert [r.titre for r in found] == ["De l'étape même", "Autre étape d'émergence", "Pour tout le collectif"]
    assert [r.titre for r in await service.for_step(Volet.collectif, None, None, limit=5)] == ["Pour tout le collectif"]
    waiting = await service.propose(draft("En attente", pas=Pas.intentions), file=None, proposer_id=ALEX,
                                    guild_id=GUILD, locale="fr")  # fmt: skip
    assert waiting.resource.id not in [r.id for r in await service.for_step(Volet.collectif, Pas.intentions, None)]


async def test_results_come_by_relevance_then_newest_first(service: ResourceService, clock: ManualDateClock) -> None:
    for titre, resume in (
        ("Ancien guide", "Un guide ancien sur le foncier et les communes."),
        ("Récent guide", "Un guide récent sur le foncier."),
        ("Foncier foncier", "Le foncier, encore le foncier, toujours le foncier des communes."),
    ):
        clock.advance(days=1)
        await service.store.import_drafts([draft(titre, resume=resume)])
    newest = await service.resources(await service.search(ResourceFilters()))
    assert [r.titre for r in newest] == ["Foncier foncier", "Récent guide", "Ancien guide"]
    relevant = await service.resources(await service.search(ResourceFilters(texte="foncier")))
    assert relevant[0].titre == "Foncier foncier"


WORDS = ["coopérative", "énergie", "Gérance", "élue", "sociocratie", "chantier", "bâtiment", "intergénérationnel"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True), st.data())
async def test_any_word_of_a_summary_finds_it_typed_without_accents_or_capitals(
    core: Core, words: list[str], data: st.DataObject
) -> None:
    service = core.resources
    titre = "Ressource " + str(len(await service.store.published_ids()))
    await service.store.import_drafts([draft(titre, resume="Un document : " + ", ".join(words) + ".")])
    typed = strip_accents(data.draw(st.sampled_from(words))).upper()
    assert titre in await titles(service, texte=typed)


# ---------------------------------------------------------------------- CSV


async def test_csv_round_trip_and_the_same_file_twice_changes_nothing(service: ResourceService) -> None:
    await service.propose(draft("Avec un fichier", lien=None), file=PDF, proposer_id=ALEX, guild_id=GUILD, locale="fr")
    [waiting] = await service.store.get_many([1])
    await service.publish(waiting.id)
    await service.store.import_drafts([draft(pas=Pas.etudes, destinataires=frozenset(Destinataire))])
    text, count = await service.export_csv()
    assert count == 2 and text.splitlines()[0] == ",".join(CSV_HEADER)
    assert "statuts.pdf" in text
    again = await service.import_csv(text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (await service.export_csv())[0] == text


ROW = "{titre},Un résumé assez long,{lien},{fichier},{theme},,{volet},{pas},guide,,Moi,,cc_by,non\n"


def row(titre: str, lien: str = "https://ex.org", fichier: str = "", theme: str = "juridique", **more: str) -> str:
    return ROW.format(titre=titre, lien=lien, fichier=fichier, theme=theme, volet="", pas="", **more)


async def test_a_bad_file_names_every_bad_line_and_writes_nothing(service: ResourceService) -> None:
    bad = (
        to_csv([])
        + row("Un guide")
        + row("Mauvais thème", theme="cuisine")
        + ROW.format(titre="Mauvais pas", lien="https://ex.org", fichier="", theme="juridique", volet="immobilier",
                     pas="intentions")
        + row("UN GUIDE")
    )  # fmt: skip
    with pytest.raises(ImportError_) as refused:
        await service.import_csv(bad)
    assert [line for line, _ in refused.value.problems] == [3, 4, 5]
    # A row without a link must name a resource whose file the bot already keeps.
    with pytest.raises(ImportError_) as unkept:
        await service.import_csv(to_csv([]) + row("Un guide") + row("Sans lien", lien="", fichier="absent.pdf"))
    assert [line for line, _ in unkept.value.problems] == [3]
    count = await service.db.fetchone("SELECT COUNT(*) FROM resources")
    assert count is not None and count[0] == 0


def test_import_and_export_resources_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    source = tmp_path / "in.csv"
    text = to_csv([]) + (
        "Guide du financement,Prêts et apports pas à pas,https://ex.org/f,,financier,realisation,immobilier,etudes,"
        "guide,collectivites;habitants,Réseau,2024-02,cc_by,non\n"
    )
    source.write_text(text, encoding="utf-8")
    assert main(["import-resources", str(source)]) == 0
    assert "1 créé," in capsys.readouterr().out
    assert main(["import-resources", str(source)]) == 0
    assert "0 créé, 0 mis à jour, 1 inchangé" in capsys.readouterr().out
    assert main(["export-resources"]) == 0
    assert capsys.readouterr().out == text
    target = tmp_path / "out.csv"
    assert main(["export-resources", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == text
    assert "1 ressource exportée" in capsys.readouterr().err
    broken = tmp_path / "bad.csv"
    broken.write_text(text.replace("financier", "cuisine"), encoding="utf-8")
    assert main(["import-resources", str(broken)]) == 1
    assert f"{broken}:2:" in capsys.readouterr().err


def test_every_demo_resource_is_valid() -> None:
    demo = Path(__file__).resolve().parents[2] / "data" / "demo" / "resources.csv"
    rows = parse_csv(demo.read_text(encoding="utf-8"))
    assert len(rows) >= 5
    assert {draft.volet for _, draft, _ in rows} == set(STEPS)


@pytest.mark.parametrize("theme", list(Theme))
def test_every_forum_tag_fits_discord_and_is_not_cut(theme: Theme) -> None:
    for phase in Etape:
        tags = forum_tags(draft_resource(theme=theme, etape=phase))
        assert all(len(tag) <= 20 and not tag.endswith("…") for tag in tags), tags
        assert len(tags) == 2


def draft_resource(**fields: Any) -> Resource:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Resource.model_validate(
        draft(**fields).model_dump()
        | {"id": 1, "statut": "publie", "guild_id": None, "proposed_by": None, "created_at": now, "updated_at": now}
    )
