"""The national site's structures offering support, from its YesWiki "Bazar" form of actors: read with
the projects' reader (bot/sources/bazar.py), kept to the entries whose activities include support, and
synced by the entry's id. Only a structure's public face comes in (name, place, area, site,
description without e-mail addresses or telephone numbers): never a person's contact details (rule 8)."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.errors import Text, UserError, first_problem
from bot.geo import Geography
from bot.i18n import gettext
from bot.limits import clip
from bot.resources.facilitators.models import DESCRIPTION_MAX, NAME_MAX, FacilitatorDraft, Structure
from bot.resources.facilitators.zone import parse_zone
from bot.sources.bazar import ReadError, fetch, read_files, refused_line, site_from, site_of, unknown_line
from bot.sources.bazar_mapping import BazarForm, _commune, _site, _text, _values, plain_text, without_contacts
from bot.sources.bazar_messages import SyncReport
from bot.vocabulary import Etape, Expertise, parse

ACTORS_FORM = 2  # the national site's form of actors
ACTIVITIES = "checkboxListeActivites"
SUPPORT = "accompagnement"  # the activity that makes an actor a facilitator
STRUCTURE = "listeListeTypeStructure"
EXPERTISES = "checkboxListeExpertises"
PHASES = "checkboxListePhases"
STATE = "listeListeEtat"
STOPPED = "arrete"
ZONE = "bf_zone_intervention"

# The form's list keys and what they mean here; a key not listed is matched by its label, else named
# in the report and left out (never guessed).
MAPPING: dict[str, dict[str, StrEnum]] = {
    STRUCTURE: {
        "coop": Structure.cooperative,
        "cooperative": Structure.cooperative,
        "asso": Structure.association,
        "association": Structure.association,
        "indep": Structure.independant,
        "independant": Structure.independant,
    },
    EXPERTISES: {
        "participation": Expertise.participation_citoyenne,
        "immobilier": Expertise.immobilier,
        "gestion": Expertise.gestion_projets,
        "groupe": Expertise.dynamiques_groupes,
    },
    PHASES: {"emergence": Etape.emergence, "realisation": Etape.realisation, "habite": Etape.vivre_ensemble},
}


@dataclass(frozen=True)
class ActorEntry:
    """One actor offering support, as read: a draft, or why it is not imported; stopped at the source."""

    entry_id: str
    name: str
    page: str | None
    draft: FacilitatorDraft | None = None
    stopped: bool = False
    refusal: Text | None = None
    unknown: tuple[tuple[str, str], ...] = ()  # (field, value) the mapping does not know


def _mapped(entry: Mapping[str, Any], name: str, form: BazarForm, unknown: list[tuple[str, str]]) -> list[StrEnum]:
    found: list[StrEnum] = []
    kind = {STRUCTURE: Structure, EXPERTISES: Expertise, PHASES: Etape}[name]
    for key in _values(entry, name):
        value = MAPPING[name].get(key)
        shown = form.options.get(name, {}).get(key)
        if value is None and shown and kind is not Structure:
            try:
                value = parse(kind, shown)
            except UserError:
                value = None
        if value is None:
            unknown.append((form.labels.get(name, name), f"{shown} ({key})" if shown else key))
        else:
            found.append(value)
    return found


def read_actor(entry: Mapping[str, Any], form: BazarForm, geo: Geography) -> ActorEntry | None:
    """None when the actor offers no support (an architect, a developer…)."""
    if SUPPORT not in _values(entry, ACTIVITIES):
        return None
    entry_id = _text(entry, "id_fiche").strip()
    page = _text(entry, "url").strip() or None
    name = clip(" ".join(html.unescape(_text(entry, "bf_titre")).split()), NAME_MAX)
    if STOPPED in _values(entry, STATE):
        return ActorEntry(entry_id, name or entry_id, page, stopped=True)
    unknown: list[tuple[str, str]] = []
    structures = _mapped(entry, STRUCTURE, form, [])  # another kind of structure is « autre »: nothing to report
    expertises = _mapped(entry, EXPERTISES, form, unknown)
    phases = _mapped(entry, PHASES, form, unknown) or list(Etape)
    parts = [without_contacts(plain_text(_text(entry, f))) for f in ("bf_descriptif_court", "bf_descriptif_long")]
    try:
        insee = _commune(entry, geo)
        base = geo.commune(insee)
        zone = " ".join(_text(entry, ZONE).split()) or (base.departement if base else "")
        draft = FacilitatorDraft.model_validate(
            {
                "nom": name,
                "code_insee": insee,
                "structure": structures[0] if structures else Structure.autre,
                "zone": parse_zone(zone, geo),
                "expertises": frozenset(expertises),
                "etapes": frozenset(phases),
                "site": _site(entry),
                "description": clip("\n\n".join(p for p in parts if p), DESCRIPTION_MAX),
            }
        )
    except UserError as error:
        return ActorEntry(entry_id, name or entry_id, page, refusal=Text(error.message, **error.params))
    except ValidationError as error:
        column, reason = first_problem(error)
        refusal = Text("{colonne} : {raison}", colonne=column, raison=reason)
        return ActorEntry(entry_id, name or entry_id, page, refusal=refusal)
    return ActorEntry(entry_id, name, page, draft=draft, unknown=tuple(unknown))


async def read_source(source: str, form_path: Path | None, form_id: int) -> tuple[str, list[dict[str, Any]], BazarForm]:
    """The site (as the sync keys it), its entries and its form, from its address or from saved files."""
    if source.startswith(("http://", "https://")):
        fetched, fallback = await fetch(source, form_id=form_id), site_of(source)
    else:
        fetched = await asyncio.to_thread(read_files, Path(source), form_path)
        fallback = f"fichier:{Path(source).name}"
    entries = fetched.entries or []
    if not entries:
        raise ReadError("aucune fiche dans la réponse")
    return site_from(entries, fallback), entries, fetched.form or BazarForm()


def report_lines(read: Sequence[ActorEntry], report: SyncReport) -> list[ActorEntry]:
    """The entries to write; the refused and the unknown values named in the report, in French."""
    kept = []
    for entry in read:
        report.lines += [unknown_line(entry, field, value) for field, value in entry.unknown]
        if entry.stopped:
            report.ignored += 1
        elif entry.draft is None:
            report.refused += 1
            why = gettext(entry.refusal.message, None, **entry.refusal.params) if entry.refusal else "?"
            report.lines.append(refused_line(entry, why))
        else:
            kept.append(entry)
    return kept
