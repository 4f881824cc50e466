"""How household introductions look on Discord: the three step forms, the profile card, suggestions, the
answers to a request, and the private thread where two members who both accepted meet."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

import discord

from bot.client import bot_of
from bot.errors import Plural
from bot.households.matching import Reason
from bot.households.models import (
    HouseholdMakeup,
    HouseholdProfile,
    Introduction,
    IntroductionStatus,
    Visibility,
    WhatMatters,
    WhereWhen,
    title_of,
)
from bot.households.service import Requested, Shown, public_contact
from bot.limits import EMBED_FIELD_NAME, EMBED_FIELD_VALUE, EMBED_TITLE, INPUT_LABEL, MODAL_TITLE, SELECT_LABEL, clip
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Milieu, Statut, Valeur
from cogs.ui.text import t, tl
from cogs.ui.views import HabitatModal

log = logging.getLogger(__name__)

COLOUR = discord.Colour.from_rgb(239, 108, 0)
INTRO_PREVIEW = 200  # of a household's own words, under its reasons in the suggestions
VISIBILITIES = {
    Visibility.aucune: "Personne : je reçois seulement des suggestions",
    Visibility.foyers: "Les autres foyers",
    Visibility.projets: "Les projets qui recrutent",
    Visibility.tous: "Les foyers et les projets",
}
STEP_TITLES = {1: "Où et quand (1/3)", 2: "Votre foyer (2/3)", 3: "Ce qui compte (3/3)"}

Submit = Callable[[discord.Interaction[Any], int, dict[str, Any]], Awaitable[None]]


def options(interaction: discord.Interaction[Any], kind: type[StrEnum], chosen: set[str]) -> list[discord.SelectOption]:
    return [
        discord.SelectOption(
            label=clip(tl(interaction, member), SELECT_LABEL), value=member.value, default=member.value in chosen
        )
        for member in kind
    ]


class StepModal(HabitatModal):
    """One step of the introduction, prefilled with what is known (saved, or typed before an error).
    Each field is labelled with its model field's title, the name a refusal gives it."""

    def __init__(
        self, interaction: discord.Interaction[Any], step: int, known: dict[str, Any], on_submit: Submit
    ) -> None:
        super().__init__(title=clip(t(interaction, STEP_TITLES[step]), MODAL_TITLE), timeout=1800)
        self.step = step
        self.submit_to = on_submit
        self.fields: dict[str, discord.ui.TextInput[StepModal] | discord.ui.Select[StepModal]] = {}
        if step == 1:
            self._text(interaction, "lieu", title_of(WhereWhen, "code_insee"), known, max_length=100)
            rayon = title_of(WhereWhen, "radius_km")
            self._text(interaction, "rayon", rayon, known, required=False, max_length=3)
            self._select(interaction, "horizon", title_of(WhereWhen, "horizon"), Horizon, known, low=1, high=1)
            self._select(interaction, "etapes", title_of(WhereWhen, "etapes"), EtapeRejointe, known, low=1)
            self._select(interaction, "milieux", title_of(WhereWhen, "milieux"), Milieu, known, low=0)
        elif step == 2:
            self._text(interaction, "adultes", title_of(HouseholdMakeup, "adults"), known, max_length=2)
            for key, name in (("enfants", "children"), ("seniors", "seniors")):
                self._text(interaction, key, title_of(HouseholdMakeup, name), known, required=False, max_length=2)
            self._select(interaction, "statuts", title_of(HouseholdMakeup, "statuts"), Statut, known, low=1)
            budget = title_of(HouseholdMakeup, "budget_min")
            self._text(interaction, "budget", budget, known, required=False, max_length=40)
        else:
            self._select(interaction, "valeurs", title_of(WhatMatters, "valeurs"), Valeur, known, low=0)
            self._select(interaction, "apports", title_of(WhatMatters, "apports"), Apport, known, low=0)
            self._text(
                interaction, "intro", title_of(WhatMatters, "intro"), known, required=False, max_length=500,
                style=discord.TextStyle.paragraph,
            )  # fmt: skip
            visibility: discord.ui.Select[StepModal] = discord.ui.Select(
                options=[
                    discord.SelectOption(
                        label=clip(t(interaction, text), SELECT_LABEL),
                        value=key.value,
                        default=key == known.get("visibilite", Visibility.aucune),
                    )
                    for key, text in VISIBILITIES.items()
                ],
                min_values=1,
                max_values=1,
                custom_id="foyer-visibilite",
            )
            self._add(interaction, "visibilite", title_of(WhatMatters, "visibility"), visibility)
            access: discord.ui.Select[StepModal] = discord.ui.Select(
                options=[
                    discord.SelectOption(
                        label=t(interaction, "Non"), value="non", default=known.get("accessibilite") != "oui"
                    ),
                    discord.SelectOption(
                        label=t(interaction, "Oui"), value="oui", default=known.get("accessibilite") == "oui"
                    ),
                ],
                min_values=1,
                max_values=1,
                custom_id="foyer-accessibilite",
            )
            self._add(interaction, "accessibilite", title_of(WhatMatters, "accessibility"), access)

    def _text(
        self,
        interaction: discord.Interaction[Any],
        key: str,
        text: str,
        known: dict[str, Any],
        *,
        required: bool = True,
        max_length: int,
        style: discord.TextStyle = discord.TextStyle.short,
    ) -> None:
        value = known.get(key)
        field: discord.ui.TextInput[StepModal] = discord.ui.TextInput(
            label=clip(t(interaction, text), INPUT_LABEL),
            required=required,
            max_length=max_length,
            # What was typed comes back whole when it fits; longer, Discord would refuse the whole form.
            default=clip(str(value), max_length) if value not in (None, "") else None,
            style=style,
            custom_id=f"foyer-{key}",
        )
        self.fields[key] = field
        self.add_item(field)

    def _select(
        self,
        interaction: discord.Interaction[Any],
        key: str,
        text: str,
        kind: type[StrEnum],
        known: dict[str, Any],
        *,
        low: int,
        high: int | None = None,
    ) -> None:
        chosen = known.get(key) or set()
        chosen = {chosen} if isinstance(chosen, str) else set(chosen)
        members = options(interaction, kind, chosen)
        select: discord.ui.Select[StepModal] = discord.ui.Select(
            options=members, min_values=low, max_values=high or len(members), required=low > 0, custom_id=f"foyer-{key}"
        )
        self._add(interaction, key, text, select)

    def _add(
        self, interaction: discord.Interaction[Any], key: str, text: str, select: discord.ui.Select[StepModal]
    ) -> None:
        self.fields[key] = select
        self.add_item(discord.ui.Label(text=clip(t(interaction, text), INPUT_LABEL), component=select))

    def values(self) -> dict[str, Any]:
        typed: dict[str, Any] = {}
        for key, field in self.fields.items():
            if isinstance(field, discord.ui.TextInput):
                typed[key] = field.value.strip()
            elif key in ("horizon", "visibilite", "accessibilite"):
                typed[key] = field.values[0] if field.values else None
            else:
                typed[key] = set(field.values)
        return typed

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.submit_to(interaction, self.step, self.values())


