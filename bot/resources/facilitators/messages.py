"""What the bot says about facilitators, as plain data: the record's lines, the reason a facilitator is
suggested, and what is sent on its own (moderation card, verdict, yearly question, contact requests),
written at send time in the recipient's language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.dates import format_day
from bot.geo import distance_text
from bot.i18n import gettext
from bot.limits import CONTENT, EMBED_DESCRIPTION, EMBED_TITLE, clip
from bot.notify import Button, Outgoing
from bot.resources.facilitators.models import STRUCTURES, ContactRequest, Facilitator, Verdict
from bot.resources.facilitators.ranking import Need, Ranked
from bot.vocabulary import Etape, Expertise, Posture, Suivi, label

EMOJI = "🧭"


def named(values: Iterable[StrEnum], locale: str | None) -> str:
    """Vocabulary labels in the member's language, in the vocabulary's order."""
    chosen = set(values)
    kinds = (Expertise, Etape, Posture, Suivi)
    ordered = [v for kind in kinds for v in kind if v in chosen]
    return ", ".join(gettext(label(v), locale) for v in ordered)


def structure_name(facilitator: Facilitator, locale: str | None) -> str:
    return gettext(STRUCTURES[facilitator.structure].message, locale)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def reason(ranked: Ranked, need: Need, locale: str | None) -> str:
    """Why this facilitator is offered for `need`: « dynamiques de groupes, émergence, intervient sur
    votre territoire, à 35 km »."""
    parts = [_lower(gettext(label(e), locale)) for e in ranked.matched]
    if ranked.phase_matched and need.phase is not None:
        parts.append(_lower(gettext(label(need.phase), locale)))
    if ranked.covers:
        parts.append(gettext("intervient sur votre territoire", locale))
    if ranked.distance_km is not None:
        distance = distance_text(ranked.distance_km)
        parts.append(gettext(distance.message, locale, **distance.params))
    return ", ".join(parts)


def record_lines(facilitator: Facilitator, zone: str, locale: str | None) -> list[str]:
    """The record's facts, one line each (the card, the moderation queue)."""

    def line(name: str, value: str) -> str:
        return gettext("**{champ}** : {valeur}", locale, champ=gettext(name, locale), valeur=value)

    lines = [
        line("Structure", structure_name(facilitator, locale)),
        line("Basée à", f"{facilitator.commune} ({facilitator.departement})"),
        line("Territoire", zone or "—"),
        line("Expertises", named(facilitator.expertises, locale)),
        line("Phases", named(facilitator.etapes, locale)),
    ]
    if facilitator.postures:
        lines.append(line("Postures", named(facilitator.postures, locale)))
    lines.append(line("Accompagnement", named(facilitator.suivis, locale)))
    if facilitator.site:
        lines.append(line("Site", facilitator.site))
    if facilitator.contact:
        lines.append(line("Contact", facilitator.contact))
    return lines


def moderation_card(facilitator: Facilitator, zone: str, when: ZoneInfo, locale: str | None = None) -> Outgoing:
    lines = record_lines(facilitator, zone, locale)
    if facilitator.proposed_by:
        lines.append(
            gettext(
                "Inscrite par <@{membre}> le {date}",
                locale,
                membre=facilitator.proposed_by,
                date=format_day(facilitator.created_at, when, locale),
            )
        )
    return Outgoing(
        content=gettext("🆕 Nouvelle structure d'accompagnement à valider", locale),
        title=clip(f"{EMOJI} {facilitator.nom}", EMBED_TITLE),
        lines=(clip("\n".join(lines), EMBED_DESCRIPTION),),
        buttons=(
            Button(gettext("Publier", locale), f"accomp:publier:{facilitator.id}", "success"),
            Button(gettext("Refuser", locale), f"accomp:refuser:{facilitator.id}", "danger"),
        ),
    )


