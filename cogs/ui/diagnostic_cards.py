"""How a diagnostic looks: a summary card (the project, the expertise that fits) and a card per strand
(this step, what usually matters now, what feels blocked, what comes next)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import discord

from bot.dates import discord_time
from bot.limits import EMBED_FIELD_VALUE, clip
from bot.resources.diagnostic.content import DONE, NOT_BEGUN, NOW
from bot.resources.diagnostic.models import Kept
from bot.resources.diagnostic.rules import Standing
from bot.resources.diagnostic.service import Diagnosis
from bot.vocabulary import label
from cogs.ui.text import fit, t

COLOUR = discord.Colour.from_rgb(0, 121, 107)


def tl(interaction: discord.Interaction[Any], value: StrEnum) -> str:
    """The label of a vocabulary value, in the member's language."""
    return t(interaction, label(value))


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
    return [fit(summary), *(fit(strand_card(interaction, standing)) for standing in diagnosis.standing)]


def strand_card(interaction: discord.Interaction[Any], standing: Standing) -> discord.Embed:
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
    return card
