"""How household introductions look on Discord: the three step forms, the profile card, suggestions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

import discord

from bot.households.matching import Reason, Suggestion
from bot.households.models import HouseholdProfile
from bot.projects.models import Project
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Milieu, Statut, Valeur, label
from cogs.ui.text import t
from cogs.ui.views import HabitatModal

COLOUR = discord.Colour.from_rgb(239, 108, 0)
VISIBILITIES = {
    "aucune": "Personne : je reçois seulement des suggestions",
    "foyers": "Les autres foyers",
    "projets": "Les projets qui recrutent",
    "tous": "Les foyers et les projets",
}
STEP_TITLES = {1: "Où et quand (1/3)", 2: "Votre foyer (2/3)", 3: "Ce qui compte (3/3)"}

Submit = Callable[[discord.Interaction[Any], int, dict[str, Any]], Awaitable[None]]


def tl(interaction: discord.Interaction[Any], value: StrEnum) -> str:
    return t(interaction, label(value))


def options(interaction: discord.Interaction[Any], kind: type[StrEnum], chosen: set[str]) -> list[discord.SelectOption]:
    return [
        discord.SelectOption(label=tl(interaction, member)[:100], value=member.value, default=member.value in chosen)
        for member in kind
    ]


class StepModal(HabitatModal):
    """One step of the introduction, prefilled with what is known (saved, or typed before an error)."""

    def __init__(
        self, interaction: discord.Interaction[Any], step: int, known: dict[str, Any], on_submit: Submit
    ) -> None:
        super().__init__(title=t(interaction, STEP_TITLES[step])[:45], timeout=1800)
        self.step = step
        self.submit_to = on_submit
        self.fields: dict[str, discord.ui.TextInput[StepModal] | discord.ui.Select[StepModal]] = {}
        if step == 1:
            self._text(interaction, "lieu", "Où ? Commune, code postal ou départements", known, max_length=100)
            self._text(interaction, "rayon", "Rayon autour de la commune, en km", known, required=False, max_length=3)
            self._select(interaction, "horizon", "Quand ?", Horizon, known, low=1, high=1)
            self._select(interaction, "etapes", "Rejoindre…", EtapeRejointe, known, low=1)
            self._select(interaction, "milieux", "Milieu", Milieu, known, low=0)
        elif step == 2:
            self._text(interaction, "adultes", "Nombre d'adultes", known, max_length=2)
            self._text(interaction, "enfants", "Nombre d'enfants", known, required=False, max_length=2)
            self._text(interaction, "seniors", "Personnes de plus de 65 ans", known, required=False, max_length=2)
            self._select(interaction, "statuts", "Statut envisagé", Statut, known, low=1)
            self._text(
                interaction, "budget", "Budget en €, par ex. 150000-250000", known, required=False, max_length=40
            )
        else:
            self._select(interaction, "valeurs", "Ce qui compte pour vous", Valeur, known, low=0)
            self._select(interaction, "apports", "Ce que vous apportez", Apport, known, low=0)
            self._text(
                interaction, "intro", "Quelques mots sur votre foyer", known, required=False, max_length=500,
                style=discord.TextStyle.paragraph,
            )  # fmt: skip
            visibility: discord.ui.Select[StepModal] = discord.ui.Select(
                options=[
                    discord.SelectOption(
                        label=t(interaction, text)[:100], value=key, default=key == known.get("visibilite", "aucune")
                    )
                    for key, text in VISIBILITIES.items()
                ],
                min_values=1,
                max_values=1,
                custom_id="foyer-visibilite",
            )
            self._add(interaction, "visibilite", "Qui peut voir votre présentation ?", visibility)
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
            self._add(interaction, "accessibilite", "Besoin d'un logement accessible ?", access)

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
            label=t(interaction, text)[:45],
            required=required,
            max_length=max_length,
            default=str(value) if value not in (None, "") else None,
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
        self.add_item(discord.ui.Label(text=t(interaction, text)[:45], component=select))

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
        "visibilite": profile.visibility,
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
                "{adultes} adulte(s), {enfants} enfant(s), {seniors} de plus de 65 ans",
                adultes=profile.adults,
                enfants=profile.children or 0,
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
                value=", ".join(tl(interaction, v) for v in sorted(values))[:1024],
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


def suggestions_embed(
    interaction: discord.Interaction[Any],
    households: list[Suggestion],
    profiles: dict[int, HouseholdProfile],
    projects: list[Suggestion],
    project_records: dict[int, Project],
) -> discord.Embed:
    embed = discord.Embed(title=t(interaction, "Vos suggestions de mise en lien"), colour=COLOUR)
    if not households and not projects:
        embed.description = t(
            interaction,
            "Pas encore de suggestion : élargissez votre rayon ou vos statuts, ou revenez plus tard "
            "(vous recevrez les nouvelles chaque semaine).",
        )
    for number, suggestion in enumerate(households, start=1):
        other = profiles[suggestion.target_id]
        reasons = " · ".join(reason_text(interaction, r) for r in suggestion.reasons)
        text = f"{reasons}\n{other.intro[:200]}" if other.intro else reasons
        embed.add_field(
            name=t(interaction, "Foyer {n} — {score} %", n=number, score=round(suggestion.score))[:256],
            value=text[:1024],
            inline=False,
        )
    for suggestion in projects:
        project = project_records[suggestion.target_id]
        reasons = " · ".join(reason_text(interaction, r) for r in suggestion.reasons)
        embed.add_field(
            name=f"🏡 {project.nom} — {round(suggestion.score)} %"[:256], value=reasons[:1024], inline=False
        )
    return embed


def introduction_embed(profile: HouseholdProfile | None, locale: str | None) -> discord.Embed:
    """What the other side sees of the requester before accepting: the introduction, not the identity."""
    from bot.i18n import gettext

    embed = discord.Embed(title=gettext("Un foyer souhaite être mis en lien avec vous", locale), colour=COLOUR)
    if profile is None:
        return embed
    embed.description = profile.intro or None
    if profile.commune:
        embed.add_field(name=gettext("Où", locale), value=profile.commune)
    if profile.horizon:
        embed.add_field(name=gettext("Quand", locale), value=gettext(label(profile.horizon), locale))
    if profile.valeurs:
        values = ", ".join(gettext(label(v), locale) for v in sorted(profile.valeurs))
        embed.add_field(name=gettext("Ce qui compte pour vous", locale), value=values, inline=False)
    if profile.apports:
        brings = ", ".join(gettext(label(a), locale) for a in sorted(profile.apports))
        embed.add_field(name=gettext("Ce que vous apportez", locale), value=brings, inline=False)
    return embed