def verdict_message(facilitator: Facilitator, verdict: Verdict, reason_text: str, locale: str | None) -> Outgoing:
    if verdict is Verdict.published:
        text = gettext("✅ « {nom} » est publiée dans l'annuaire de l'accompagnement.", locale, nom=facilitator.nom)
    else:
        text = gettext(
            "❌ « {nom} » n'a pas été retenue dans l'annuaire. Raison : {raison}",
            locale,
            nom=facilitator.nom,
            raison=reason_text,
        )
    return Outgoing(content=clip(text, CONTENT))


def question_message(facilitator: Facilitator, since: datetime, zone: ZoneInfo, locale: str | None) -> Outgoing:
    text = gettext(
        "La fiche de « {nom} » dans l'annuaire de l'accompagnement n'a pas été confirmée depuis le {date}. "
        "Est-elle toujours exacte ?",
        locale,
        nom=facilitator.nom,
        date=format_day(since, zone, locale),
    )
    return Outgoing(
        content=clip(text, CONTENT),
        buttons=(
            Button(gettext("Toujours exacte", locale), f"accomp:ok:{facilitator.id}", "success"),
            Button(gettext("Mettre à jour", locale), f"accomp:maj:{facilitator.id}", "primary"),
        ),
    )


def request_message(facilitator: Facilitator, request: ContactRequest, locale: str | None) -> Outgoing:
    """To each member of the structure: the message, not who wrote it, until one of them accepts."""
    head = gettext(
        "✉️ Une personne du réseau aimerait être accompagnée par « {nom} ». Son nom vous sera donné si vous "
        "acceptez ; rien ne lui est dit de vous d'ici là.",
        locale,
        nom=facilitator.nom,
    )
    return Outgoing(
        content=clip(head, CONTENT),
        title=clip(f"{EMOJI} {facilitator.nom}", EMBED_TITLE),
        lines=(clip(request.message, EMBED_DESCRIPTION),),
        buttons=(
            Button(gettext("Accepter", locale), f"accdem:oui:{request.id}", "success"),
            Button(gettext("Décliner", locale), f"accdem:non:{request.id}"),
        ),
    )


def answered_message(facilitator: Facilitator, request: ContactRequest, locale: str | None) -> Outgoing:
    """To who asked: the member who accepted and the structure's public contact, or a plain no."""
    if request.answered_by is not None and request.status.value == "acceptee":
        text = gettext(
            "✅ « {nom} » accepte votre demande : {membre} vous répond sur Discord.",
            locale,
            nom=facilitator.nom,
            membre=f"<@{request.answered_by}>",
        )
        text += _public(facilitator, locale)
    else:
        text = gettext(
            "« {nom} » ne donne pas suite à votre demande cette fois-ci. D'autres structures vous attendent : "
            "/accompagnement annuaire.",
            locale,
            nom=facilitator.nom,
        )
    return Outgoing(content=clip(text, CONTENT))


def lapsed_message(facilitator: Facilitator, request: ContactRequest, zone: ZoneInfo, locale: str | None) -> Outgoing:
    text = gettext(
        "⌛ Votre demande à « {nom} » du {date} est restée sans réponse : elle est close, et rien n'a été partagé.",
        locale,
        nom=facilitator.nom,
        date=format_day(request.created_at, zone, locale),
    )
    return Outgoing(content=clip(text + _public(facilitator, locale), CONTENT))


def withdrawn_message(facilitator: Facilitator, locale: str | None) -> Outgoing:
    text = gettext(
        "Votre demande à « {nom} » n'a pu être remise : ses contacts ne reçoivent pas de messages privés. "
        "Rien n'a été partagé.",
        locale,
        nom=facilitator.nom,
    )
    return Outgoing(content=clip(text + _public(facilitator, locale), CONTENT))


def _public(facilitator: Facilitator, locale: str | None) -> str:
    """The structure's public contact, on a line of its own, when it has one."""
    public = [c for c in (facilitator.contact, facilitator.site) if c]
    if not public:
        return ""
    return "\n" + gettext("Contact de la structure : {contact}", locale, contact=" · ".join(public))
