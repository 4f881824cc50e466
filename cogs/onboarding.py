"""Welcome and help: newcomers greeted, their household introduced in three steps (`/presentation`), and
`/aide`, which says what the bot does, built from the registered command tree."""

from __future__ import annotations

from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of, walk_commands
from bot.errors import Text, UserError
from bot.i18n import command_path, explain
from bot.limits import BUTTON_LABEL, EMBED_FIELD_NAME, EMBED_FIELD_VALUE, clip
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.households import StepModal, known_values, profile_embed
from cogs.ui.paginator import Paginator
from cogs.ui.text import reply, t

EMBED_COLOUR = discord.Colour.from_rgb(46, 125, 50)
PAGE_BUDGET = 3500  # characters of command lines per page, well under an embed's 6,000
# A command may say more than its description (which Discord cuts at 100 characters): the rules a member
# should know before using it, as `extras={"aide": Text("…", **params)}`, shown under its line.
DETAILS = "aide"
KEPT_FORMS = 500  # forms kept as typed after a refusal, the oldest forgotten first
# Newcomers' order: getting started, then finding, then taking part; the server's settings last.
SECTION_ORDER = (
    "",
    "projet",
    "annonce",
    "evenement",
    "presentation",
    "mise-en-lien",
    "accompagnement",
    "ressource",
    "rappel",
    "agenda",
    "mes-donnees",
    "config",
)


def usable_by(command: app_commands.Command[Any, ..., Any], interaction: discord.Interaction[Any]) -> bool:
    """Hide what Discord would hide from this member: server-only commands in DMs, admin-only ones."""
    root = command.root_parent or command
    if interaction.guild is None:
        return not root.guild_only
    required = root.default_permissions
    return required is None or interaction.permissions >= required


def command_line(
    bot: HabitatBot, command: app_commands.Command[Any, ..., Any], interaction: discord.Interaction[Any]
) -> str:
    line = f"{bot.mention(command.qualified_name, interaction.locale.value)} — {t(interaction, command.description)}"
    details = command.extras.get(DETAILS)
    if isinstance(details, Text):
        line = f"{line}\n↳ {t(interaction, details.message, **details.params)}"
    return clip(line, EMBED_FIELD_VALUE)


