"""`/mise-en-lien`: suggestions with their reasons, and introductions only when both sides agree."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of
from bot.errors import UserError
from bot.households.matching import Suggestion
from bot.households.models import Introduction
from bot.i18n import gettext
from bot.projects.models import Project
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.households import introduction_embed, suggestions_embed
from cogs.ui.members import send_dm
from cogs.ui.text import reply, t
from cogs.ui.views import OwnedView

log = logging.getLogger(__name__)


class SuggestionsView(OwnedView):
    """A menu to ask for an introduction with one of the suggestions shown."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        households: list[Suggestion],
        projects: list[Suggestion],
        names: dict[int, str],
        on_pick: Pick | None = None,
    ) -> None:
        super().__init__(interaction.user.id)
        self.on_pick = on_pick or ask_as_household
        # The menu's values reach the member's client: they name positions, never Discord ids.
        self.targets = [("foyer", s.target_id) for s in households] + [("projet", s.target_id) for s in projects]
        options = [
            discord.SelectOption(label=t(interaction, "Foyer {n}", n=n), value=str(n - 1))
            for n, _ in enumerate(households, start=1)
        ] + [
            discord.SelectOption(label=f"🏡 {names[s.target_id]}"[:100], value=str(len(households) + n))
            for n, s in enumerate(projects)
        ]
        self.ask: discord.ui.Select[SuggestionsView] = discord.ui.Select(
            placeholder=t(interaction, "Demander une mise en lien"), options=options
        )
        self.ask.callback = self._ask  # type: ignore[method-assign]
        self.add_item(self.ask)

    async def _ask(self, interaction: discord.Interaction[Any]) -> None:
        kind, target = self.targets[int(self.ask.values[0])]
        await self.on_pick(interaction, kind, target)


Pick = Callable[[discord.Interaction[Any], str, int], Awaitable[None]]


async def ask_as_household(interaction: discord.Interaction[Any], kind: str, target: int) -> None:
    await request_introduction(
        interaction, household=target if kind == "foyer" else None, project=target if kind == "projet" else None
    )


async def propose_as_project(interaction: discord.Interaction[Any], project: Project, household: int) -> None:
    """A project's référent asks a household that let projects see it; the household accepts or not."""
    bot = bot_of(interaction)
    if interaction.user.id not in project.referents:
        raise UserError("Seuls les référents du projet peuvent faire cela.")
    introduction = await bot.introductions.request(
        interaction.user.id, target_user_id=household, guild_id=interaction.guild_id or project.guild_id
    )
    other = await bot.households.get(household)
    locale = other.locale if other else "fr"
    embed = discord.Embed(title=f"🏡 {project.nom}"[:256], description=project.description[:4000] or None)
    embed.add_field(name=gettext("Où", locale), value=f"{project.commune} ({project.departement})")
    delivered = await send_dm(
        bot,
        household,
        content=gettext("Le projet « {projet} » aimerait vous rencontrer.", locale, projet=project.nom),
        embed=embed,
        view=answer_view(introduction.id, locale),
    )
    if not delivered:
        await bot.introductions.withdraw(introduction.id)
        raise UserError("Votre demande n'a pas pu être transmise : l'autre partie n'accepte pas les messages privés.")
    await reply(
        interaction,
        t(
            interaction,
            "Demande envoyée. Vous serez prévenu·e de la réponse ; rien n'est partagé sans l'accord des deux.",
        ),
    )


def answer_view(introduction_id: int, locale: str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AnswerButton("oui", introduction_id, gettext("Accepter", locale)))
    view.add_item(AnswerButton("non", introduction_id, gettext("Décliner", locale)))
    return view


