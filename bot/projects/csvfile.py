"""Projects in and out as UTF-8 CSV: every row validated before anything is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from pydantic import ValidationError

from bot.errors import Plural, Text, UserError, first_problem
from bot.geo import Geography
from bot.limits import quote
from bot.projects.models import IMPORT_MAX_ROWS, Project, ProjectDraft
from bot.text import fold
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public, parse

CSV_HEADER = (
    "nom",
    "commune",
    "code_insee",
    "etape",
    "initiative",
    "forme_juridique",
    "logements",
    "recrute",
    "publics",
    "espaces_partages",
    "description",
    "site",
    "contact",
)
D = TypeVar("D")
SHOWN_PROBLEMS = 15  # the rest are counted: a refusal stays within one message


class ImportError_(UserError):
    """Rows of a CSV that cannot be imported, each with its line number and reason (translated when
    shown; what the file held is quoted short)."""

    def __init__(self, problems: list[tuple[int, Text]]) -> None:
        self.problems = problems
        shown = {
            f"p{n}": Text("ligne {ligne} : {raison}", ligne=line, raison=reason)
            for n, (line, reason) in enumerate(problems[:SHOWN_PROBLEMS])
        }
        if len(problems) > SHOWN_PROBLEMS:
            shown["more"] = Plural("… et {n} autre", "… et {n} autres", len(problems) - SHOWN_PROBLEMS)
        # A template of the bot's own making: one placeholder a line, each line translated in turn.
        lines = Text("\n".join(f"{{{key}}}" for key in shown), **shown)
        super().__init__("Import refusé, rien n'a été enregistré :\n{lignes}", lignes=lines)


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def parse_csv(text: str, geo: Geography) -> list[ProjectDraft]:
    """Every row validated first; an ImportError_ lists the bad rows by their line in the file."""
    return validated_rows(
        text,
        CSV_HEADER,
        lambda row: draft_from_row(row, geo),
        lambda draft: (fold(draft.nom), draft.code_insee),
        too_many=Text("plus de {n} projets dans un fichier : coupez-le en plusieurs", n=IMPORT_MAX_ROWS),
        same="même projet que la ligne {ligne}",
        max_rows=IMPORT_MAX_ROWS,
    )


def validated_rows(
    text: str,
    required: Sequence[str],
    build: Callable[[dict[str, str]], D],
    key: Callable[[D], Hashable],
    *,
    too_many: Text,
    same: str,
    max_rows: int,
) -> list[D]:
    """Each row of a CSV built (`build`) and checked before anything is written: an ImportError_ lists
    the missing columns, or the bad rows by their line in the file, and a row whose `key` an earlier row
    holds (`same` names that line)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(reader.fieldnames or ())
    missing = [column for column in required if column not in header]
    if missing:
        raise ImportError_([(1, Text("colonnes manquantes : {colonnes}", colonnes=", ".join(missing)))])
    built: list[D] = []
    problems: list[tuple[int, Text]] = []
    seen: dict[Hashable, int] = {}
    line = reader.line_num + 1
    for row in reader:
        if len(built) + len(problems) >= max_rows:
            problems.append((line, too_many))
            break
        try:
            item = build(row)
        except (UserError, ValidationError) as error:
            problems.append((line, reason_of(error)))
        else:
            if key(item) in seen:
                problems.append((line, Text(same, ligne=seen[key(item)])))
            seen[key(item)] = line
            built.append(item)
        line = reader.line_num + 1
    if problems:
        raise ImportError_(problems)
    return built


def draft_from_row(row: dict[str, str], geo: Geography) -> ProjectDraft:
    insee = (row.get("code_insee") or "").strip()
    if not geo.commune(insee):
        raise UserError("code INSEE inconnu « {insee} »", insee=insee)
    recrute = fold(row.get("recrute") or "non")
    if recrute not in ("oui", "non"):
        raise UserError("recrute vaut « oui » ou « non »")
    logements = (row.get("logements") or "").strip()
    return ProjectDraft.model_validate(
        {
            "nom": row.get("nom") or "",
            "code_insee": insee,
            "etape": parse(Etape, row.get("etape") or ""),
            "initiative": parse(Initiative, row.get("initiative") or "citoyenne"),
            "forme_juridique": parse(FormeJuridique, row.get("forme_juridique") or "autre"),
            # pydantic reads the number, so that "douze" is refused with the column's name
            "logements": logements or None,
            "recrute": recrute == "oui",
            "publics": frozenset(parse(Public, p) for p in split_list(row.get("publics") or "")),
            "espaces_partages": frozenset(
                parse(EspacePartage, e) for e in split_list(row.get("espaces_partages") or "")
            ),
            "description": row.get("description") or "",
            "site": row.get("site"),
            "contact": row.get("contact"),
        }
    )


def reason_of(error: UserError | ValidationError) -> Text:
    if isinstance(error, UserError):
        params = {k: quote(v) if isinstance(v, str) else v for k, v in error.params.items()}
        return Text(error.message, **params)
    # The column as the file names it: the model's fields are the CSV's columns.
    column, reason = first_problem(error)
    return Text("{colonne} : {raison}", colonne=column, raison=reason)


def to_csv(projects: Iterable[Project]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for p in projects:
        writer.writerow(
            [
                p.nom,
                p.commune,
                p.code_insee,
                p.etape.value,
                p.initiative.value,
                p.forme_juridique.value,
                p.logements or "",
                "oui" if p.recrute else "non",
                ";".join(sorted(x.value for x in p.publics)),
                ";".join(sorted(x.value for x in p.espaces_partages)),
                p.description,
                p.site or "",
                p.contact or "",
            ]
        )
    return output.getvalue()
