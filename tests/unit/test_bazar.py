"""The national database (YesWiki Bazar): the mapping table and the text of an entry, its reading from a
local site and from files, and the sync from start to end on a real SQLite file (built by build_core, as
the bot builds it), the ledger included."""

from __future__ import annotations

import copy
import html
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings, SettingsError, load_settings
from bot.core import Core
from bot.geo import geography
from bot.limits import ELLIPSIS
from bot.projects.models import DESCRIPTION_MAX, Project, ProjectDraft, ProjectStatus, SearchFilters
from bot.sandbox.bazar_site import BazarSite, serve_bazar
from bot.sources.bazar import CONFLICT, RETIRED, SUMMARY, BazarSync, ReadError, fetch
from bot.sources.bazar_mapping import (
    GROUP,
    LEGAL_FORM,
    MAPPING,
    STAGE,
    BazarForm,
    description,
    parse_entries,
    parse_form,
    plain_text,
    read_entry,
    without_contacts,
)
from bot.sources.bazar_messages import SyncReport, summary_line
from bot.vocabulary import Etape, FormeJuridique, Public
from tests.support import ManualDateClock, RecordingNotifier

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bazar"
SITE = "https://habitat.example/"
PERSONAL = ("Dupont", "Marie", "marie.dupont@exemple.fr", "06 12 34 56 78", "contact.bergerie@exemple.fr")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def form() -> BazarForm:
    return parse_form(fixture("form.json"))


@pytest.fixture
def entries() -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = fixture("entries.json")
    return loaded


@pytest.fixture
def sync(core: Core) -> BazarSync:
    return core.bazar


@pytest.fixture
async def site(entries: dict[str, dict[str, Any]]) -> AsyncIterator[BazarSite]:
    async with serve_bazar(BazarSite(entries=copy.deepcopy(entries), form=fixture("form.json"))) as served:
        yield served


async def sourced(core: Core, entry_id: str) -> Project:
    row = await core.db.fetchone("SELECT project_id FROM project_sources WHERE entry_id = ?", (entry_id,))
    assert row is not None, entry_id
    return await core.projects.must_get(row["project_id"])


async def moderated_by(core: Core, guild_id: int = 1, channel_id: int = 500) -> None:
    await core.guild_settings.update(guild_id, modqueue_channel_id=channel_id, national_db_reports=True)


# ---------------------------------------------------------------------- the table and the text


def test_the_table_maps_every_key_the_issue_names() -> None:
    assert MAPPING[STAGE] == {
        "recherche": Etape.emergence,
        "etudes": Etape.realisation,
        "travaux": Etape.realisation,
        "abouti": Etape.vivre_ensemble,
    }
    assert MAPPING[GROUP] == {"recherchehabitant": True, "constitue": False, "complet": False}
    assert MAPPING[LEGAL_FORM] == {
        "coop": FormeJuridique.cooperative_habitants,
        "sci": FormeJuridique.sci,
        "asso": FormeJuridique.association,
        "copro": FormeJuridique.copropriete,
        "scia": FormeJuridique.scia,
    }


def test_the_form_gives_labels_decoded(form: BazarForm) -> None:
    assert form.field_label(LEGAL_FORM) == "Structure juridique"
    assert form.option_label(LEGAL_FORM, "coop") == "Coopérative d'habitants"
    assert form.option_label(LEGAL_FORM, "leger") == "Habitat léger & réversible"
    # Without a form, our own words for the keys the table knows, and nothing invented for the others.
    assert BazarForm().option_label(LEGAL_FORM, "coop") == "Coopérative d'habitants"
    assert BazarForm().option_label(LEGAL_FORM, "leger") is None
    assert BazarForm().field_label(LEGAL_FORM) == "Forme juridique"