async def request_introduction(
    interaction: discord.Interaction[Any], *, household: int | None, project: int | None
) -> None:
    bot = bot_of(interaction)
    requester = await bot.households.get(interaction.user.id)
    if requester is None or not requester.complete:
        raise UserError("Présentez d'abord votre foyer : /presentation creer.")
    introduction = await bot.introductions.request(
        interaction.user.id, target_user_id=household, project_id=project, guild_id=interaction.guild_id
    )
    if household is not None:
        other = await bot.households.get(household)
        recipients = [(household, other.locale if other else "fr")]
        title = None
    else:
        record = await bot.projects.get(project or 0)
        if record is None or not record.referents:
            await bot.introductions.withdraw(introduction.id)
            raise UserError("Ce projet n'a pas de référent joignable sur Discord.")
        recipients = [(referent, "fr") for referent in record.referents]
        title = record.nom
    delivered = 0
    for user_id, locale in recipients:
        content = gettext("Une demande de mise en lien vous attend.", locale)
        if title:
            content = gettext("Un foyer aimerait rejoindre votre projet « {projet} ».", locale, projet=title)
        delivered += await send_dm(
            bot,
            user_id,
            content=content,
            embed=introduction_embed(requester, locale),
            view=answer_view(introduction.id, locale),
        )
    if not delivered:
        await bot.introductions.withdraw(introduction.id)
        raise UserError("Votre demande n'a pas pu être transmise : l'autre partie n'accepte pas les messages privés.")
    await reply(
        interaction,
        t(
            interaction,
            "Demande envoyée. Vous serez prévenu·e de la réponse ; rien n'est partagé sans l'accord des deux.",
        ),
    )


class AnswerButton(ActionButton, template=r"intro:(?P<action>oui|non):(?P<id>\d+)"):
    PREFIX = "intro"
    LABELS: ClassVar[dict[str, str]] = {"oui": "Accepter", "non": "Décliner"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"oui": discord.ButtonStyle.success}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        introduction = await bot.introductions.get(self.target_id)
        if introduction is None:
            raise UserError("Cette demande n'existe plus.")
        allowed = {introduction.target_user_id}
        if introduction.project_id is not None:
            project = await bot.projects.get(introduction.project_id)
            allowed = set(project.referents) if project else set()
        if interaction.user.id not in allowed:
            raise UserError("Cette demande ne vous est pas adressée.")
        answered = await bot.introductions.answer(self.target_id, accepted=self.action == "oui", by=interaction.user.id)
        # Opening the thread takes several calls: acknowledge first, within Discord's 3 seconds.
        await interaction.response.defer()
        if self.action == "oui":
            where = await put_in_touch(bot, answered, interaction.user.id)
            text = t(interaction, "Mise en lien acceptée : {ou}", ou=where)
        else:
            requester = await bot.households.get(answered.requester_id)
            await send_dm(
                bot,
                answered.requester_id,
                content=gettext(
                    "Votre demande de mise en lien n'a pas abouti cette fois-ci. D'autres suggestions vous attendent : "
                    "/mise-en-lien suggestions.",
                    requester.locale if requester else None,
                ),
            )
            text = t(interaction, "Demande déclinée. Ce foyer ne vous sera plus proposé.")
        await interaction.edit_original_response(content=text, view=None)


async def put_in_touch(bot: HabitatBot, introduction: Introduction, accepter_id: int) -> str:
    """A private thread with both in the server's introductions channel; or each gets the other's name."""
    requester, other = introduction.requester_id, accepter_id
    settings = await bot.guild_settings.get(introduction.guild_id or 0)
    channel = bot.get_channel(settings.matching_channel_id or 0)
    if isinstance(channel, discord.TextChannel):
        try:
            thread = await channel.create_thread(
                name="Mise en lien", type=discord.ChannelType.private_thread, invitable=False
            )
            for user_id in (requester, other):
                await thread.add_user(discord.Object(user_id))
            await thread.send(
                f"<@{requester}> <@{other}> "
                + gettext("vous avez tous deux accepté d'être mis en lien : à vous la parole !", None),
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(requester), discord.Object(other)]),
            )
            await bot.introductions.set_thread(introduction.id, thread.id)
            return thread.mention
        except discord.HTTPException as error:
            log.warning("fil de mise en lien impossible : %s", error)
    for user_id, contact in ((requester, other), (other, requester)):
        await send_dm(
            bot, user_id, content=gettext("Mise en lien acceptée : écrivez à <@{id}> sur Discord.", None, id=contact)
        )
    return gettext("par message privé", None)


