"""Projects' flows that run on their own: records kept alive by asking their référents, once a year,
whether they still hold (and every six months whether they still recruit)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import Clock
from bot.i18n import gettext
from bot.notify import Button, Delivery, Notifier, Outgoing
from bot.outbox import Outbox
from bot.projects.models import Project
from bot.projects.store import ProjectStore


class ProjectNudgeService:
    """The scheduler's round that keeps records alive: the référents of a stale record are asked,
    once per confirmation, whether it still holds (claim, send with a nonce, mark)."""

    def __init__(self, store: ProjectStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock

    @property
    def notifier(self) -> Notifier:
        return self.outbox.notifier

    async def next_due(self) -> datetime | None:
        return await self.store.next_nudge_due()

    async def run_due(self) -> int:
        sent = 0
        for nudge in await self.store.due_nudges(self.clock()):
            if not await self.store.claim_nudge(nudge.id, self.clock()):
                continue
            project = await self.store.get(nudge.project_id)
            if project is not None:
                message = nudge_message(project, nudge.kind)
                for referent in project.referents:
                    # Closed DMs are noted in the log and not retried: the record shows "non confirmé".
                    delivery = await self.notifier.dm(referent, message, nonce=f"nudge-{nudge.id}")
                    sent += delivery is Delivery.SENT
            await self.store.mark_nudge_sent(nudge.id, self.clock())
        return sent


def nudge_message(project: Project, kind: str) -> Outgoing:
    extra: tuple[Button, ...] = ()
    if kind == "recrute":
        text = gettext(
            "Votre projet « {nom} » indique depuis plus de six mois qu'il cherche de nouveaux foyers. "
            "Est-ce toujours le cas ?",
            None,
            nom=project.nom,
        )
        extra = (Button(gettext("Nous ne recrutons plus", None), f"projet:recrute-non:{project.id}"),)
    else:
        text = gettext(
            "La fiche de votre projet « {nom} » n'a pas été confirmée depuis un an. Est-elle toujours d'actualité ?",
            None,
            nom=project.nom,
        )
    return Outgoing(
        content=text,
        buttons=(
            Button(gettext("Toujours d'actualité", None), f"projet:ok:{project.id}", "success"),
            *extra,
            Button(gettext("Mettre à jour", None), f"projet:maj:{project.id}", "primary"),
        ),
    )
