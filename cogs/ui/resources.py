"""How the resource centre looks on Discord: the proposal form, the card of a resource (with its file),
pages of results with a menu to open one, and the forum post of a published resource."""

from __future__ import annotations

import io
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from pydantic import ValidationError

from bot.client import HabitatBot, bot_of
from bot.errors import UserError, invalid
from bot.limits import (
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    INPUT_LABEL,
    MODAL_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    clip,
)
from bot.resources.centre_cards import card_lines
from bot.resources.models import (
    AUTHOR_MAX,
    SUMMARY_MAX,
    SUMMARY_MIN,
    TITLE_MAX,
    TITLE_MIN,
    Resource,
    ResourceDraft,
    ResourceFacts,
    StoredFile,
)
from bot.vocabulary import Destinataire
from cogs.ui.paginator import Paginator
from cogs.ui.project_forms import moderates
from cogs.ui.text import reply, t, tl, tn
from cogs.ui.views import HabitatModal

COLOUR = discord.Colour.from_rgb(0, 105, 92)
PER_PAGE = 5
SNIPPET = 160
DATE_LABEL = "Date (AAAA, AAAA-MM ou AAAA-MM-JJ)"

OnDraft = Callable[[discord.Interaction[Any], ResourceDraft], Awaitable[None]]


# ---------------------------------------------------------------------- the proposal form


class ResourceModal(HabitatModal):
    """The free text of a resource (title, summary, author, date) and whom it is for; the rest comes
    from the command's options, already checked. A refusal comes with « Reprendre » (HabitatModal)."""

    def __init__(self, interaction: discord.Interaction[Any], facts: ResourceFacts, on_draft: OnDraft) -> None:
        super().__init__(title=clip(t(interaction, "Proposer une ressource"), MODAL_TITLE), timeout=1800)
        self.facts = facts
        self.on_draft = on_draft
        self.titre: discord.ui.TextInput[ResourceModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Titre"), INPUT_LABEL), min_length=TITLE_MIN, max_length=TITLE_MAX
        )
        self.resume: discord.ui.TextInput[ResourceModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Résumé"), INPUT_LABEL),
            style=discord.TextStyle.paragraph,
            min_length=SUMMARY_MIN,
            max_length=SUMMARY_MAX,
            placeholder=t(interaction, "Ce que contient le document, à qui il sert…"),
        )
        self.auteur: discord.ui.TextInput[ResourceModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Auteur ou source"), INPUT_LABEL), min_length=2, max_length=AUTHOR_MAX
        )
        self.date: discord.ui.TextInput[ResourceModal] = discord.ui.TextInput(
            label=clip(t(interaction, DATE_LABEL), INPUT_LABEL), max_length=10, required=False
        )
        self.destinataires: discord.ui.Select[ResourceModal] = discord.ui.Select(
            options=[
                discord.SelectOption(label=clip(tl(interaction, d), SELECT_LABEL), value=d.value) for d in Destinataire
            ],
            min_values=0,
            max_values=len(Destinataire),
            required=False,
        )
        for item in (self.titre, self.resume, self.auteur, self.date):
            self.add_item(item)
        self.add_item(
            discord.ui.Label(text=clip(t(interaction, "Pour qui"), INPUT_LABEL), component=self.destinataires)
        )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        try:
            draft = ResourceDraft(
                **self.facts.model_dump(),
                titre=self.titre.value,
                resume=self.resume.value,
                auteur=self.auteur.value,
                date=self.date.value,
                destinataires=frozenset(Destinataire(v) for v in self.destinataires.values),
            )
        except ValidationError as error:
            raise invalid(error, ResourceDraft) from None
        await self.on_draft(interaction, draft)


async def read_attachment(attachment: discord.Attachment) -> StoredFile:
    """The attached file's bytes, read while Discord's address still answers."""
    try:
        data = await attachment.read()
    except discord.HTTPException:
        raise UserError("Je n'ai pas pu lire le fichier joint : proposez la ressource de nouveau.") from None
    return StoredFile(attachment.filename, attachment.content_type or "application/octet-stream", data)


def as_file(stored: StoredFile) -> discord.File:
    return discord.File(io.BytesIO(stored.data), filename=stored.filename)


