"""Facilitators in from UTF-8 CSV: every row validated before anything is written. Only a structure's
public face comes in (its site): never a person's contact details (rule 8)."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.errors import Text, UserError
from bot.geo import Geography
from bot.projects.csvfile import validated_rows
from bot.resources.facilitators.models import IMPORT_MAX_ROWS, STRUCTURES, FacilitatorDraft, Structure
from bot.resources.facilitators.zone import parse_zone
from bot.text import fold
from bot.vocabulary import Etape, Expertise, Posture, Suivi, parse

CSV_HEADER = (
    "nom",
    "structure",
    "commune",
    "code_insee",
    "zone",
    "expertises",
    "etapes",
    "postures",
    "suivi",
    "site",
    "description",
)


def parse_structure(text: str) -> Structure:
    key = fold(text)
    for structure, shown in STRUCTURES.items():
        if key in (fold(structure.value), fold(shown.message)):
            return structure
    choices = ", ".join(s.value for s in Structure)
    raise UserError("« {valeur} » n'est pas reconnu ; valeurs possibles : {choix}.", valeur=text, choix=choices)


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def draft_from_row(row: dict[str, str], geo: Geography) -> FacilitatorDraft:
    insee = (row.get("code_insee") or "").strip()
    if insee:
        if geo.commune(insee) is None:
            raise UserError("code INSEE inconnu « {insee} »", insee=insee)
    else:
        insee = geo.resolve_commune(row.get("commune") or "").insee
    base = geo.commune(insee)
    zone_typed = (row.get("zone") or "").strip() or (base.departement if base else "")
    fields: dict[str, Any] = {
        "nom": row.get("nom") or "",
        "structure": parse_structure(row.get("structure") or "association"),
        "code_insee": insee,
        "zone": parse_zone(zone_typed, geo),
        "expertises": frozenset(parse(Expertise, v) for v in _list(row.get("expertises") or "")),
        "etapes": frozenset(parse(Etape, v) for v in _list(row.get("etapes") or "")),
        "postures": frozenset(parse(Posture, v) for v in _list(row.get("postures") or "")),
        "suivis": frozenset(parse(Suivi, v) for v in _list(row.get("suivi") or "")) or frozenset(Suivi),
        "site": row.get("site"),
        "description": row.get("description") or "",
    }
    return FacilitatorDraft.model_validate(fields)


def parse_csv(text: str, geo: Geography) -> list[FacilitatorDraft]:
    """Every row validated first; an ImportError_ lists the bad rows by their line in the file. The base
    commune is its INSEE code or its name: one of the two columns is enough."""
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    place = [] if {"commune", "code_insee"} & set(header) else ["code_insee"]
    required = [c for c in CSV_HEADER if c not in ("commune", "code_insee", "description")] + place
    return validated_rows(
        text,
        required,
        lambda row: draft_from_row(row, geo),
        lambda draft: fold(draft.nom),
        too_many=Text("plus de {n} structures dans un fichier", n=IMPORT_MAX_ROWS),
        same="même structure que la ligne {ligne}",
        max_rows=IMPORT_MAX_ROWS,
    )