def test_entries_come_as_a_list_or_keyed_by_id(entries: dict[str, dict[str, Any]]) -> None:
    as_object = parse_entries(entries)
    as_list = parse_entries(fixture("entries_list.json"))
    assert [e["id_fiche"] for e in as_object] == [e["id_fiche"] for e in as_list] == list(entries)
    without_ids = parse_entries({"Cle": {"bf_titre": "Sans identifiant"}})
    assert without_ids == [{"id_fiche": "Cle", "bf_titre": "Sans identifiant"}]
    with pytest.raises(ValueError):
        parse_entries("pas des fiches")


def test_an_entry_becomes_a_draft_without_anyone_s_contact(entries: dict[str, dict[str, Any]], form: BazarForm) -> None:
    read = read_entry(entries["LesTilleulsPartages"], form, geography(), SITE)
    assert read.draft is not None and read.unknown == ()
    draft = read.draft
    assert (draft.nom, draft.code_insee, draft.etape, draft.recrute) == (
        "Les Tilleuls Partagés",
        "63430",
        Etape.emergence,
        True,
    )
    assert (draft.forme_juridique, draft.logements, draft.site) == (
        FormeJuridique.cooperative_habitants,
        12,
        "https://www.tilleuls-partages.example",
    )
    assert draft.description.startswith("Six familles rénovent une ferme au-dessus de la Durolle.\n\n")
    assert "qui rénove une ancienne ferme : logements, salle commune & potager." in draft.description
    assert "• Un atelier partagé\n• Une chambre d'amis" in draft.description
    assert "alert" not in draft.description and "<" not in draft.description
    assert not any(personal in draft.model_dump_json() for personal in PERSONAL)
    assert draft.contact is None
    assert read.source.page_url == "https://habitat.example/?LesTilleulsPartages"
    assert read.source.updated_at == "2024-09-02 18:05:11"


def test_a_commune_is_resolved_within_its_departement(entries: dict[str, dict[str, Any]], form: BazarForm) -> None:
    geo = geography()
    montreuil = read_entry(entries["LaBergerieDuPertuis"], form, geo, SITE)
    assert montreuil.draft is not None and montreuil.draft.code_insee == "85148"  # not Montreuil (93), larger
    villeneuve = read_entry(entries["LEcrinDuCausse"], form, geo, SITE)
    assert villeneuve.draft is not None and villeneuve.draft.code_insee == "12301"
    assert villeneuve.draft.nom == "L'Écrin du Causse"
    no_departement = read_entry(entries["VillageVertical"], form, geo, SITE)
    assert no_departement.draft is None and no_departement.refusal is not None
    assert "Plusieurs communes" in no_departement.refusal.message
    nowhere = read_entry(entries["LaRucheDesMarais"], form, geo, SITE)
    assert nowhere.draft is None and nowhere.refusal is not None


def test_an_unknown_value_is_neutral_and_named_never_guessed(
    entries: dict[str, dict[str, Any]], form: BazarForm
) -> None:
    read = read_entry(entries["LeHameauDesCombes"], form, geography(), SITE)
    assert read.draft is not None
    assert read.draft.forme_juridique is FormeJuridique.autre and read.draft.etape is Etape.vivre_ensemble
    assert [(u.field, u.value) for u in read.unknown] == [("Structure juridique", "Habitat léger & réversible (leger)")]
    assert read.draft.site is None  # "pas encore de site" is no address
    bare = read_entry(entries["LeHameauDesCombes"], BazarForm(), geography(), SITE)
    assert [(u.field, u.value) for u in bare.unknown] == [("Forme juridique", "leger")]
    # A key the table does not know but whose label (from the form) is one of our words maps by it.
    relabelled = BazarForm(options={LEGAL_FORM: {"cooph": "Coopérative d'habitants"}})
    entry = {**entries["LeHameauDesCombes"], LEGAL_FORM: "cooph"}
    mapped = read_entry(entry, relabelled, geography(), SITE).draft
    assert mapped is not None and mapped.forme_juridique is FormeJuridique.cooperative_habitants


