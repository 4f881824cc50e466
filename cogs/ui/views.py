"""Views shared by every cog: errors reported the house way, and buttons only their owner may press."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot import limits
from bot.errors import UserError
from bot.limits import clip
from bot.projects.models import IMPORT_MAX_BYTES
from cogs.ui.errors import report_error
from cogs.ui.text import reply, t


class HabitatView(discord.ui.View):
    """A view whose errors reach the member as a clear message, never a traceback."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error)


class HabitatModal(discord.ui.Modal):
    """A modal whose errors reach the member as a clear message, never a traceback, with a « Reprendre »
    button that opens the form again as they filled it: a refusal loses nothing they typed."""

    # discord.py's Modal narrows View.on_error's signature itself; this follows Modal's.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error, view=ResumeView(interaction, self))


OnText = Callable[[discord.Interaction[Any], str], Awaitable[None]]


class TextModal(HabitatModal):
    """One paragraph to write (a message, a reason); `on_text` does the rest."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        title: str,
        label: str,
        on_text: OnText,
        min_length: int = 5,
        max_length: int = 1000,
    ) -> None:
        super().__init__(title=clip(t(interaction, title), limits.MODAL_TITLE))
        self.on_text = on_text
        self.text: discord.ui.TextInput[TextModal] = discord.ui.TextInput(
            label=clip(t(interaction, label), limits.INPUT_LABEL),
            style=discord.TextStyle.paragraph,
            min_length=min_length,
            max_length=max_length,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.on_text(interaction, self.text.value)


class OwnedView(HabitatView):
    """A view that answers only the member it was shown to; its buttons go away on timeout."""

    def __init__(self, owner_id: int, *, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await reply(interaction, t(interaction, "Ces boutons sont réservés à la personne qui a lancé la commande."))
        return False

    async def on_timeout(self) -> None:
        if self.message is not None:
            # The message may be gone, or the interaction token expired: then there is nothing to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=None)


class ResumeView(OwnedView):
    """« Reprendre » under a refused form."""

    def __init__(self, interaction: discord.Interaction[Any], modal: HabitatModal) -> None:
        super().__init__(interaction.user.id)
        self.modal = modal
        self.resume.label = clip(t(interaction, "Reprendre"), limits.BUTTON_LABEL)

    @discord.ui.button(label="Reprendre", style=discord.ButtonStyle.primary)
    async def resume(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ResumeView]) -> None:
        # discord.py kept what was submitted: as the fields' initial values, the form comes back as it was left.
        for item in self.modal.walk_children():
            if isinstance(item, discord.ui.TextInput):
                item.default = item.value or None
            elif isinstance(item, discord.ui.Select):
                for option in item.options:
                    option.default = option.value in item.values
        await interaction.response.send_modal(self.modal)


async def uploaded_csv(interaction: discord.Interaction[Any], fichier: discord.Attachment) -> str:
    """The text of a CSV a member uploaded, read once the answer is deferred (« thinking… »): a file too
    big or not in UTF-8 is refused plainly."""
    if fichier.size > IMPORT_MAX_BYTES:
        raise UserError("Fichier trop gros ({mo} Mo au plus).", mo=IMPORT_MAX_BYTES // 2**20)
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        return (await fichier.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise UserError("Le fichier n'est pas en UTF-8 : réenregistrez-le en « CSV UTF-8 ».") from None
