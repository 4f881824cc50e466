"""How a resource reads, in plain text: its facts (theme, phase, strand and step, type, audiences,
author, date, licence, the « exemple, pas un modèle » mark), shared by the ledger's messages and the
Discord layer's cards, and the forum tags it is filed under."""

from __future__ import annotations

from bot.i18n import gettext
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, clip
from bot.notify import Button, Outgoing
from bot.resources.models import Resource
from bot.vocabulary import Theme, label

EXAMPLE_MARK = "📎 Exemple, pas un modèle : ce document est le texte d'un groupe, à adapter au vôtre."
TAG_NAME = 20  # forum tags hold at most 20 characters
SHORT_TAGS = {Theme.collectivites: "Collectivités"}  # labels too long for a tag


def size_text(size: int) -> str:
    """A file's size as people read it (« 1,2 Mo », « 350 ko »)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
    return f"{max(1, round(size / 1024))} ko"


def facts(resource: Resource, locale: str | None) -> list[tuple[str, str]]:
    """(name, value) of what is known of a resource, in the reader's language."""

    def tr(text: str) -> str:
        return gettext(text, locale)

    found = [(tr("Thème"), tr(label(resource.theme))), (tr("Type"), tr(label(resource.type)))]
    if resource.etape is not None:
        found.append((tr("Phase"), tr(label(resource.etape))))
    if resource.volet is not None:
        strand = tr(label(resource.volet))
        found.append((tr("Volet"), f"{strand} · {tr(label(resource.pas))}" if resource.pas else strand))
    if resource.destinataires:
        found.append((tr("Pour qui"), ", ".join(tr(label(d)) for d in sorted(resource.destinataires))))
    author = resource.auteur + (f" ({resource.date})" if resource.date else "")
    found.append((tr("Auteur ou source"), author))
    found.append((tr("Licence"), tr(label(resource.licence))))
    if resource.lien:
        found.append((tr("Lien"), resource.lien))
    if resource.fichier is not None:
        found.append((tr("Fichier"), f"{resource.fichier.filename} ({size_text(resource.fichier.size)})"))
    return found


def card_lines(resource: Resource, locale: str | None) -> list[str]:
    """The summary, the mark when it applies, then the facts, one a line."""
    lines = [resource.resume, ""]
    if resource.exemple:
        lines += [gettext(EXAMPLE_MARK, locale), ""]
    lines += [f"**{name}** : {value}" for name, value in facts(resource, locale)]
    return lines


def moderation_card(resource: Resource) -> Outgoing:
    """The card moderators see in their queue, with « Publier » and « Refuser »."""
    lines = card_lines(resource, None)
    if resource.proposed_by:
        lines.append(gettext("Proposée par <@{membre}>", None, membre=resource.proposed_by))
    return Outgoing(
        content=gettext("🆕 Ressource à valider (n° {id})", None, id=resource.id),
        title=clip(resource.titre, EMBED_TITLE),
        lines=(clip("\n".join(lines), EMBED_DESCRIPTION),),
        buttons=(
            Button(gettext("Publier", None), f"ressource:publier:{resource.id}", "success"),
            Button(gettext("Refuser", None), f"ressource:refuser:{resource.id}", "danger"),
            Button(gettext("Voir la fiche", None), f"ressource:voir:{resource.id}"),
        ),
    )


def forum_tags(resource: Resource) -> list[str]:
    """The tags a resource's forum post is filed under: its theme and its phase (French, as the forum's)."""
    tags = [SHORT_TAGS.get(resource.theme, label(resource.theme))]
    if resource.etape is not None:
        tags.append(label(resource.etape))
    return [clip(tag, TAG_NAME) for tag in tags]
