"""Projects in and out as UTF-8 CSV: every row validated before anything is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pydantic import ValidationError

from bot.errors import Composed, UserError, first_problem
from bot.geo import Geography
from bot.i18n import gettext
from bot.projects.models import Project, ProjectDraft
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


class ImportError_(UserError):
    """Rows of a CSV that cannot be imported, each with its line number and reason."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "\n".join(f"ligne {line} : {reason}" for line, reason in problems[:15])
        more = f"\n… et {len(problems) - 15} autres" if len(problems) > 15 else ""
        super().__init__("Import refusé, rien n'a été enregistré :\n{lignes}", lignes=Composed(lines + more))


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def parse_csv(text: str, geo: Geography) -> list[ProjectDraft]:
    """Every row validated first; an ImportError_ lists the bad rows by their line in the file."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(reader.fieldnames or ())
    missing = [column for column in CSV_HEADER if column not in header]
    if missing:
        raise ImportError_([(1, f"colonnes manquantes : {', '.join(missing)}")])
    drafts: list[ProjectDraft] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num + 1
    for row in reader:
        try:
            draft = draft_from_row(row, geo)
        except (UserError, ValidationError, ValueError) as error:
            problems.append((line, _reason(error)))
        else:
            key = (fold(draft.nom), draft.code_insee)
            if key in seen:
                problems.append((line, f"même projet que la ligne {seen[key]}"))
            seen[key] = line
            drafts.append(draft)
        line = reader.line_num + 1
    if problems:
        raise ImportError_(problems)
    return drafts


def draft_from_row(row: dict[str, str], geo: Geography) -> ProjectDraft:
    insee = (row.get("code_insee") or "").strip()
    if not geo.commune(insee):
        raise ValueError(f"code INSEE inconnu « {insee} »")
    recrute = fold(row.get("recrute") or "non")
    if recrute not in ("oui", "non"):
        raise ValueError("recrute vaut « oui » ou « non »")
    logements = (row.get("logements") or "").strip()
    return ProjectDraft(
        nom=row.get("nom") or "",
        code_insee=insee,
        etape=parse(Etape, row.get("etape") or ""),
        initiative=parse(Initiative, row.get("initiative") or "citoyenne"),
        forme_juridique=parse(FormeJuridique, row.get("forme_juridique") or "autre"),
        logements=int(logements) if logements else None,
        recrute=recrute == "oui",
        publics=frozenset(parse(Public, p) for p in _split_list(row.get("publics") or "")),
        espaces_partages=frozenset(parse(EspacePartage, e) for e in _split_list(row.get("espaces_partages") or "")),
        description=row.get("description") or "",
        site=row.get("site"),
        contact=row.get("contact"),
    )


def _reason(error: Exception) -> str:
    if isinstance(error, UserError):
        return gettext(error.message, None, **error.params)
    if isinstance(error, ValidationError):
        field, reason = first_problem(error, ProjectDraft)
        return f"{field} : {gettext(reason.message, None, **reason.params)}"
    return str(error)


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
