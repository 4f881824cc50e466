"""The facilitator form (registration and edit), the moderation card's buttons and the yearly
question's buttons. A refused form comes back as typed (« Reprendre », cogs/ui/views.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, ClassVar

import discord

from bot.client import bot_of
from bot.errors import UserError
from bot.limits import EMBED_FOOTER, INPUT_LABEL, MODAL_TITLE, SELECT_LABEL, clip
from bot.resources.facilitators.messages import moderation_card
from bot.resources.facilitators.models import (
    NAME_MAX,
    REASON_MAX,
    ZONE_MAX,
    Facilitator,
    FacilitatorDraft,
    FacilitatorFacts,
    Submitted,
)
from bot.resources.facilitators.zone import zone_typed
from bot.vocabulary import Etape, Expertise, Posture
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.notifier import render
from cogs.ui.project_forms import moderates
from cogs.ui.text import reply, t, tl
from cogs.ui.transformers import server_zone
from cogs.ui.views import HabitatModal, TextModal

OnDraft = Callable[[discord.Interaction[Any], FacilitatorDraft], Awaitable[None]]


class FacilitatorModal(HabitatModal):
    """Name, area, expertises, phases and stances; the rest (base commune, kind of structure, support,
    site, contact) comes from the command's options, already checked."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        facts: FacilitatorFacts,
        on_draft: OnDraft,
        current: Facilitator | None = None,
    ) -> None:
        title = t(interaction, "Modifier la structure") if current else t(interaction, "Inscrire une structure")
        super().__init__(title=clip(title, MODAL_TITLE), timeout=1800)
        self.facts = facts
        self.on_draft = on_draft
        geo = bot_of(interaction).geo
        self.nom: discord.ui.TextInput[FacilitatorModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Nom de la structure"), INPUT_LABEL),
            custom_id="accomp-nom",
            min_length=2,
            max_length=NAME_MAX,
            default=current.nom if current else None,
        )
        self.zone: discord.ui.TextInput[FacilitatorModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Territoire couvert"), INPUT_LABEL),
            custom_id="accomp-zone",
            max_length=ZONE_MAX,
            required=False,
            default=zone_typed(current.zone, geo) if current else None,
            placeholder=t(interaction, "Départements, régions ou communes : 63, Allier, Vichy…"),
        )
        self.expertises = self._choices(interaction, Expertise, current.expertises if current else (), required=True)
        self.etapes = self._choices(interaction, Etape, current.etapes if current else (), required=True)
        self.postures = self._choices(interaction, Posture, current.postures if current else (), required=False)
        for select, name in ((self.expertises, "expertises"), (self.etapes, "etapes"), (self.postures, "postures")):
            select.custom_id = f"accomp-{name}"
        self.add_item(self.nom)
        self.add_item(self.zone)
        for name, select in (
            ("Expertises", self.expertises),
            ("Phases accompagnées", self.etapes),
            ("Postures", self.postures),
        ):
            self.add_item(discord.ui.Label(text=clip(t(interaction, name), INPUT_LABEL), component=select))

    @staticmethod
    def _choices(
        interaction: discord.Interaction[Any], kind: type[StrEnum], chosen: Any, *, required: bool
    ) -> discord.ui.Select[FacilitatorModal]:
        return discord.ui.Select(
            options=[
                discord.SelectOption(label=clip(tl(interaction, v), SELECT_LABEL), value=v.value, default=v in chosen)
                for v in kind
            ],
            min_values=1 if required else 0,
            max_values=len(kind),
            required=required,
        )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        typed = {
            "nom": self.nom.value,
            "zone": self.zone.value,
            "expertises": self.expertises.values,
            "etapes": self.etapes.values,
            "postures": self.postures.values,
        }
        draft = bot_of(interaction).core.facilitators.draft(self.facts, typed)
        await self.on_draft(interaction, draft)


def registration_form(interaction: discord.Interaction[Any], facts: FacilitatorFacts) -> FacilitatorModal:
    async def save(submitted: discord.Interaction[Any], draft: FacilitatorDraft) -> None:
        outcome = await bot_of(submitted).core.facilitators.register(
            draft, proposer_id=submitted.user.id, guild_id=submitted.guild_id, locale=submitted.locale.value
        )
        await reply(submitted, registered_answer(submitted, outcome))

    return FacilitatorModal(interaction, facts, save)