@app_commands.guild_only()
class Matching(
    commands.GroupCog, group_name="mise-en-lien", group_description="Rencontrer des foyers et des projets qui recrutent"
):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnswerButton)

    @app_commands.command(name="suggestions", description="Les foyers et projets qui vous correspondent, et pourquoi")
    async def suggestions(self, interaction: discord.Interaction[Any]) -> None:
        profile = await self.bot.households.get(interaction.user.id)
        if profile is None or not profile.complete:
            raise UserError("Présentez d'abord votre foyer : /presentation creer.")
        if profile.paused:
            raise UserError("Votre présentation est en pause : /mise-en-lien reprendre.")
        households, projects = await self.bot.suggestions.for_profile(profile)
        profiles = {p.user_id: p for p in await self.bot.households.get_many([s.target_id for s in households])}
        records = {p.id: p for p in await self.bot.projects.get_many([s.target_id for s in projects])}
        await self.bot.households.seen(
            profile.user_id, households=[s.target_id for s in households], projects=[s.target_id for s in projects]
        )
        embed = suggestions_embed(interaction, households, profiles, projects, records)
        if not households and not projects:
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        view = SuggestionsView(interaction, households, projects, {p.id: p.nom for p in records.values()})
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="foyers", description="Les foyers qui pourraient rejoindre votre projet (référents)")
    @app_commands.describe(projet="Le projet dont vous êtes référent")
    async def foyers(self, interaction: discord.Interaction[Any], projet: str) -> None:
        project = await self.bot.projects.get(int(projet)) if projet.isdigit() else None
        if project is None or interaction.user.id not in project.referents:
            raise UserError("Seuls les référents du projet peuvent faire cela.")
        households = await self.bot.suggestions.for_project(project, interaction.user.id)
        profiles = {p.user_id: p for p in await self.bot.households.get_many([s.target_id for s in households])}
        embed = suggestions_embed(interaction, households, profiles, [], {})
        embed.title = t(interaction, "Foyers pour « {projet} »", projet=project.nom)[:256]
        if not households:
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return

        async def pick(picked: discord.Interaction[Any], _: str, household: int) -> None:
            await propose_as_project(picked, project, household)

        view = SuggestionsView(interaction, households, [], {}, on_pick=pick)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @foyers.autocomplete("projet")
    async def _own_projects(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self.bot.projects.names_like(current, user_id=interaction.user.id)
        return [app_commands.Choice(name=f"{nom} — {commune}"[:100], value=str(pid)) for pid, nom, commune in found]

    @app_commands.command(name="pause", description="Ne plus recevoir le récapitulatif hebdomadaire des suggestions")
    async def pause(self, interaction: discord.Interaction[Any]) -> None:
        await self._digest(interaction, False)

    @app_commands.command(name="reprendre", description="Recevoir de nouveau les suggestions chaque semaine")
    async def reprendre(self, interaction: discord.Interaction[Any]) -> None:
        await self._digest(interaction, True)

    async def _digest(self, interaction: discord.Interaction[Any], enabled: bool) -> None:
        if await self.bot.households.get(interaction.user.id) is None:
            raise UserError("Présentez d'abord votre foyer : /presentation creer.")
        await self.bot.households.set_flags(interaction.user.id, digest=enabled, paused=False if enabled else None)
        text = "Récapitulatif hebdomadaire réactivé." if enabled else "Plus de récapitulatif hebdomadaire."
        await reply(interaction, t(interaction, text))


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Matching(bot))
