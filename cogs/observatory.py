"""`/observatoire`: the national database's figures (bot/projects/stats.py) for France or one région,
as a short text, one picture of bar charts and the same figures as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from bot.pictures import drawn_bars
from bot.pictures.models import BarChart
from bot.projects.stats import Figures, FiguresStore
from bot.vocabulary import label
from cogs.ui.text import reply, t, tn
from cogs.ui.transformers import RegionOption


def charts(interaction: discord.Interaction[Any], figures: Figures, region_names: dict[str, str]) -> list[BarChart]:
    """The panels of the picture, which are also the rows of the CSV: labels in the member's language."""

    def named(counts: dict[Any, int]) -> tuple[tuple[str, int], ...]:
        return tuple((t(interaction, label(value)), n) for value, n in counts.items())

    panels = [BarChart(t(interaction, "Projets par étape"), named(figures.by_etape))]
    if len(figures.by_region) > 1:  # one région's own bar says nothing
        panels.append(
            BarChart(
                t(interaction, "Projets par région"),
                tuple((region_names.get(code, code), n) for code, n in figures.by_region),
            )
        )
    panels += [
        BarChart(t(interaction, "Projets par forme juridique"), named(figures.by_forme)),
        BarChart(t(interaction, "Projets par initiative"), named(figures.by_initiative)),
        BarChart(
            t(interaction, "Projets par public (plusieurs par projet possibles)"),
            named(figures.by_public),
        ),
    ]
    return panels


def summary(interaction: discord.Interaction[Any], figures: Figures, where: str) -> str:
    lines = [
        "**"
        + tn(interaction, "{n} projet publié ({lieu})", "{n} projets publiés ({lieu})", figures.published, lieu=where)
        + "**",
        " · ".join(f"{t(interaction, label(stage))} {n}" for stage, n in figures.by_etape.items()),
        tn(
            interaction,
            "{n} projet cherche de nouveaux foyers",
            "{n} projets cherchent de nouveaux foyers",
            figures.recruiting,
        ),
        tn(interaction, "{n} logement en tout", "{n} logements en tout", figures.logements),
    ]
    if figures.logements_unknown:
        lines[-1] += " " + tn(
            interaction,
            "({n} fiche ne dit pas combien)",
            "({n} fiches ne disent pas combien)",
            figures.logements_unknown,
        )
    lines.append(
        tn(
            interaction,
            "{n} fiche confirmée depuis un an",
            "{n} fiches confirmées depuis un an",
            figures.confirmed_last_year,
        )
    )
    return "\n".join(lines)


def figures_csv(interaction: discord.Interaction[Any], figures: Figures, panels: list[BarChart]) -> bytes:
    """Every figure as a row (group, what, count), in the member's language: a spreadsheet's own charts."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t(interaction, "groupe"), t(interaction, "valeur"), t(interaction, "nombre")])
    total = t(interaction, "Total")
    for what, n in (
        (t(interaction, "projets publiés"), figures.published),
        (t(interaction, "projets qui cherchent de nouveaux foyers"), figures.recruiting),
        (t(interaction, "logements"), figures.logements),
        (t(interaction, "fiches sans nombre de logements"), figures.logements_unknown),
        (t(interaction, "fiches confirmées depuis un an"), figures.confirmed_last_year),
    ):
        writer.writerow([total, what, n])
    for panel in panels:
        for what, n in panel.bars:
            writer.writerow([panel.title, what, n])
    return out.getvalue().encode("utf-8")


class Observatory(commands.Cog):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        self.store = FiguresStore(bot.db)

    @app_commands.command(
        name="observatoire", description="Les chiffres des projets publiés, en France ou dans une région"
    )
    @app_commands.describe(region="Région, actuelle ou ancienne (Auvergne, Midi-Pyrénées…)")
    async def observatoire(self, interaction: discord.Interaction[Any], region: RegionOption | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # the picture takes a moment
        figures = await self.store.figures(self.bot.core.clock(), region.departements if region else None)
        where = region.nom if region else "France"  # a proper name, the same in English
        text = summary(interaction, figures, where)
        if not figures.published:
            await reply(interaction, text)
            return
        names = {r.code: r.nom for r in self.bot.geo.regions.values()}
        panels = charts(interaction, figures, names)
        title = t(interaction, "Observatoire de l'habitat participatif — {lieu}", lieu=where)
        picture = await drawn_bars(panels, title)
        files = [
            discord.File(io.BytesIO(picture), filename="observatoire.png"),
            discord.File(io.BytesIO(figures_csv(interaction, figures, panels)), filename="observatoire.csv"),
        ]
        await reply(interaction, text, files=files)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Observatory(bot))