@given(st.text(st.sampled_from("abcoprsqi,é "), max_size=12))
def test_any_legal_form_key_is_mapped_by_the_table_or_named(key: str) -> None:
    entry = {**fixture("entries.json")["LesTilleulsPartages"], LEGAL_FORM: key}
    read = read_entry(entry, BazarForm(), geography(), SITE)
    assert read.draft is not None
    keys = [part.strip() for part in key.split(",") if part.strip()]
    known = [MAPPING[LEGAL_FORM][k] for k in keys if k in MAPPING[LEGAL_FORM]]
    assert read.draft.forme_juridique is (known[0] if known else FormeJuridique.autre)
    assert [u.value for u in read.unknown] == [k for k in keys if k not in MAPPING[LEGAL_FORM]]


def test_a_stopped_entry_is_not_imported(entries: dict[str, dict[str, Any]], form: BazarForm) -> None:
    read = read_entry(entries["OJardinsDEmile"], form, geography(), SITE)
    assert read.stopped and read.draft is None


_PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=300)


@given(_PRINTABLE)
def test_escaped_text_comes_back_as_itself(text: str) -> None:
    assert plain_text(f"<p>{html.escape(text)}</p>") == " ".join(text.split())


@given(st.lists(_PRINTABLE, min_size=1, max_size=5))
def test_paragraphs_are_kept_apart_by_one_blank_line(paragraphs: list[str]) -> None:
    markup = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    expected = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.split())
    assert plain_text(markup) == expected


@given(st.text(st.sampled_from("abcdé ,.\n<>&"), max_size=5000), st.text(st.sampled_from("xyz "), max_size=3000))
def test_a_description_fits_the_record_and_links_the_page_when_cut(short: str, long: str) -> None:
    page = "https://habitat.example/?UnProjet"
    text = description(short, long, page)
    assert len(text) <= DESCRIPTION_MAX
    if len(plain_text(short)) + len(plain_text(long)) > DESCRIPTION_MAX:
        assert text.endswith(f"{ELLIPSIS}\n{page}")


def test_contacts_written_in_a_text_are_taken_out() -> None:
    text = "Écrivez à jean.martin@exemple.org, au 04 73 12 34 56 ou au +33 6 12 34 56 78 ; 12 logements en 2025."
    assert without_contacts(text) == "Écrivez à […], au […] ou au […] ; 12 logements en 2025."


def test_summary_line_says_each_count() -> None:
    report = SyncReport(added=3, updated=1, retired=1, unchanged=2, ignored=1, refused=2)
    assert summary_line(report) == ("3 ajoutés, 1 mis à jour, 1 retiré, 2 inchangés, 1 ignoré (arrêté), 2 refusés")
    assert (
        summary_line(report, "en-US") == "3 added, 1 updated, 1 withdrawn, 2 unchanged, 1 ignored (stopped), 2 refused"
    )


# ---------------------------------------------------------------------- reading from a site


async def test_a_site_is_read_then_answers_not_modified(site: BazarSite) -> None:
    first = await fetch(site.url)
    assert first.entries is not None and len(first.entries) == 7
    assert first.form is not None and first.form.field_label(STAGE) == "Avancement du projet"
    assert first.etag and first.last_modified
    again = await fetch(site.url, core_state(first.etag, first.last_modified))
    assert again.entries is None and site.not_modified == 1
    assert site.requests == ["api/forms/1/entries/json", "api/forms/1", "api/forms/1/entries/json"]


def core_state(etag: str | None, last_modified: str | None) -> Any:
    from bot.projects.models import SiteState

    return SiteState(etag, last_modified, None)


async def test_a_broken_site_is_a_read_error(site: BazarSite) -> None:
    site.entries = "<html>maintenance</html>"
    with pytest.raises(ReadError):
        await fetch(site.url)
    with pytest.raises(ReadError, match="injoignable"):
        await fetch("http://127.0.0.1:9/")


# ---------------------------------------------------------------------- the sync