def registered_answer(interaction: discord.Interaction[Any], outcome: Submitted) -> str:
    if outcome.queued:
        return t(
            interaction,
            "Merci ! « {nom} » attend la validation d'un modérateur ; vous en serez prévenu·e en message privé.",
            nom=outcome.facilitator.nom,
        )
    return t(
        interaction,
        "« {nom} » est enregistré et attend une validation, mais ce serveur "
        "n'a pas de salon de modération : prévenez un administrateur (/config salons).",
        nom=outcome.facilitator.nom,
    )


async def open_edit_form(interaction: discord.Interaction[Any], which: str, changes: dict[str, Any]) -> None:
    """The edit form of a record, its options changed by the command's; for its members and moderators."""
    service = bot_of(interaction).core.facilitators
    moderator = await moderates(interaction)
    current = await service.editable(which, user_id=interaction.user.id, moderator=moderator)
    facts = service.facts(current.facts.model_dump() | changes)

    async def save(submitted: discord.Interaction[Any], draft: FacilitatorDraft) -> None:
        updated = await service.edit(
            current.id, draft, editor_id=submitted.user.id, moderator=moderator, locale=submitted.locale.value
        )
        await reply(submitted, t(submitted, "Fiche de « {nom} » mise à jour.", nom=updated.nom))

    await interaction.response.send_modal(FacilitatorModal(interaction, facts, save, current))


# ---------------------------------------------------------------------- moderation


async def ensure_moderator(interaction: discord.Interaction[Any]) -> None:
    if not await moderates(interaction):
        raise UserError("Seuls les modérateurs peuvent valider les structures d'accompagnement.")


async def settle(interaction: discord.Interaction[Any], before: Facilitator, footer: str, ok: bool) -> None:
    """The card as it was, without its buttons, saying who settled it and how."""
    service = bot_of(interaction).core.facilitators
    card = moderation_card(before, service.zone_text(before.zone), await server_zone(interaction))
    embed: discord.Embed = render(card)["embed"]
    embed.colour = discord.Colour.green() if ok else discord.Colour.red()
    embed.set_footer(text=clip(footer, EMBED_FOOTER))
    await interaction.response.edit_message(embed=embed, view=None)


class ModerationButton(ActionButton, template=r"accomp:(?P<action>publier|refuser):(?P<id>\d+)"):
    """Publier / Refuser under a structure waiting in the moderation queue."""

    PREFIX = "accomp"
    LABELS: ClassVar[dict[str, str]] = {"publier": "Publier", "refuser": "Refuser"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "publier": discord.ButtonStyle.success,
        "refuser": discord.ButtonStyle.danger,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_moderator(interaction)
        service = bot_of(interaction).core.facilitators
        if self.action == "publier":
            before = await service.publish(self.target_id)
            await settle(
                interaction, before, t(interaction, "Publié par {nom}", nom=interaction.user.display_name), True
            )
            return
        facilitator_id = self.target_id

        async def refuse(submitted: discord.Interaction[Any], reason: str) -> None:
            await ensure_moderator(submitted)
            before = await service.refuse(facilitator_id, reason)
            footer = t(submitted, "Refusé par {nom} : {raison}", nom=submitted.user.display_name, raison=reason)
            await settle(submitted, before, footer, False)

        modal = TextModal(
            interaction, title="Refuser", label="Raison (envoyée à la personne)", on_text=refuse, max_length=REASON_MAX
        )
        await interaction.response.send_modal(modal)


class NudgeButton(ActionButton, template=r"accomp:(?P<action>ok|maj):(?P<id>\d+)"):
    """The buttons of the yearly question to a structure's members."""

    PREFIX = "accomp"
    LABELS: ClassVar[dict[str, str]] = {"ok": "Toujours exacte", "maj": "Mettre à jour"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "ok": discord.ButtonStyle.success,
        "maj": discord.ButtonStyle.primary,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.action == "maj":
            await open_edit_form(interaction, str(self.target_id), {})
            return
        found = await bot_of(interaction).core.facilitators.confirm(
            self.target_id, interaction.user.id, locale=interaction.locale.value
        )
        done = t(interaction, "Merci ! La fiche de « {nom} » est confirmée.", nom=found.nom)
        await interaction.response.edit_message(content=done, view=None, embed=None)
