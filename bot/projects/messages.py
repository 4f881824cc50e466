"""What the bot says about projects outside an answer, as plain data (`Outgoing`): written when it is
sent, from the record as it is then, in the recipient's language and the server's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.dates import format_day
from bot.errors import Plural
from bot.i18n import gettext
from bot.limits import CONTENT, EMBED_DESCRIPTION, EMBED_TITLE, clip
from bot.notify import Button, Outgoing
from bot.projects.models import ImportReport, Project, Question, Verdict
from bot.vocabulary import label


def import_summary(report: ImportReport, locale: str | None = None) -> str:
    """What an import of the directory did ("2 créés, 1 mis à jour, 0 inchangé")."""
    return gettext(
        "{crees}, {maj} mis à jour, {inchanges}",
        locale,
        crees=Plural("{n} créé", "{n} créés", report.created),
        maj=report.updated,
        inchanges=Plural("{n} inchangé", "{n} inchangés", report.unchanged),
    )


def moderation_card(project: Project, zone: ZoneInfo, locale: str | None = None) -> Outgoing:
    """The card moderators see in their queue: a new project, or the change of a published one, with
    « Publier » and « Refuser »."""
    pending = project.pending
    if pending is None:
        content = gettext("🆕 Nouveau projet à valider", locale)
        lines = [
            gettext("Commune : {commune}", locale, commune=f"{project.commune} ({project.departement})"),
            gettext("Étape : {etape}", locale, etape=gettext(label(project.etape), locale)),
            gettext("Forme juridique : {forme}", locale, forme=gettext(label(project.forme_juridique), locale)),
        ]
        if project.proposed_by:
            lines.append(
                gettext(
                    "Proposé par <@{membre}> le {date}",
                    locale,
                    membre=project.proposed_by,
                    date=format_day(project.created_at, zone, locale),
                )
            )
        if project.description:
            lines += ["", project.description]
    else:
        content = gettext("✏️ Modification à valider", locale)
        lines = [
            f"{name} : {before} → **{after}**"
            for name, before, after in (
                (gettext("Nom", locale), project.nom, pending.nom),
                (gettext("Commune", locale), project.commune, pending.commune),
                (
                    gettext("Étape", locale),
                    gettext(label(project.etape), locale),
                    gettext(label(pending.etape), locale),
                ),
            )
            if before != after
        ]
        lines.append(gettext("Demandée par <@{membre}>", locale, membre=pending.proposed_by))
    return Outgoing(
        content=content,
        title=clip(project.nom, EMBED_TITLE),
        lines=(clip("\n".join(lines), EMBED_DESCRIPTION),),
        buttons=(
            Button(gettext("Publier", locale), f"projet:publier:{project.id}", "success"),
            Button(gettext("Refuser", locale), f"projet:refuser:{project.id}", "danger"),
        ),
    )


VERDICTS = {
    Verdict.published: "✅ Votre projet « {nom} » est publié dans la base nationale.",
    Verdict.refused: "❌ Votre projet « {nom} » n'a pas été retenu. Raison : {raison}",
    Verdict.change_accepted: "✅ La modification de votre projet « {nom} » est validée.",
    Verdict.change_refused: "❌ La modification de votre projet « {nom} » n'a pas été retenue. Raison : {raison}",
}


def verdict_message(project: Project, verdict: Verdict, reason: str, locale: str | None) -> Outgoing:
    text = gettext(VERDICTS[verdict], locale, nom=project.nom, raison=reason)
    return Outgoing(content=clip(text, CONTENT))


def question_message(
    project: Project, question: Question, since: datetime, zone: ZoneInfo, locale: str | None
) -> Outgoing:
    """Is the record still true (a year on), or still recruiting (six months on)? Answered by buttons."""
    date = format_day(since, zone, locale)
    extra: tuple[Button, ...] = ()
    if question is Question.recrute:
        text = gettext(
            "Votre projet « {nom} » indique depuis le {date} qu'il cherche de nouveaux foyers. "
            "Est-ce toujours le cas ?",
            locale,
            nom=project.nom,
            date=date,
        )
        extra = (Button(gettext("Nous ne recrutons plus", locale), f"projet:recrute-non:{project.id}"),)
    else:
        text = gettext(
            "La fiche de votre projet « {nom} » n'a pas été confirmée depuis le {date}. "
            "Est-elle toujours d'actualité ?",
            locale,
            nom=project.nom,
            date=date,
        )
    return Outgoing(
        content=clip(text, CONTENT),
        buttons=(
            Button(gettext("Toujours d'actualité", locale), f"projet:ok:{project.id}", "success"),
            *extra,
            Button(gettext("Mettre à jour", locale), f"projet:maj:{project.id}", "primary"),
        ),
    )


def relay_message(project: Project, sender_id: int, sender_name: str, text: str, locale: str | None) -> Outgoing:
    """A member's message to a référent: who writes (to answer them), and their words as a card."""
    head = gettext(
        "✉️ {nom} (<@{membre}>) vous écrit à propos de votre projet « {projet} » :",
        locale,
        nom=sender_name,
        membre=sender_id,
        projet=project.nom,
    )
    return Outgoing(
        content=clip(head, CONTENT),
        title=clip(project.nom, EMBED_TITLE),
        lines=(clip(text, EMBED_DESCRIPTION),),
    )