async def test_a_first_import_adds_ignores_and_refuses(core: Core, sync: BazarSync, site: BazarSite) -> None:
    report = await sync.import_source(site.url)
    assert (report.added, report.updated, report.retired, report.unchanged, report.ignored, report.refused) == (
        4,
        0,
        0,
        0,
        1,
        2,
    )
    assert any("La Ruche des Marais" in line and "?LaRucheDesMarais" in line for line in report.lines)
    assert any("Village Vertical" in line and "Plusieurs communes" in line for line in report.lines)
    assert any("Habitat léger & réversible (leger)" in line and "?LeHameauDesCombes" in line for line in report.lines)
    tilleuls = await sourced(core, "LesTilleulsPartages")
    assert tilleuls.published and tilleuls.source is not None
    assert tilleuls.source.page_url == "https://habitat.example/?LesTilleulsPartages"
    assert tilleuls.source.site == SITE  # where the pages are: the same records whether read from there or a file
    hits = await core.project_service.search(SearchFilters(departement="63", texte="tilleuls"))
    assert [hit.project_id for hit in hits] == [tilleuls.id]
    dump = json.dumps([dict(row) for row in await core.db.fetchall("SELECT * FROM projects")], ensure_ascii=False)
    assert not any(personal in dump for personal in PERSONAL)


async def test_the_same_entries_as_a_list_or_from_files_change_nothing(
    core: Core, sync: BazarSync, tmp_path: Path, entries: dict[str, dict[str, Any]], site: BazarSite
) -> None:
    saved = tmp_path / "fiches.json"
    saved.write_text(json.dumps(list(entries.values())), encoding="utf-8")
    first = await sync.import_source(str(saved), FIXTURES / "form.json")
    again = await sync.import_source(str(FIXTURES / "entries.json"), FIXTURES / "form.json")
    assert first.added == 4 and (again.added, again.updated, again.unchanged) == (0, 0, 4)
    from_site = await sync.import_source(site.url)
    assert (from_site.added, from_site.unchanged) == (0, 4)
    assert (await sourced(core, "LesTilleulsPartages")).source.site == SITE  # type: ignore[union-attr]


async def test_a_changed_entry_is_updated_by_its_id_and_local_fields_kept(
    core: Core, sync: BazarSync, site: BazarSite
) -> None:
    await sync.import_source(site.url)
    tilleuls = await sourced(core, "LesTilleulsPartages")
    kept = tilleuls.draft.model_copy(
        update={"contact": "contact@tilleuls.example", "publics": frozenset({Public.familles})}
    )
    await core.projects.update(tilleuls.id, kept, editor_id=7, guild_id=None, locale="fr")
    await core.db.execute("INSERT INTO project_referents (project_id, user_id) VALUES (?, 42)", (tilleuls.id,))
    site.entries["LesTilleulsPartages"].update(bf_titre="Les Tilleuls du Bourg", listeListeAvancementProjet="travaux")
    report = await sync.import_source(site.url)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    renamed = await core.projects.must_get(tilleuls.id)  # the same record: keyed by id, not by name
    assert (renamed.nom, renamed.etape) == ("Les Tilleuls du Bourg", Etape.realisation)
    assert renamed.contact == "contact@tilleuls.example" and {p.value for p in renamed.publics} == {"familles"}
    assert renamed.referents == (42,)


async def test_vanished_and_stopped_entries_are_retired_and_their_referents_told(
    core: Core, sync: BazarSync, site: BazarSite, notifier: RecordingNotifier
) -> None:
    await sync.import_source(site.url)
    bergerie, ecrin = await sourced(core, "LaBergerieDuPertuis"), await sourced(core, "LEcrinDuCausse")
    await core.db.execute("INSERT INTO project_referents (project_id, user_id) VALUES (?, 42)", (bergerie.id,))
    del site.entries["LaBergerieDuPertuis"]
    site.entries["LEcrinDuCausse"]["listeListeEtatProjet"] = "arrete"
    report = await sync.import_source(site.url)
    assert (report.retired, report.ignored) == (2, 1)
    for gone in (bergerie, ecrin):
        now = await core.projects.must_get(gone.id)
        assert now.statut is ProjectStatus.refuse and now.source is not None and now.source.retired
    assert await core.project_service.search(SearchFilters(texte="bergerie")) == []
    assert bergerie.id not in await core.projects.published_ids()
    assert await core.outbox.store.counts(RETIRED) == {"pending": 1}
    await core.outbox.run_due()
    [(to, _, told)] = notifier.sent
    assert to == 42 and "La Bergerie du Pertuis" in told.content and "?LaBergerieDuPertuis" in told.content
    # Back at the source: back in search.
    site.entries["LEcrinDuCausse"]["listeListeEtatProjet"] = ""
    back = await sync.import_source(site.url)
    assert back.added == 1 and (await core.projects.must_get(ecrin.id)).published


