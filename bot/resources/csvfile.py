"""Resources in and out as UTF-8 CSV, for the network's sites: every row validated before anything is
written. Files stay in the bot: the export names a resource's file, and an import keeps it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pydantic import ValidationError

from bot.errors import Text, UserError
from bot.projects.csvfile import ImportError_, reason_of, split_list
from bot.resources.models import IMPORT_MAX_ROWS, Resource, ResourceDraft
from bot.text import fold
from bot.vocabulary import Destinataire, Etape, Licence, Pas, Theme, TypeRessource, Volet, parse

CSV_HEADER = (
    "titre",
    "resume",
    "lien",
    "fichier",
    "theme",
    "etape",
    "volet",
    "pas",
    "type",
    "destinataires",
    "auteur",
    "date",
    "licence",
    "exemple",
)


def parse_csv(text: str) -> list[tuple[int, ResourceDraft, str]]:
    """(line, draft, file name given) of every row; an ImportError_ lists the bad rows by their line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(reader.fieldnames or ())
    missing = [column for column in CSV_HEADER if column not in header]
    if missing:
        raise ImportError_([(1, Text("colonnes manquantes : {colonnes}", colonnes=", ".join(missing)))])
    rows: list[tuple[int, ResourceDraft, str]] = []
    problems: list[tuple[int, Text]] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    for row in reader:
        if len(rows) + len(problems) >= IMPORT_MAX_ROWS:
            problems.append(
                (line, Text("plus de {n} ressources dans un fichier : coupez-le en plusieurs", n=IMPORT_MAX_ROWS))
            )
            break
        try:
            draft = draft_from_row(row)
        except (UserError, ValidationError) as error:
            problems.append((line, reason_of(error)))
        else:
            key = fold(draft.titre)
            if key in seen:
                problems.append((line, Text("même ressource que la ligne {ligne}", ligne=seen[key])))
            seen[key] = line
            rows.append((line, draft, (row.get("fichier") or "").strip()))
        line = reader.line_num + 1
    if problems:
        raise ImportError_(problems)
    return rows


def _optional(kind: type[Etape] | type[Volet] | type[Pas], typed: str | None) -> Etape | Volet | Pas | None:
    return parse(kind, typed) if typed and typed.strip() else None


def draft_from_row(row: dict[str, str]) -> ResourceDraft:
    exemple = fold(row.get("exemple") or "non")
    if exemple not in ("oui", "non"):
        raise UserError("exemple vaut « oui » ou « non »")
    return ResourceDraft.model_validate(
        {
            "titre": row.get("titre") or "",
            "resume": row.get("resume") or "",
            "lien": row.get("lien"),
            "theme": parse(Theme, row.get("theme") or ""),
            "etape": _optional(Etape, row.get("etape")),
            "volet": _optional(Volet, row.get("volet")),
            "pas": _optional(Pas, row.get("pas")),
            "type": parse(TypeRessource, row.get("type") or ""),
            "destinataires": frozenset(parse(Destinataire, d) for d in split_list(row.get("destinataires") or "")),
            "auteur": row.get("auteur") or "",
            "date": row.get("date"),
            "licence": parse(Licence, row.get("licence") or "tous_droits_reserves"),
            "exemple": exemple == "oui",
        }
    )


def to_csv(resources: Iterable[Resource]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in resources:
        writer.writerow(
            [
                r.titre,
                r.resume,
                r.lien or "",
                r.fichier.filename if r.fichier else "",
                r.theme.value,
                r.etape.value if r.etape else "",
                r.volet.value if r.volet else "",
                r.pas.value if r.pas else "",
                r.type.value,
                ";".join(sorted(d.value for d in r.destinataires)),
                r.auteur,
                r.date or "",
                r.licence.value,
                "oui" if r.exemple else "non",
            ]
        )
    return output.getvalue()