def help_pages(bot: HabitatBot, interaction: discord.Interaction[Any]) -> list[discord.Embed]:
    """One field per command group, grouped into pages that stay well inside an embed's limits."""
    sections: dict[str, tuple[str, list[str]]] = {}
    for command in walk_commands(bot.tree):
        if usable_by(command, interaction):
            group = command.root_parent
            key, title = (
                (
                    group.name,
                    f"/{command_path(group.name, interaction.locale.value)} — {t(interaction, group.description)}",
                )
                if group
                else ("", "")
            )
            sections.setdefault(key, (title or t(interaction, "Général"), []))[1].append(
                command_line(bot, command, interaction)
            )

    def rank(key: str) -> tuple[int, str]:
        return (SECTION_ORDER.index(key) if key in SECTION_ORDER else len(SECTION_ORDER), key)

    grouped: list[list[tuple[str, list[str]]]] = [[]]
    used = 0
    for _, (title, lines) in sorted(sections.items(), key=lambda item: rank(item[0])):
        size = sum(len(line) + 1 for line in lines)
        if grouped[-1] and used + size > PAGE_BUDGET:
            grouped.append([])
            used = 0
        grouped[-1].append((title, lines))
        used += size

    intro = t(
        interaction,
        "Je réunis le réseau de l'habitat participatif sur Discord : la base nationale des projets, "
        "les petites annonces, les événements (JPO, plénières, RNHP…), la mise en lien entre foyers, "
        "l'accompagnement des groupes et le centre de ressources. "
        "Tapez `/` puis le nom d'une commande ; voici celles que vous pouvez utiliser ici.",
    )
    pages = []
    for number, page_sections in enumerate(grouped, start=1):
        embed = discord.Embed(
            title=t(interaction, "Aide du bot de l'habitat participatif"),
            description=intro,
            colour=EMBED_COLOUR,
        )
        for title, lines in page_sections:
            for chunk in _chunks(lines, 1024):
                embed.add_field(name=clip(title, EMBED_FIELD_NAME), value=chunk, inline=False)
        if len(grouped) > 1:
            embed.set_footer(text=t(interaction, "Page {n} sur {total}", n=number, total=len(grouped)))
        pages.append(embed)
    return pages


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Join lines into blocks of at most `limit` characters (an embed field's value)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return chunks


class Onboarding(commands.Cog):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        # What a member typed in a step that did not validate, so that the form comes back as typed.
        self.typed: dict[tuple[int, int], dict[str, Any]] = {}

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(StepButton, ProfileNudgeButton)

    @app_commands.command(name="aide", description="Ce que fait le bot et comment commencer")
    async def aide(self, interaction: discord.Interaction[HabitatBot]) -> None:
        await Paginator.of(interaction.user.id, help_pages(self.bot, interaction)).send(interaction, ephemeral=True)

    # ------------------------------------------------------------------ greeting newcomers

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if not member.bot:
            await self.bot.households.greet(member.guild.id, member.id)

    # ------------------------------------------------------------------ the introduction

    async def open_step(self, interaction: discord.Interaction[Any], step: int | None = None) -> None:
        profile = await self.bot.households.get(interaction.user.id)
        if step is None:
            step = profile.step if profile is not None and not profile.complete else 1
        known = known_values(profile) | self.typed.get((interaction.user.id, step), {})
        await interaction.response.send_modal(StepModal(interaction, step, known, self.save_step))

    async def save_step(self, interaction: discord.Interaction[Any], step: int, typed: dict[str, Any]) -> None:
        key = (interaction.user.id, step)
        try:
            profile = await self.bot.households.save_step(
                interaction.user.id, step, typed, guild_id=interaction.guild_id, locale=interaction.locale.value
            )
        except UserError as error:
            self.typed.pop(key, None)
            self.typed[key] = typed
            if len(self.typed) > KEPT_FORMS:
                self.typed.pop(next(iter(self.typed)))
            view = discord.ui.View(timeout=None)
            view.add_item(StepButton(step, retry=True, interaction=interaction))
            await reply(interaction, explain(error, interaction.locale.value), view=view)
            return
        self.typed.pop(key, None)
        if step < 3:
            view = discord.ui.View(timeout=None)
            view.add_item(StepButton(step + 1, interaction=interaction))
            await reply(interaction, t(interaction, "Étape {n}/3 enregistrée.", n=step), view=view)
            return
        await reply(
            interaction,
            t(interaction, "Présentation enregistrée ! Voyez vos suggestions avec /mise-en-lien suggestions."),
            embed=profile_embed(interaction, profile),
        )

    presentation = app_commands.Group(name="presentation", description="Présenter votre foyer pour être mis en lien")

    @presentation.command(name="creer", description="Présenter votre foyer, en trois étapes")
    async def creer(self, interaction: discord.Interaction[Any]) -> None:
        profile = await self.bot.households.get(interaction.user.id)
        if profile is not None and profile.complete:
            raise UserError("Votre foyer est déjà présenté : /presentation modifier pour le changer.")
        await self.open_step(interaction)

    @presentation.command(name="modifier", description="Modifier une étape de votre présentation")
    @app_commands.describe(etape="L'étape à modifier")
    @app_commands.choices(
        etape=[
            app_commands.Choice(name="Où et quand", value=1),
            app_commands.Choice(name="Votre foyer", value=2),
            app_commands.Choice(name="Ce qui compte et qui peut voir", value=3),
        ]
    )
    async def modifier(self, interaction: discord.Interaction[Any], etape: int = 1) -> None:
        profile = await self.bot.households.get(interaction.user.id)
        if profile is None:
            raise UserError("Vous n'avez pas encore présenté votre foyer : /presentation creer.")
        await self.open_step(interaction, min(etape, profile.step))

    @presentation.command(name="voir", description="Voir votre présentation telle que le bot la garde")
    async def voir(self, interaction: discord.Interaction[Any]) -> None:
        profile = await self.bot.households.get(interaction.user.id)
        if profile is None:
            raise UserError("Vous n'avez pas encore présenté votre foyer : /presentation creer.")
        await interaction.response.send_message(embed=profile_embed(interaction, profile), ephemeral=True)


class StepButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"foyer:etape:(?P<step>[0-3])"):
    """Opens a step of the introduction (0: wherever the member stopped)."""

    def __init__(self, step: int, *, retry: bool = False, interaction: discord.Interaction[Any] | None = None) -> None:
        if step == 0:
            text = "Présenter mon foyer"
        elif retry:
            text = "Corriger l'étape {n}"
        else:
            text = "Continuer ({n}/3)"
        label = t(interaction, text, n=step) if interaction else text.format(n=step)
        super().__init__(
            discord.ui.Button(
                label=clip(label, BUTTON_LABEL), style=discord.ButtonStyle.primary, custom_id=f"foyer:etape:{step}"
            )
        )
        self.step = step

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> StepButton:
        return cls(int(match["step"]))

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = bot_of(interaction).get_cog("Onboarding")
        assert isinstance(cog, Onboarding)
        await cog.open_step(interaction, self.step or None)


class ProfileNudgeButton(ActionButton, template=r"foyer:(?P<action>ok|pause):(?P<id>\d+)"):
    """The answer to "does your introduction still hold?" (the DM is written by the core, on the ledger)."""

    PREFIX = "foyer"
    LABELS: ClassVar[dict[str, str]] = {"ok": "Toujours d'actualité", "pause": "Mettre en pause"}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.target_id:
            raise UserError("Ce bouton ne concerne que la personne qui a reçu ce message.")
        await bot_of(interaction).households.still_holds(self.target_id, self.action == "ok")
        text = "Merci, votre présentation reste active." if self.action == "ok" else "Votre présentation est en pause."
        await interaction.response.edit_message(content=t(interaction, text), view=None)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Onboarding(bot))