async def test_an_empty_read_retires_nothing(core: Core, sync: BazarSync, site: BazarSite) -> None:
    await sync.import_source(site.url)
    site.entries = {}
    with pytest.raises(ReadError):
        await sync.import_source(site.url)
    assert len(await core.projects.published_ids()) == 4


async def test_a_record_edited_on_both_sides_waits_for_the_moderators(
    core: Core, sync: BazarSync, site: BazarSite, notifier: RecordingNotifier
) -> None:
    await moderated_by(core)
    await sync.import_source(site.url)
    await core.outbox.run_due()
    notifier.sent.clear()
    tilleuls = await sourced(core, "LesTilleulsPartages")
    edited = tilleuls.draft.model_copy(update={"description": "Notre fiche, écrite par le groupe.", "logements": 14})
    await core.projects.update(tilleuls.id, edited, editor_id=7, guild_id=None, locale="fr")
    site.entries["LesTilleulsPartages"]["bf_nblogement"] = "10"
    report = await sync.import_source(site.url)
    assert (report.updated, report.conflicts) == (0, 1)
    assert (await core.projects.must_get(tilleuls.id)).logements == 14  # not silently overwritten
    again = await sync.import_source(site.url)
    assert (again.conflicts, again.unchanged) == (0, 4)  # the moderators already have it: one card
    assert await core.outbox.store.counts(CONFLICT) == {"pending": 1}
    await core.outbox.run_due()
    cards = [message for _, _, message in notifier.sent if message.buttons]
    [card] = cards
    assert [b.custom_id for b in card.buttons] == [f"bazar:garder:{tilleuls.id}", f"bazar:prendre:{tilleuls.id}"]
    assert "Discord : 14" in card.lines[0] and "Base nationale : 10" in card.lines[0]
    taken = await sync.settle(tilleuls.id, take_source=True)
    assert taken.logements == 10 and taken.description != "Notre fiche, écrite par le groupe."
    with pytest.raises(Exception, match="déjà"):
        await sync.settle(tilleuls.id, take_source=False)
    settled = await sync.import_source(site.url)
    assert settled.conflicts == 0 and settled.unchanged == 4


async def test_keeping_the_discord_version_asks_again_only_at_the_next_change(
    core: Core, sync: BazarSync, site: BazarSite
) -> None:
    await moderated_by(core)
    await sync.import_source(site.url)
    tilleuls = await sourced(core, "LesTilleulsPartages")
    edited = tilleuls.draft.model_copy(update={"logements": 14})
    await core.projects.update(tilleuls.id, edited, editor_id=7, guild_id=None, locale="fr")
    site.entries["LesTilleulsPartages"]["bf_nblogement"] = "10"
    await sync.import_source(site.url)
    kept = await sync.settle(tilleuls.id, take_source=False)
    assert kept.logements == 14
    assert (await sync.import_source(site.url)).conflicts == 0
    site.entries["LesTilleulsPartages"]["bf_nblogement"] = "11"
    assert (await sync.import_source(site.url)).conflicts == 1