def known_values(profile: HouseholdProfile | None) -> dict[str, Any]:
    """What the forms show again: the saved answers, in the forms' own words."""
    if profile is None:
        return {}
    place = f"insee:{profile.code_insee}" if profile.code_insee else ", ".join(sorted(profile.departements))
    budget = "-".join(str(n) for n in (profile.budget_min, profile.budget_max) if n is not None)
    return {
        "lieu": place if profile.step > 1 else "",
        "rayon": profile.radius_km,
        "horizon": profile.horizon.value if profile.horizon else None,
        "etapes": {e.value for e in profile.etapes},
        "milieux": {m.value for m in profile.milieux},
        "adultes": profile.adults,
        "enfants": profile.children,
        "seniors": profile.seniors,
        "statuts": {s.value for s in profile.statuts},
        "budget": budget,
        "valeurs": {v.value for v in profile.valeurs},
        "apports": {a.value for a in profile.apports},
        "intro": profile.intro,
        "visibilite": profile.visibility.value,
        "accessibilite": "oui" if profile.accessibility else "non",
    }


def profile_embed(interaction: discord.Interaction[Any], profile: HouseholdProfile) -> discord.Embed:
    embed = discord.Embed(
        title=t(interaction, "Votre présentation de foyer"), colour=COLOUR, description=profile.intro or None
    )
    if profile.commune:
        where = t(interaction, "{commune}, dans un rayon de {km} km", commune=profile.commune, km=profile.radius_km)
    else:
        where = t(interaction, "départements {liste}", liste=", ".join(sorted(profile.departements)) or "—")
    embed.add_field(name=t(interaction, "Où"), value=where, inline=False)
    if profile.horizon:
        embed.add_field(name=t(interaction, "Quand"), value=tl(interaction, profile.horizon))
    if profile.adults:
        embed.add_field(
            name=t(interaction, "Foyer"),
            value=t(
                interaction,
                "{adultes}, {enfants}, {seniors} de plus de 65 ans",
                adultes=Plural("{n} adulte", "{n} adultes", profile.adults),
                enfants=Plural("{n} enfant", "{n} enfants", profile.children or 0),
                seniors=profile.seniors or 0,
            ),
        )
    for name, values in (
        ("Rejoindre…", profile.etapes),
        ("Statut envisagé", profile.statuts),
        ("Ce qui compte pour vous", profile.valeurs),
        ("Ce que vous apportez", profile.apports),
    ):
        if values:
            embed.add_field(
                name=t(interaction, name),
                value=clip(", ".join(tl(interaction, v) for v in sorted(values)), EMBED_FIELD_VALUE),
                inline=False,
            )
    visibility = t(interaction, VISIBILITIES[profile.visibility])
    state = t(interaction, "en pause") if profile.paused else t(interaction, "active")
    embed.set_footer(text=t(interaction, "Visible par : {qui} · présentation {etat}", qui=visibility, etat=state))
    return embed


