"""The resource centre's flows, each from start to end: proposing (with a file the bot keeps), the
moderators' verdict, searching and reading, the resources of a step of the framework, and CSV in and out.

What the bot says on its own (the card in the moderation queue, the verdict to the proposer) is a
ledger row written in the transaction of the change that causes it, and written out at send time."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.clock import Clock
from bot.errors import Text, UserError, invalid
from bot.guild_settings import GuildSettingsStore
from bot.i18n import gettext
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.projects.csvfile import ImportError_
from bot.projects.models import ImportReport
from bot.resources.centre_cards import moderation_card
from bot.resources.csvfile import parse_csv, to_csv
from bot.resources.models import (
    FILE_MAX_BYTES,
    REASON_MAX,
    Post,
    Resource,
    ResourceDraft,
    ResourceFacts,
    ResourceFilters,
    ResourceStatus,
    StoredFile,
    Submitted,
    Verdict,
)
from bot.resources.store import ResourceStore
from bot.text import fold, typed_id
from bot.vocabulary import Etape, Pas, Volet

MODERATION = "resource.moderation"  # the card in a server's moderation queue
VERDICT = "resource.verdict"  # published / refused: to who proposed it
EXPORT_BATCH = 500

VERDICTS = {
    Verdict.published: "✅ Votre ressource « {titre} » est publiée dans le centre de ressources.",
    Verdict.refused: "❌ Votre ressource « {titre} » n'a pas été retenue. Raison : {raison}",
}


def about(resource_id: int) -> str:
    return subject("resource", resource_id)


class ResourceService:
    def __init__(self, store: ResourceStore, settings: GuildSettingsStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.db = store.db
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        outbox.register(MODERATION, Kind(self._render_card))
        outbox.register(VERDICT, Kind(self._render_verdict))

    # ----------------------------------------------------------------- reading

    async def search(self, filters: ResourceFilters) -> list[int]:
        return await self.store.search(filters)

    async def resources(self, ids: Sequence[int]) -> list[Resource]:
        """A page of results: the resources of these ids, in their order."""
        return await self.store.get_many(ids)

    async def titles(self, typed: str, *, viewer_id: int, moderator: bool) -> list[tuple[int, str]]:
        return await self.store.titles(typed, viewer_id=viewer_id, moderator=moderator)

    async def record(self, which: str, *, viewer_id: int, moderator: bool) -> tuple[Resource, StoredFile | None]:
        """A resource as an option names it (its id from the autocomplete, or its exact title) with its
        file; a waiting one only for who proposed it and the moderators, as if it did not exist."""
        number = typed_id(which)
        resource = await self.store.get(number) if number is not None else None
        if resource is None:
            resource = await self.store.by_title(which)
        if resource is None or not resource.visible_to(viewer_id, moderator):
            raise UserError(
                "Je ne trouve pas la ressource « {ressource} » : choisissez-la dans la liste proposée.",
                ressource=which,
            )
        return resource, await self.store.file(resource.id) if resource.fichier else None

    async def for_step(self, strand: Volet, step: Pas | None, phase: Etape | None, limit: int = 3) -> list[Resource]:
        """Published resources of this step of the framework first, then of the strand in this phase,
        then about the whole strand: what a diagnostic's card points to."""
        return await self.store.get_many(await self.store.for_step(strand, step, phase, limit))

    # ----------------------------------------------------------------- proposing

    def facts(self, options: Mapping[str, Any], *, file_size: int | None) -> ResourceFacts:
        """The command's options and the attached file's size, checked before the form opens."""
        try:
            facts = ResourceFacts.model_validate(options)
        except ValidationError as error:
            raise invalid(error, ResourceFacts) from None
        if file_size is not None:
            check_size(file_size)
        elif facts.lien is None:
            raise UserError("Donnez un lien (option « lien ») ou joignez un fichier (option « fichier »).")
        return facts

    async def propose(
        self, draft: ResourceDraft, *, file: StoredFile | None, proposer_id: int, guild_id: int | None, locale: str
    ) -> Submitted:
        """A new resource waits for a moderator, its file kept by the bot; its card goes to the server's
        moderation queue."""
        if file is not None:
            check_size(len(file.data))
        elif draft.lien is None:
            raise UserError("Donnez un lien (option « lien ») ou joignez un fichier (option « fichier »).")
        async with self.db.transaction():
            resource = await self.store.propose(
                draft, file=file, proposer_id=proposer_id, guild_id=guild_id, locale=locale
            )
            queued = False
            channel_id = (await self.settings.get(guild_id)).modqueue_channel_id if guild_id else None
            if channel_id is not None:
                await self.outbox.store.put(
                    MODERATION, Target.channel, channel_id, guild_id=guild_id, about=about(resource.id),
                    payload={"resource": resource.id},
                )  # fmt: skip
                queued = True
        self.outbox.nudge()
        return Submitted(resource, queued)

    # ----------------------------------------------------------------- moderation

    async def publish(self, resource_id: int) -> Resource:
        """A moderator publishes a waiting resource; who proposed it is told."""
        return await self._settle(resource_id, ResourceStatus.publie, Verdict.published, "")

    async def refuse(self, resource_id: int, reason: str) -> Resource:
        """A moderator refuses a waiting resource, with a reason sent to who proposed it."""
        reason = reason.strip()
        if not reason or len(reason) > REASON_MAX:
            raise UserError("La raison tient en 1 à {max} caractères.", max=REASON_MAX)
        return await self._settle(resource_id, ResourceStatus.refuse, Verdict.refused, reason)

    async def _settle(self, resource_id: int, statut: ResourceStatus, verdict: Verdict, reason: str) -> Resource:
        async with self.db.transaction():
            if not await self.store.settle(resource_id, statut):
                await self.store.must_get(resource_id)
                raise UserError("Cette ressource a déjà été traitée.")
            resource = await self.store.must_get(resource_id)
            if resource.proposed_by is not None:
                await self.outbox.store.put(
                    VERDICT, Target.dm, resource.proposed_by, guild_id=resource.guild_id, locale=resource.locale,
                    about=about(resource.id), payload={"verdict": verdict.value, "reason": reason},
                )  # fmt: skip
        self.outbox.nudge()
        return resource

    async def posted(self, resource_id: int, post: Post) -> None:
        """The resource's post in a server's resources forum, to find it again."""
        await self.store.set_post(resource_id, post)

    async def posts(self, resource_id: int) -> list[Post]:
        return await self.store.posts(resource_id)

    async def file(self, resource_id: int) -> StoredFile | None:
        return await self.store.file(resource_id)

    # ----------------------------------------------------------------- CSV in and out

    async def import_csv(self, text: str) -> ImportReport:
        """Every row checked before anything is written (ImportError_ names the bad ones); a row without
        a link must name a resource the bot already keeps a file for. Importing again changes nothing."""
        rows = await asyncio.to_thread(parse_csv, text)
        kept = await self.store.with_files([draft.titre for _, draft, name in rows if draft.lien is None and name])
        problems = [
            (line, Text("ni lien ni fichier déjà gardé par le bot"))
            for line, draft, _ in rows
            if draft.lien is None and fold(draft.titre) not in kept
        ]
        if problems:
            raise ImportError_(problems)
        return await self.store.import_drafts([draft for _, draft, _ in rows])

    async def export_csv(self) -> tuple[str, int]:
        """CSV (the import format) of every published resource, and how many."""
        ids = await self.store.published_ids()
        resources: list[Resource] = []
        for start in range(0, len(ids), EXPORT_BATCH):
            resources += await self.store.get_many(ids[start : start + EXPORT_BATCH])
        return await asyncio.to_thread(to_csv, resources), len(resources)

    # ----------------------------------------------------------------- written at send time

    async def _subject(self, letter: Letter) -> Resource:
        resource = await self.store.get(int(letter.subject.split(":")[1])) if letter.subject else None
        if resource is None:
            raise Skip(Status.cancelled, "ressource supprimée")
        return resource

    async def _render_card(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        resource = await self._subject(letter)
        if resource.statut is not ResourceStatus.en_attente:
            raise Skip(Status.cancelled, "déjà traitée")
        return moderation_card(resource)

    async def _render_verdict(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        resource = await self._subject(letter)
        verdict = Verdict(letter.payload["verdict"])
        text = gettext(VERDICTS[verdict], letter.locale, titre=resource.titre, raison=letter.payload["reason"])
        return Outgoing(content=text)


def check_size(size: int) -> None:
    if size <= 0:
        raise UserError("Le fichier est vide.")
    if size > FILE_MAX_BYTES:
        raise UserError(
            "Fichier trop gros : {mo} Mo au plus. Déposez-le ailleurs et donnez son lien.",
            mo=FILE_MAX_BYTES // 2**20,
        )