async def test_a_conflict_ends_when_the_source_goes_back(core: Core, sync: BazarSync, site: BazarSite) -> None:
    await moderated_by(core)
    await sync.import_source(site.url)
    tilleuls = await sourced(core, "LesTilleulsPartages")
    await core.projects.update(
        tilleuls.id, tilleuls.draft.model_copy(update={"logements": 14}), editor_id=7, guild_id=None, locale="fr"
    )
    site.entries["LesTilleulsPartages"]["bf_nblogement"] = "10"
    assert (await sync.import_source(site.url)).conflicts == 1
    site.entries["LesTilleulsPartages"]["bf_nblogement"] = "12"
    assert (await sync.import_source(site.url)).conflicts == 0
    assert await core.outbox.store.counts(CONFLICT) == {"cancelled": 1}
    assert await core.projects.source_conflict(tilleuls.id) is None


async def test_a_record_made_on_discord_is_adopted_by_name_once(core: Core, sync: BazarSync, site: BazarSite) -> None:
    draft = ProjectDraft.model_validate({"nom": "Les Tilleuls Partagés", "code_insee": "63430", "etape": "emergence"})
    await core.projects.import_drafts([draft])
    report = await sync.import_source(site.url)
    assert (report.added, report.updated) == (3, 1)
    assert len(await core.projects.published_ids()) == 4


async def test_the_summary_goes_to_the_servers_that_ask(
    core: Core, sync: BazarSync, site: BazarSite, notifier: RecordingNotifier
) -> None:
    await moderated_by(core, guild_id=1, channel_id=500)
    await core.guild_settings.update(2, modqueue_channel_id=600)  # has not asked
    await sync.import_source(site.url)
    await core.outbox.run_due()
    [(channel, _, summary)] = [sent for sent in notifier.sent if sent[2].content.startswith("🔄")]
    assert channel == 500
    assert "4 ajoutés" in summary.content and "La Ruche des Marais" in summary.lines[0]
    notifier.sent.clear()
    await sync.import_source(site.url)  # nothing new: nothing said
    assert await core.outbox.store.counts(SUMMARY) == {"sent": 1}


async def test_the_scheduled_sync_reads_conditionally_on_its_interval(
    core: Core, site: BazarSite, clock: ManualDateClock
) -> None:
    sync = core.bazar
    sync.url = site.url
    assert await sync.next_due() == clock()
    await sync.run_due()
    await sync.running.idle()
    assert len(await core.projects.published_ids()) == 4
    assert await sync.next_due() == clock() + sync.interval
    await sync.run_due()  # not due yet
    await sync.running.idle()
    assert site.requests.count("api/forms/1/entries/json") == 1
    clock.advance(hours=24)
    await sync.run_due()
    await sync.running.idle()
    assert site.not_modified == 1  # the site said nothing changed: nothing read again


@pytest.mark.parametrize(
    ("given", "hours"), [("6", 6), ("6h", 6), ("30min", 0.5), ("1j", 24), ("2 jours", 48), (" 12 ", 12)]
)
def test_the_interval_is_hours_or_a_duration(given: str, hours: float) -> None:
    settings = Settings(_env_file=None, national_db_url="https://habitat.example/", national_db_interval=given)
    assert settings.national_db_interval == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("name", "value"),
    [("NATIONAL_DB_INTERVAL", "5min"), ("NATIONAL_DB_INTERVAL", "souvent"), ("NATIONAL_DB_URL", "habitat.example")],
)
def test_a_bad_national_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings(None)


async def test_a_stopping_bot_drops_the_sync_under_way(core: Core, site: BazarSite) -> None:
    core.bazar.url = site.url
    await core.bazar.run_due()
    await core.bazar.running.stop()
    assert not core.bazar.running.busy


async def test_a_failing_site_is_tried_again_at_the_next_interval_only(
    core: Core, site: BazarSite, clock: ManualDateClock, caplog: pytest.LogCaptureFixture
) -> None:
    core.bazar.url = site.url
    site.entries = "<html>maintenance</html>"
    await core.bazar.run_due()
    await core.bazar.running.idle()
    assert "illisible" in caplog.text and await core.projects.published_ids() == []
    assert await core.bazar.next_due() == clock() + core.bazar.interval
