"""What a sync with the national database says: its summary (the command line's line, the moderation
channel's post), the moderators' choice when a record changed on both sides, and the référents' notice
when their record is retired. Plain data (`Outgoing`), written at send time."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from bot.errors import Plural
from bot.i18n import gettext
from bot.limits import CONTENT, EMBED_DESCRIPTION, EMBED_TITLE, clip
from bot.notify import Button, Outgoing
from bot.projects.models import SOURCE_FIELDS, Project, ProjectDraft
from bot.vocabulary import label

SHOWN_VALUE = 300  # a description in the conflict card: enough to see what differs

FIELD_LABELS = {
    "nom": "Nom",
    "code_insee": "Commune",
    "etape": "Étape",
    "forme_juridique": "Forme juridique",
    "logements": "Logements",
    "recrute": "Recrute",
    "description": "Description",
    "site": "Site",
}


class SyncReport(BaseModel):
    """What one sync did; `lines` name each refused entry and unknown value with its page (in French,
    as the command line prints them and the moderation channel reads them)."""

    added: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0
    ignored: int = 0
    refused: int = 0
    conflicts: int = 0
    lines: list[str] = []

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.conflicts)


def summary_line(report: SyncReport, locale: str | None = None) -> str:
    """« 3 ajoutés, 1 mis à jour, 1 retiré, 2 inchangés, 1 ignoré (arrêté), 1 refusé »."""
    line = gettext(
        "{ajoutes}, {maj} mis à jour, {retires}, {inchanges}, {ignores}, {refuses}",
        locale,
        ajoutes=Plural("{n} ajouté", "{n} ajoutés", report.added),
        maj=report.updated,
        retires=Plural("{n} retiré", "{n} retirés", report.retired),
        inchanges=Plural("{n} inchangé", "{n} inchangés", report.unchanged),
        ignores=Plural("{n} ignoré (arrêté)", "{n} ignorés (arrêtés)", report.ignored),
        refuses=Plural("{n} refusé", "{n} refusés", report.refused),
    )
    if report.conflicts:
        waiting = gettext("{n} en attente du choix des modérateurs", locale, n=report.conflicts)
        line = f"{line}, {waiting}"
    return line


def summary_message(report: SyncReport) -> Outgoing:
    head = gettext("🔄 Synchronisation avec la base nationale : {resume}.", None, resume=summary_line(report))
    lines = (clip("\n".join(report.lines), EMBED_DESCRIPTION),) if report.lines else ()
    return Outgoing(content=clip(head, CONTENT), lines=lines)


def _shown(value: object, locale: str | None) -> str:
    if isinstance(value, StrEnum):
        return gettext(label(value), locale)
    if isinstance(value, bool):
        return gettext("oui", locale) if value else gettext("non", locale)
    if value is None or value == "":
        return "—"
    return clip(" ".join(str(value).split()), SHOWN_VALUE)


def conflict_card(project: Project, source: ProjectDraft, source_commune: str, locale: str | None = None) -> Outgoing:
    """Both versions of what differs, and the moderators' two choices."""
    lines = []
    for name in SOURCE_FIELDS:
        here, there = getattr(project, name), getattr(source, name)
        if here == there:
            continue
        if name == "code_insee":
            here, there = project.commune, source_commune
        lines.append(
            gettext(
                "**{champ}**\nDiscord : {discord}\nBase nationale : {base}",
                locale,
                champ=gettext(FIELD_LABELS[name], locale),
                discord=_shown(here, locale),
                base=_shown(there, locale),
            )
        )
    if project.source is not None and project.source.page_url:
        lines.append(gettext("Page : {page}", locale, page=project.source.page_url))
    content = gettext(
        "⚖️ « {nom} » a été modifié sur Discord et dans la base nationale : quelle version garder ?",
        locale,
        nom=project.nom,
    )
    return Outgoing(
        content=clip(content, CONTENT),
        title=clip(project.nom, EMBED_TITLE),
        lines=(clip("\n\n".join(lines), EMBED_DESCRIPTION),),
        buttons=(
            Button(gettext("Garder la version Discord", locale), f"bazar:garder:{project.id}", "primary"),
            Button(gettext("Prendre la base nationale", locale), f"bazar:prendre:{project.id}"),
        ),
    )


def retired_message(project: Project, locale: str | None) -> Outgoing:
    """To each référent: the record is no longer found, and where to bring it back."""
    page = project.source.page_url if project.source else None
    text = gettext(
        "📦 Le projet « {nom} » n'est plus dans la base nationale, ou y est indiqué comme arrêté : sa fiche "
        "n'apparaît plus dans la recherche. S'il continue, mettez sa fiche à jour sur la base nationale.",
        locale,
        nom=project.nom,
    )
    if page:
        text += "\n" + gettext("Page : {page}", locale, page=page)
    return Outgoing(content=clip(text, CONTENT))
