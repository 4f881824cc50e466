"""Suggestions for a household, from the stores through the pure scoring of bot/households/matching.py, and the
rounds that keep matching alive: the weekly digest of new suggestions, the yearly "does your
introduction still hold?" (then a pause), and the expiry of unanswered requests."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.households.matching import Suggestion, ranked, score_project, suggest
from bot.households.models import HouseholdProfile
from bot.households.store import HouseholdStore, IntroductionStore
from bot.i18n import gettext
from bot.notify import Button, Delivery, Notifier, Outgoing
from bot.outbox import Outbox
from bot.projects.models import Project
from bot.projects.store import ProjectStore

log = logging.getLogger(__name__)

DIGEST_EVERY = timedelta(days=7)
SUGGESTIONS = 5


class SuggestionService:
    def __init__(
        self,
        households: HouseholdStore,
        introductions: IntroductionStore,
        projects: ProjectStore,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self.households = households
        self.introductions = introductions
        self.projects = projects
        self.outbox = outbox
        self.clock = clock

    @property
    def notifier(self) -> Notifier:
        return self.outbox.notifier

    async def for_profile(
        self, profile: HouseholdProfile, limit: int = SUGGESTIONS
    ) -> tuple[list[Suggestion], list[Suggestion]]:
        others = await self.households.candidate_households(profile)
        projects = await self.projects.get_many(await self.households.candidate_project_ids(profile))
        return suggest(profile, others, projects, limit)

    async def for_project(self, project: Project, asker_id: int, limit: int = SUGGESTIONS) -> list[Suggestion]:
        """Households that let projects see them and that this project suits (the household's own hard
        limits apply: its area, tenure and stage)."""
        households = await self.households.households_for_project(
            project.departement, project.lat, project.lon, asker_id
        )
        scored = ((household, score_project(household, project)) for household in households)
        # Seen from the project, each suggestion names the household.
        return ranked(
            (replace(s, kind="foyer", target_id=household.user_id) for household, s in scored if s is not None), limit
        )

    # ----------------------------------------------------------------- the scheduler's rounds

    async def next_due(self) -> datetime | None:
        return await self.households.next_digest_due(DIGEST_EVERY)

    async def run_due(self) -> int:
        now = self.clock()
        await self.introductions.expire(now)
        done = await self._nudge_stale(now)
        for user_id in await self.households.digest_due(now, DIGEST_EVERY):
            if not await self.households.claim_digest(user_id, now, DIGEST_EVERY):
                continue
            profile = await self.households.get(user_id)
            if profile is None:
                continue
            households, projects = await self.for_profile(profile)
            fresh = await self.households.seen(
                user_id, households=[s.target_id for s in households], projects=[s.target_id for s in projects]
            )
            if not fresh:
                continue
            message = Outgoing(
                content=gettext(
                    "🏡 {n} nouvelle(s) suggestion(s) de mise en lien cette semaine : tapez /mise-en-lien "
                    "suggestions pour les voir. (/mise-en-lien pause pour ne plus recevoir ce message.)",
                    profile.locale,
                    n=len(fresh),
                )
            )
            delivery = await self.notifier.dm(user_id, message, nonce=f"digest-{int(now.timestamp()) // 60}")
            done += delivery is Delivery.SENT
        return done

    async def _nudge_stale(self, now: datetime) -> int:
        ask, pause = await self.households.stale(now)
        for user_id in pause:
            await self.households.set_flags(user_id, paused=True)
            log.info("présentation %s mise en pause faute de réponse", user_id)
        sent = 0
        for user_id in ask:
            if not await self.households.mark_nudged(user_id, now):
                continue
            profile = await self.households.get(user_id)
            locale = profile.locale if profile else "fr"
            message = Outgoing(
                content=gettext(
                    "Votre présentation de foyer a un an. Est-elle toujours d'actualité ? Sans réponse d'ici un mois, "
                    "elle sera mise en pause (plus proposée à personne).",
                    locale,
                ),
                buttons=(
                    Button(gettext("Toujours d'actualité", locale), f"foyer:ok:{user_id}", "success"),
                    Button(gettext("Mettre en pause", locale), f"foyer:pause:{user_id}", "secondary"),
                ),
            )
            delivery = await self.notifier.dm(user_id, message, nonce=f"foyer-{int(now.timestamp()) // 86400}")
            sent += delivery is Delivery.SENT
        return sent