def reason_text(interaction: discord.Interaction[Any], reason: Reason) -> str:
    params = {
        key: ", ".join(tl(interaction, v) for v in value) if isinstance(value, list) else (
            tl(interaction, value) if isinstance(value, StrEnum) else value
        )
        for key, value in reason.params.items()
    }  # fmt: skip
    return t(interaction, reason.text, **params)


def suggestions_embed(interaction: discord.Interaction[Any], shown: Shown) -> discord.Embed:
    embed = discord.Embed(title=t(interaction, "Vos suggestions de mise en lien"), colour=COLOUR)
    if not shown.households and not shown.projects:
        embed.description = t(
            interaction,
            "Pas encore de suggestion : élargissez votre rayon ou vos statuts, ou revenez plus tard "
            "(vous recevrez les nouvelles chaque semaine).",
        )
    for number, suggestion in enumerate(shown.households, start=1):
        other = shown.profiles[suggestion.target_id]
        reasons = " · ".join(reason_text(interaction, r) for r in suggestion.reasons)
        text = f"{reasons}\n{clip(other.intro, INTRO_PREVIEW)}" if other.intro else reasons
        embed.add_field(
            name=clip(
                t(interaction, "Foyer {n} — {score} %", n=number, score=round(suggestion.score)), EMBED_FIELD_NAME
            ),
            value=clip(text, EMBED_FIELD_VALUE),
            inline=False,
        )
    for suggestion in shown.projects:
        project = shown.records[suggestion.target_id]
        reasons = " · ".join(reason_text(interaction, r) for r in suggestion.reasons)
        embed.add_field(
            name=clip(f"🏡 {project.nom} — {round(suggestion.score)} %", EMBED_FIELD_NAME),
            value=clip(reasons, EMBED_FIELD_VALUE),
            inline=False,
        )
    return embed


def households_embed(interaction: discord.Interaction[Any], project_name: str, shown: Shown) -> discord.Embed:
    """The households a project's référent may ask, named by their rank, not their identity."""
    embed = suggestions_embed(interaction, shown)
    embed.title = clip(t(interaction, "Foyers pour « {projet} »", projet=project_name), EMBED_TITLE)
    return embed


def requested_text(interaction: discord.Interaction[Any], requested: Requested) -> str:
    if requested.introduction is not None:
        return t(
            interaction,
            "Demande envoyée. Vous serez prévenu·e de la réponse ; rien n'est partagé sans l'accord des deux.",
        )
    assert requested.project is not None
    contact = public_contact(requested.project)
    if contact is None:
        return t(
            interaction,
            "Le projet « {projet} » n'a pas de référent sur Discord, ni de contact public dans sa fiche.",
            projet=requested.project.nom,
        )
    return t(
        interaction,
        "Le projet « {projet} » n'a pas de référent sur Discord : contactez-le directement, {contact}",
        projet=requested.project.nom,
        contact=contact,
    )


def answer_text(interaction: discord.Interaction[Any], answered: Introduction) -> str:
    """What the one who answered reads, in place of the request's buttons."""
    if answered.status is not IntroductionStatus.acceptee:
        return t(interaction, "Demande déclinée. Ce foyer ne vous sera plus proposé.")
    if answered.thread_id is not None:
        return t(interaction, "Mise en lien acceptée : {ou}", ou=f"<#{answered.thread_id}>")
    return t(
        interaction, "✅ Mise en lien acceptée : écrivez à {membre} sur Discord.", membre=f"<@{answered.requester_id}>"
    )


class ThreadRooms:
    """`Rooms` on Discord: a private thread in the server's introductions channel. Opening it takes
    several calls, so the interaction is acknowledged first, within Discord's 3 seconds."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self.interaction = interaction

    async def open(self, channel_id: int, title: str, members: tuple[int, int], greeting: str) -> int | None:
        if not self.interaction.response.is_done():
            await self.interaction.response.defer()
        channel = bot_of(self.interaction).get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return None
        try:
            thread = await channel.create_thread(name=title, type=discord.ChannelType.private_thread, invitable=False)
            for user_id in members:
                await thread.add_user(discord.Object(user_id))
            names = " ".join(f"<@{user_id}>" for user_id in members)
            await thread.send(
                f"{names} {greeting}",
                # The two members, and only them, are pinged.
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(user_id) for user_id in members]),
            )
        except discord.HTTPException as error:
            log.warning("fil de mise en lien impossible : %s", error)
            return None
        return thread.id
