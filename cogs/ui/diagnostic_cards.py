"""How a diagnostic looks: a summary card (the project, the expertise that fits, the facilitators near the
group and why), a card per strand (this step, what usually matters now, what feels blocked, what comes
next, the step's resources), and the menus that open a facilitator's record or a resource."""

from __future__ import annotations

from typing import Any

import discord

from bot.dates import discord_time
from bot.geo import distance_text
from bot.limits import EMBED_FIELD_VALUE, SELECT_DESCRIPTION, SELECT_LABEL, clip
from bot.resources.diagnostic.content import DONE, NOT_BEGUN, NOW
from bot.resources.diagnostic.models import Kept
from bot.resources.diagnostic.rules import Standing
from bot.resources.diagnostic.service import Diagnosis, Suggestion
from bot.resources.models import Resource
from cogs.ui.facilitators import show_record
from cogs.ui.resources import show_resource
from cogs.ui.text import fit, t, tl

COLOUR = discord.Colour.from_rgb(0, 121, 107)


def lowered(text: str) -> str:
    """A label inside a sentence: « Dynamiques de groupes » → « dynamiques de groupes »."""
    return text[:1].lower() + text[1:]


def why(interaction: discord.Interaction[Any], suggestion: Suggestion) -> str:
    """Why a facilitator is offered: « dynamiques de groupes, collectif d'intentions, à 35 km »."""
    ranked = suggestion.ranked
    parts = [lowered(tl(interaction, kind)) for kind in (*suggestion.brings, *suggestion.steps)]
    if ranked.covers:
        parts.append(t(interaction, "intervient sur votre territoire"))
    if ranked.distance_km is not None:
        distance = distance_text(ranked.distance_km)
        parts.append(t(interaction, distance.message, **distance.params))
    return ", ".join(parts)


def facilitator_lines(interaction: discord.Interaction[Any], diagnosis: Diagnosis) -> str:
    if not diagnosis.facilitators:
        return t(
            interaction, "Aucune structure inscrite près de chez vous pour l'instant : voyez /accompagnement annuaire."
        )
    lines = []
    for n, suggestion in enumerate(diagnosis.facilitators, start=1):
        found = suggestion.ranked.facilitator
        lines.append(f"{n}. **{found.nom}** — {found.commune} ({found.departement})\n{why(interaction, suggestion)}")
    return "\n".join(lines)


def result_embeds(
    interaction: discord.Interaction[Any], diagnosis: Diagnosis, kept: Kept | None
) -> list[discord.Embed]:
    answers = diagnosis.answers
    place = diagnosis.commune.label if diagnosis.commune else answers.code_insee
    facts = t(
        interaction,
        "Initiative {initiative} · phase {phase} · {commune}",
        initiative=tl(interaction, answers.initiative).lower(),
        phase=tl(interaction, answers.etape).lower(),
        commune=place,
    )
    if kept is not None:
        where = (
            t(
                interaction,
                "Gardé le {date}, sur la fiche de « {projet} ».",
                date=discord_time(kept.kept_at, "D"),
                projet=kept.project_name,
            )
            if kept.project_name
            else t(interaction, "Gardé le {date}.", date=discord_time(kept.kept_at, "D"))
        )
        facts = f"{facts}\n{where}"
    summary = discord.Embed(title=t(interaction, "Votre diagnostic"), description=facts, colour=COLOUR)
    summary.add_field(
        name=t(interaction, "Les compétences qui vous aideraient"),
        value=clip(
            "\n".join(f"{n}. {tl(interaction, kind)}" for n, kind in enumerate(diagnosis.expertise, start=1))
            or t(interaction, "Rien de particulier pour l'instant."),
            EMBED_FIELD_VALUE,
        ),
        inline=False,
    )
    summary.add_field(
        name=t(interaction, "Qui peut vous accompagner, près de chez vous"),
        value=clip(facilitator_lines(interaction, diagnosis), EMBED_FIELD_VALUE),
        inline=False,
    )
    return [
        fit(summary),
        *(
            fit(strand_card(interaction, standing, diagnosis.resources.get(standing.strand, ())))
            for standing in diagnosis.standing
        ),
    ]


def strand_card(
    interaction: discord.Interaction[Any], standing: Standing, resources: tuple[Resource, ...]
) -> discord.Embed:
    step = standing.step
    where = tl(interaction, step) if step else t(interaction, "pas encore commencé")
    now = NOW[step] if step else NOT_BEGUN[standing.strand]
    card = discord.Embed(
        title=f"{tl(interaction, standing.strand)} — {where}",
        description=t(interaction, now.message),
        colour=COLOUR,
    )
    if standing.blocked:
        card.add_field(
            name=t(interaction, "Ce qui coince"),
            value="\n".join(f"• {tl(interaction, blocker)}" for blocker in standing.blocked),
            inline=False,
        )
    following = standing.next
    card.add_field(
        name=t(interaction, "Et ensuite"),
        value=(
            f"{tl(interaction, following)} — {t(interaction, NOW[following].message)}"
            if following
            else t(interaction, DONE.message)
        ),
        inline=False,
    )
    if resources:
        card.add_field(
            name=t(interaction, "Ressources"),
            value=clip("\n".join(f"• {resource.titre}" for resource in resources), EMBED_FIELD_VALUE),
            inline=False,
        )
    return card


class OpenFacilitator(discord.ui.Select[Any]):
    """Opens the record of a facilitator the diagnostic offers (« Demander un contact » is there)."""

    def __init__(self, interaction: discord.Interaction[Any], suggestions: tuple[Suggestion, ...]) -> None:
        super().__init__(
            placeholder=t(interaction, "Ouvrir la fiche d'une structure"),
            options=[
                discord.SelectOption(
                    label=clip(s.ranked.facilitator.nom, SELECT_LABEL),
                    value=str(s.ranked.facilitator.id),
                    description=clip(why(interaction, s), SELECT_DESCRIPTION) or None,
                )
                for s in suggestions
            ],
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await show_record(interaction, self.values[0])


class OpenResource(discord.ui.Select[Any]):
    """Opens a resource the strand cards point to."""

    def __init__(self, interaction: discord.Interaction[Any], resources: list[Resource]) -> None:
        super().__init__(
            placeholder=t(interaction, "Ouvrir une ressource"),
            options=[
                discord.SelectOption(label=clip(resource.titre, SELECT_LABEL), value=str(resource.id))
                for resource in resources
            ],
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await show_resource(interaction, self.values[0])


def add_menus(view: discord.ui.View, interaction: discord.Interaction[Any], diagnosis: Diagnosis) -> None:
    """The result's menus: a facilitator's record, a resource (each resource once)."""
    if diagnosis.facilitators:
        view.add_item(OpenFacilitator(interaction, diagnosis.facilitators))
    resources = list({r.id: r for found in diagnosis.resources.values() for r in found}.values())
    if resources:
        view.add_item(OpenResource(interaction, resources[:25]))