# ---------------------------------------------------------------------- a resource's card


def resource_embed(interaction: discord.Interaction[Any], resource: Resource) -> discord.Embed:
    description = clip("\n".join(card_lines(resource, interaction.locale.value)), EMBED_DESCRIPTION)
    embed = discord.Embed(title=clip(resource.titre, EMBED_TITLE), colour=COLOUR, description=description)
    if not resource.published:
        embed.set_footer(text=t(interaction, "En attente de validation"))
    return embed


async def show_resource(interaction: discord.Interaction[Any], which: str) -> None:
    """The resource's card, for the member alone, with its file attached when the bot keeps one."""
    moderator = await moderates(interaction)
    resource, stored = await bot_of(interaction).core.resources.record(
        which, viewer_id=interaction.user.id, moderator=moderator
    )
    files = [as_file(stored)] if stored is not None else []
    await interaction.response.send_message(embed=resource_embed(interaction, resource), files=files, ephemeral=True)


# ---------------------------------------------------------------------- search results


def result_block(interaction: discord.Interaction[Any], resource: Resource) -> str:
    facts = [tl(interaction, resource.theme), tl(interaction, resource.type)]
    if resource.etape is not None:
        facts.append(tl(interaction, resource.etape))
    if resource.exemple:
        facts.append(t(interaction, "exemple, pas un modèle"))
    if resource.fichier is not None:
        facts.append("📎 " + t(interaction, "fichier"))
    lines = [" · ".join(facts), clip(" ".join(resource.resume.split()), SNIPPET)]
    return clip("\n".join(lines), EMBED_FIELD_VALUE)


class ResultsView(Paginator):
    """Pages of five resources, and a menu to open one of the page's."""

    def __init__(self, interaction: discord.Interaction[Any], bot: HabitatBot, ids: Sequence[int]) -> None:
        self.bot = bot
        self.ids = list(ids)
        self.asker = interaction
        super().__init__(interaction.user.id, max(1, math.ceil(len(ids) / PER_PAGE)), self._render)
        self.opener: discord.ui.Select[ResultsView] = discord.ui.Select(
            placeholder=t(interaction, "Ouvrir une ressource"), row=0
        )
        self.opener.callback = self._open  # type: ignore[method-assign]
        self.add_item(self.opener)

    async def _render(self, index: int) -> discord.Embed:
        page = await self.bot.core.resources.resources(self.ids[index * PER_PAGE : (index + 1) * PER_PAGE])
        self.opener.options = [
            discord.SelectOption(
                label=clip(r.titre, SELECT_LABEL),
                value=str(r.id),
                description=clip(r.auteur, SELECT_DESCRIPTION),
            )
            for r in page
        ]
        embed = discord.Embed(title=t(self.asker, "Centre de ressources"), colour=COLOUR)
        embed.description = tn(self.asker, "{n} ressource trouvée", "{n} ressources trouvées", len(self.ids))
        for number, resource in enumerate(page, start=index * PER_PAGE + 1):
            name = clip(f"{number}. {resource.titre}", EMBED_FIELD_NAME)
            embed.add_field(name=name, value=result_block(self.asker, resource), inline=False)
        return embed

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Anyone may open a resource from the menu; only the asker turns the pages.
        if interaction.data and interaction.data.get("component_type") == 3:
            return True
        return await super().interaction_check(interaction)

    async def _open(self, interaction: discord.Interaction[Any]) -> None:
        await show_resource(interaction, self.opener.values[0])


# ---------------------------------------------------------------------- the forum post


def post_content(resource: Resource) -> str:
    """A published resource as its forum post reads (in French, the forum's language)."""
    return clip("\n".join(card_lines(resource, None)), CONTENT)


async def answer_proposal(interaction: discord.Interaction[Any], titre: str, queued: bool) -> None:
    if queued:
        message = t(
            interaction,
            "Merci ! « {titre} » attend la validation d'un modérateur ; vous en serez prévenu·e en message privé.",
            titre=titre,
        )
    else:
        message = t(
            interaction,
            "« {titre} » est enregistrée et attend une validation, mais ce serveur n'a pas de salon de "
            "modération : prévenez un administrateur (/config salons).",
            titre=titre,
        )
    await reply(interaction, message)
