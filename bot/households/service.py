"""The households' flows, each from start to end: the introduction in three steps, suggestions with
their reasons, introductions with consent on both sides (a request, its answer, its lapse), the weekly
digest, the yearly "does your introduction still hold?" and the newcomers' greeting.

Every message the bot sends on its own here is a row of the ledger written in the transaction of the
change that causes it, and written at send time in the recipient's language (bot/outbox.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.changes import catch_up
from bot.clock import Clock
from bot.dates import format_day
from bot.db import Database
from bot.errors import Text, UserError, invalid
from bot.geo import Geography
from bot.guild_settings import GuildSettingsStore
from bot.households.index import Asker, MatchIndex
from bot.households.matching import Suggestion, ranked, score_households, score_project
from bot.households.models import (
    REQUEST_LIFETIME,
    STEPS,
    HouseholdMakeup,
    HouseholdProfile,
    Introduction,
    IntroductionKind,
    IntroductionStatus,
    Step,
    WhereWhen,
    parse_budget,
    parse_place,
)
from bot.households.store import HouseholdStore, IntroductionStore
from bot.i18n import gettext, ngettext
from bot.limits import EMBED_FIELD_VALUE, clip
from bot.notify import Button, Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.projects.models import Project, ProjectSummary
from bot.projects.service import ProjectService
from bot.projects.store import ProjectStore
from bot.vocabulary import label

log = logging.getLogger(__name__)

REQUEST = "introduction.request"  # to the other household, or to each référent of the project
ANSWERED = "introduction.answered"  # to the requester: where to meet, or declined
WITHDRAWN = "introduction.withdrawn"  # to the requester: the request reached nobody
LAPSED = "introduction.lapsed"  # to the requester: no answer in REQUEST_LIFETIME
DIGEST = "household.digest"
QUESTION = "household.question"
GREETING = "household.greeting"

DIGEST_EVERY = timedelta(days=7)
ASK_AGAIN_AFTER = timedelta(days=30)  # a yearly question that never reached the member is asked again
SUGGESTIONS = 5
SHORTLIST_MARGIN = 3
SHORTLIST = SUGGESTIONS + SHORTLIST_MARGIN
# Ranked from a member's own row before what they settled is read: this many more, for those to be left out.
SETTLED_ROOM = 8
# A ranking made from a member's own row in the index: the numbers it read, and the households it put first.
Early = tuple[Asker, list[int]]
CONFIRM_ROUNDS = 3  # then what was confirmed is shown: the index is only ever behind by a few changes
CHANGES_PAGE = 5_000  # changed households read at once (all of them at start)
BATCH = 20  # rows a round's step settles: a digest costs a whole suggestion search
ROOM_TITLE = "Mise en lien"


class Rooms(Protocol):
    """Where two members who both accepted meet: the Discord layer opens it (rule 1)."""

    async def open(self, channel_id: int, title: str, members: tuple[int, int], greeting: str) -> int | None:
        """A private thread in `channel_id` with both members, greeted by name; its id, or None when
        Discord refuses (the channel gone, a permission missing)."""
        ...


@dataclass(frozen=True)
class Shown:
    """Suggestions as a member sees them, with the profiles and records they name."""

    households: list[Suggestion]
    projects: list[Suggestion]
    profiles: dict[int, HouseholdProfile] = field(default_factory=dict)
    records: dict[int, ProjectSummary] = field(default_factory=dict)


@dataclass(frozen=True)
class Requested:
    """A request on its way, or, for a project with nobody on Discord, the project to contact directly."""

    introduction: Introduction | None = None
    project: Project | None = None


def public_contact(project: Project) -> str | None:
    """A project's site and contact as its record gives them (no référent needed to reach it)."""
    found = [value for value in (project.site, project.contact) if value]
    return " · ".join(found) or None


# The forms' fields (custom ids without their "foyer-" prefix) and the step fields they fill as typed.
FORM_FIELDS: dict[int, dict[str, str]] = {
    1: {"rayon": "radius_km", "horizon": "horizon", "etapes": "etapes", "milieux": "milieux"},
    2: {"adultes": "adults", "enfants": "children", "seniors": "seniors", "statuts": "statuts"},
    3: {"valeurs": "valeurs", "apports": "apports", "intro": "intro", "visibilite": "visibility"},
}


def build_step(step: int, typed: Mapping[str, Any], geo: Geography) -> Step:
    """A step's answers as typed in the form (text, or the chosen values), validated; a refusal names the
    field as the member sees it. A field left empty takes its default."""
    model = STEPS[step]
    given = {key: value for key, value in typed.items() if value not in (None, "")}
    values = {name: given[key] for key, name in FORM_FIELDS[step].items() if key in given}
    try:
        if model is WhereWhen:
            values["code_insee"], values["departements"] = parse_place(str(given.get("lieu", "")), geo)
        elif model is HouseholdMakeup:
            values["budget_min"], values["budget_max"] = parse_budget(str(given.get("budget", "")))
        else:
            values["accessibility"] = given.get("accessibilite") == "oui"
        return model.model_validate(values)
    except ValidationError as error:
        raise invalid(error, model) from None


class HouseholdService:
    def __init__(
        self,
        store: HouseholdStore,
        introductions: IntroductionStore,
        projects: ProjectStore,
        catalogue: ProjectService,
        settings: GuildSettingsStore,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self.store = store
        self.introductions = introductions
        self.projects = projects
        self.catalogue = catalogue  # whose index ranks the recruiting projects
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        self.db: Database = store.db
        self.index = MatchIndex()
        self._refreshing = asyncio.Lock()
        self.loaded = False  # every matchable household read once: until then a suggestion waits for it
        outbox.register(REQUEST, Kind(self._render_request, after=self._after_request))
        outbox.register(ANSWERED, Kind(self._render_answered, after=self._after_dm))
        outbox.register(WITHDRAWN, Kind(self._render_withdrawn, after=self._after_dm))
        outbox.register(LAPSED, Kind(self._render_lapsed, after=self._after_dm))
        outbox.register(DIGEST, Kind(self._render_digest, after=self._after_dm))
        outbox.register(QUESTION, Kind(self._render_question, after=self._after_question))
        outbox.register(GREETING, Kind(self._render_greeting, after=self._after_greeting))

    async def get(self, user_id: int) -> HouseholdProfile | None:
        return await self.store.get(user_id)

    async def _locale(self, user_id: int) -> str | None:
        """The member's stored language: their introduction's, else the network's (French)."""
        profile = await self.store.get(user_id)
        return profile.locale if profile else None

    # ----------------------------------------------------------------- newcomers

    async def greet(self, guild_id: int, user_id: int) -> None:
        """A newcomer is welcomed by DM; closed DMs, in the server's welcome channel instead."""
        async with self.db.transaction():
            await self.outbox.store.put(
                GREETING, Target.dm, user_id, guild_id=guild_id, about=subject("newcomer", user_id)
            )
        self.outbox.nudge()

    # ----------------------------------------------------------------- the introduction in three steps

    async def save_step(
        self, user_id: int, step: int, typed: Mapping[str, Any], *, guild_id: int | None, locale: str
    ) -> HouseholdProfile:
        """One step, validated then saved; the steps already saved stay as they are when it is refused."""
        validated = build_step(step, typed, self.store.geo)
        if isinstance(validated, WhereWhen):
            await self.store.save_where(user_id, validated, guild_id=guild_id, locale=locale)
        elif await self.store.get(user_id) is None:
            raise UserError("Commencez par la première étape de votre présentation.")
        elif isinstance(validated, HouseholdMakeup):
            await self.store.save_household(user_id, validated)
        else:
            await self.store.save_matters(user_id, validated)
            self.outbox.nudge()  # a complete introduction enters the weekly digests
        profile = await self.store.get(user_id)
        assert profile is not None
        return profile

    async def set_digest(self, user_id: int, enabled: bool) -> None:
        """The weekly digest stopped, or resumed (resuming also lifts a pause)."""
        if not await self.store.set_flags(user_id, digest=enabled, paused=False if enabled else None):
            raise UserError("Présentez d'abord votre foyer : /presentation creer.")
        self.outbox.nudge()

    async def still_holds(self, user_id: int, holds: bool) -> None:
        """The answer to the yearly question: kept active, or paused."""
        if not await self.store.set_flags(user_id, paused=not holds):
            raise UserError("Vous n'avez pas encore présenté votre foyer : /presentation creer.")
        self.outbox.nudge()

    # ----------------------------------------------------------------- suggestions

    async def _suggest(
        self,
        profile: HouseholdProfile,
        settled: tuple[set[int], set[int]],
        early: Early | None = None,
        fetched: Sequence[HouseholdProfile] = (),
    ) -> Shown:
        """`settled`: the households and projects `profile` already met, declined or waits on (`store.settled`);
        `early`: the households ranked first from the member's own row, if they were (`_rank_own`), and
        `fetched` those of them read with the profile."""
        settled_households, settled_projects = settled
        # One after the other: both are the indexes' work in this thread, and wait for the database only when
        # it changed under them; run as two tasks, each would wait for a turn of the loop.
        others = await self._best_households(profile, settled_households, early, fetched)
        # A few more than are shown, for the pure scoring to order.
        records = await self.catalogue.recruiting(profile, settled_projects, SHORTLIST)
        households = ranked((score_households(profile, other) for other in others), SUGGESTIONS)
        projects = ranked((score_project(profile, record) for record in records), SUGGESTIONS)
        named = {s.target_id for s in households}
        chosen = {s.target_id for s in projects}
        return Shown(
            households,
            projects,
            {p.user_id: p for p in others if p.user_id in named},
            {r.id: r for r in records if r.id in chosen},
        )

    async def refresh(self) -> None:
        """The index of matchable households brought up to date with the database (all of it, the first time:
        the bot starts it in the background once connected)."""
        async with self._refreshing:
            now = self.clock().timestamp()

            async def page() -> bool:
                rows = await self.store.changes(self.index.changes.since, self.index.changes.wanted(now), CHANGES_PAGE)
                self.index.apply(rows, now)
                return len(rows) < CHANGES_PAGE

            await catch_up(self.index.changes, self.db.change_count("household_changes"), now, page)
            self.loaded = True

    def forget(self, user_id: int) -> None:
        """An erased member leaves this process's index at once (others find them gone when confirming)."""
        self.index.drop(user_id)

    async def _rank_own(self, user_id: int) -> Early | None:
        """The households ranked first for a member from their own row in the index, before their profile is
        read (None when they have no row there: no complete profile, or the index still loading); what they
        settled is not known yet, so a few more."""
        if not self.loaded:
            return None
        await self.refresh()
        asker = self.index.asker_of(user_id)
        return None if asker is None else (asker, self.index.rank(asker, (), SHORTLIST + SETTLED_ROOM))

    async def _best_households(
        self,
        profile: HouseholdProfile,
        settled: Collection[int],
        early: Early | None,
        fetched: Sequence[HouseholdProfile],
    ) -> list[HouseholdProfile]:
        """The households the index ranks first for `profile`, every matchable one considered, as the database
        has them now: one no longer matchable (paused, erased, consent withdrawn, DMs closed) leaves the index
        and the next are taken. A few more than are shown, for the pure scoring to order (its rounding may
        part from numpy's by a hair). `early`: as `_rank_own` ranked them, to start from; `fetched`: those
        already read, as the database has them now."""
        if early is None:
            await self.refresh()  # else `_rank_own` just did
        asker = self.index.asker(profile)
        known = {other.user_id: other for other in fetched}
        found: list[HouseholdProfile] = []
        for _ in range(CONFIRM_ROUNDS):
            shortlist = self._shortlist(asker, settled, early)
            early = None
            found = [known[i] for i in shortlist if i in known]
            found += await self.store.get_many([i for i in shortlist if i not in known])
            kept = [other for other in found if open_to_households(other)]
            for gone in set(shortlist) - {other.user_id for other in kept}:
                self.index.drop(gone)
            if len(kept) == len(shortlist):
                return kept
            found = kept
        return found

    def _shortlist(self, asker: Asker | None, settled: Collection[int], early: Early | None) -> list[int]:
        """The index's first households for `asker` but the settled ones: the early ranking without them, if it
        read the same numbers as the profile (the index may not have heard yet of a change made by another
        process) and enough are left or it held them all; else a ranking now."""
        if early is not None and early[0] == asker:
            left = [user_id for user_id in early[1] if user_id not in settled]
            if len(left) >= SHORTLIST or len(early[1]) < SHORTLIST + SETTLED_ROOM:
                return left[:SHORTLIST]
        return self.index.rank(asker, settled, SHORTLIST)

    async def suggestions(self, user_id: int, show: Callable[[Shown], Awaitable[None]] | None = None) -> Shown:
        """The households and projects that suit a member, best first, each with its reasons, given to `show`
        (the member's answer); what was shown is remembered then, so that the weekly digest only brings news."""
        # Ranked from the member's own row in the index first, then a single trip to the database reads their
        # profile, what they settled and the households ranked first: a second trip would wait for the loop.
        early = await self._rank_own(user_id)
        profile, settled, fetched = await self.store.get_settled(user_id, early[1][:SHORTLIST] if early else ())
        if profile is None or not profile.complete:
            raise UserError("Présentez d'abord votre foyer : /presentation creer.")
        if profile.paused:
            raise UserError("Votre présentation est en pause : /mise-en-lien reprendre.")
        shown = await self._suggest(profile, settled, early, fetched)
        if show is not None:
            await show(shown)
        await self.store.seen(
            user_id, households=[s.target_id for s in shown.households], projects=[s.target_id for s in shown.projects]
        )
        return shown

    async def _referent_of(self, project_id: int, user_id: int) -> Project:
        project = await self.projects.get(project_id)
        if project is None or user_id not in project.referents:
            raise UserError("Seuls les référents du projet peuvent faire cela.")
        return project

    async def for_project(self, project_id: int, asker_id: int) -> tuple[Project, Shown]:
        """Households that let projects see them and that this project suits (the household's own hard
        limits apply: its area, tenure and stage), for one of its référents."""
        project = await self._referent_of(project_id, asker_id)
        households = await self.store.households_for_project(
            project.id, project.departement, project.lat, project.lon, asker_id
        )
        scored = ((household, score_project(household, project)) for household in households)
        # Seen from the project, each suggestion names the household.
        found = ranked((replace(s, kind="foyer", target_id=h.user_id) for h, s in scored if s is not None), SUGGESTIONS)
        named = {s.target_id for s in found}
        return project, Shown(found, [], {h.user_id: h for h in households if h.user_id in named})

    # ----------------------------------------------------------------- introductions with consent

    async def request(
        self, requester_id: int, *, household: int | None = None, project: int | None = None, guild_id: int | None
    ) -> Requested:
        """A household asks to meet another household, or a project: the other side is asked by DM (each
        référent of a project), and nothing is shared until it accepts."""
        requester = await self.store.get(requester_id)
        if requester is None or not requester.complete:
            raise UserError("Présentez d'abord votre foyer : /presentation creer.")
        if project is not None:
            record = await self.projects.get(project)
            if record is None or not record.published:
                raise UserError("Ce projet n'est plus dans la base.")
            if not record.referents:
                return Requested(project=record)  # nobody to ask on Discord: its public contact instead
            async with self.db.transaction():
                introduction = await self.introductions.request(
                    IntroductionKind.projet, requester_id, project_id=record.id, guild_id=guild_id
                )
                for referent in record.referents:
                    await self._put(REQUEST, referent, introduction, await self._locale(referent))
        else:
            assert household is not None
            await self._reachable_household(household, visible_to_projects=False)
            async with self.db.transaction():
                introduction = await self.introductions.request(
                    IntroductionKind.foyer, requester_id, target_user_id=household, guild_id=guild_id
                )
                await self._put(REQUEST, household, introduction, await self._locale(household))
        self.outbox.nudge()
        return Requested(introduction=introduction)

    async def propose(self, project_id: int, referent_id: int, household: int, *, guild_id: int | None) -> Introduction:
        """A project's référent asks a household that let projects see it; the household accepts or not."""
        project = await self._referent_of(project_id, referent_id)
        await self._reachable_household(household, visible_to_projects=True)
        async with self.db.transaction():
            introduction = await self.introductions.request(
                IntroductionKind.proposition,
                referent_id,
                target_user_id=household,
                project_id=project.id,
                guild_id=guild_id or project.guild_id,
            )
            await self._put(REQUEST, household, introduction, await self._locale(household))
        self.outbox.nudge()
        return introduction

    async def _reachable_household(self, user_id: int, *, visible_to_projects: bool) -> None:
        """Known at once: a household that withdrew, or whose DMs are closed, is not asked at all."""
        other = await self.store.get(user_id)
        visible = other is not None and (other.visible_projects if visible_to_projects else other.visible_households)
        if other is None or not other.complete or other.paused or not visible:
            raise UserError("Ce foyer n'est plus disponible pour une mise en lien.")
        if other.dm_closed:
            raise UserError("Ce foyer ne reçoit pas de messages privés : votre demande ne pourrait pas lui parvenir.")

    async def _addressees(self, introduction: Introduction) -> set[int]:
        if introduction.kind is IntroductionKind.projet:
            project = await self.projects.get(introduction.project_id or 0)
            return set(project.referents) if project else set()
        return {introduction.target_user_id} if introduction.target_user_id else set()

    async def answer(self, introduction_id: int, *, by: int, accepted: bool, rooms: Rooms) -> Introduction:
        """The other side answers. Accepted: a private thread with both in the server's introductions
        channel (or, without one, each is given the other's name); declined: never suggested again.
        The first answer counts; the requester is told either way."""
        introduction = await self.introductions.must_get(introduction_id)
        if by not in await self._addressees(introduction):
            raise UserError("Cette demande ne vous est pas adressée.")
        if introduction.status is not IntroductionStatus.attente or self._lapsed(introduction):
            raise UserError("Cette demande a déjà reçu une réponse, ou a expiré.")
        thread_id = None
        if accepted and introduction.guild_id is not None:
            channel_id = (await self.settings.get(introduction.guild_id)).matching_channel_id
            if channel_id is not None:
                greeting = gettext("vous avez tous deux accepté d'être mis en lien : à vous la parole !", None)
                thread_id = await rooms.open(channel_id, ROOM_TITLE, (introduction.requester_id, by), greeting)
        async with self.db.transaction():
            answered = await self.introductions.answer(introduction_id, accepted=accepted, by=by, thread_id=thread_id)
            await self.outbox.store.cancel(_about(answered), [REQUEST], reason="répondue")
            await self._put(ANSWERED, answered.requester_id, answered, await self._locale(answered.requester_id))
        self.outbox.nudge()
        return answered

    def _lapsed(self, introduction: Introduction) -> bool:
        return introduction.created_at < self.clock() - REQUEST_LIFETIME

    async def _put(self, kind: str, recipient_id: int, introduction: Introduction, locale: str | None) -> None:
        await self.outbox.store.put(
            kind,
            Target.dm,
            recipient_id,
            guild_id=introduction.guild_id,
            locale=locale,
            about=_about(introduction),
            payload={"introduction": introduction.id},
        )

    # ----------------------------------------------------------------- the scheduler's rounds

    async def next_due(self) -> datetime | None:
        moments = [
            await self.introductions.next_lapse(),
            await self.store.next_question_due(),
            await self.store.next_digest_due(DIGEST_EVERY),
        ]
        return min((m for m in moments if m is not None), default=None)

    async def run_due(self) -> int:
        """One bounded batch of each: lapses, yearly questions, pauses, digests; 0 when nothing is left."""
        now = self.clock()
        return await self._lapse(now) + await self._ask(now) + await self._pause(now) + await self._digests(now)

    async def _lapse(self, now: datetime) -> int:
        """A request unanswered after REQUEST_LIFETIME is closed, and its requester told, at once."""
        due = await self.introductions.lapse_due(now, BATCH)
        if not due:
            return 0
        async with self.db.transaction():
            for introduction in due:
                if await self.introductions.lapse(introduction.id):
                    await self.outbox.store.cancel(_about(introduction), [REQUEST], reason="sans réponse")
                    locale = await self._locale(introduction.requester_id)
                    await self._put(LAPSED, introduction.requester_id, introduction, locale)
        return len(due)

    async def _ask(self, now: datetime) -> int:
        """A year without a change: the member is asked whether the introduction still holds."""
        due = await self.store.get_many(await self.store.to_ask(now, BATCH))
        if not due:
            return 0
        async with self.db.transaction():
            for profile in due:
                if await self.store.mark_asked(profile.user_id, now):
                    await self.outbox.store.put(
                        QUESTION, Target.dm, profile.user_id, guild_id=profile.guild_id, locale=profile.locale,
                        about=subject("household", profile.user_id),
                    )  # fmt: skip
        return len(due)

    async def _pause(self, now: datetime) -> int:
        """Asked, the question delivered a month ago, no answer: the introduction is paused."""
        due = await self.store.to_pause(now, BATCH)
        if due:
            await self.store.pause_unanswered(due)
            paused = ngettext("{n} présentation mise en pause", "{n} présentations mises en pause", len(due))
            log.info("%s faute de réponse", paused)
        return len(due)

    async def _digests(self, now: datetime) -> int:
        """The week's news for each member: new suggestions since the last digest, if any."""
        settled = 0
        for profile in await self.store.get_many(await self.store.digest_due(now, DIGEST_EVERY, BATCH)):
            shown = await self._suggest(profile, await self.store.settled(profile.user_id))
            async with self.db.transaction():
                if not await self.store.digest_done(profile.user_id, now, DIGEST_EVERY):
                    continue
                fresh = await self.store.seen(
                    profile.user_id,
                    households=[s.target_id for s in shown.households],
                    projects=[s.target_id for s in shown.projects],
                )
                if fresh:
                    await self.outbox.store.put(
                        DIGEST, Target.dm, profile.user_id, guild_id=profile.guild_id, locale=profile.locale,
                        about=subject("household", profile.user_id), payload={"n": len(fresh)},
                    )  # fmt: skip
            settled += 1
        return settled

    # ----------------------------------------------------------------- the ledger: writing at send time

    async def _introduction(self, letter: Letter) -> Introduction:
        found = await self.introductions.get(int(letter.payload["introduction"]))
        if found is None:
            raise Skip(Status.cancelled, "demande effacée")
        return found

    async def _project(self, introduction: Introduction) -> Project:
        project = await self.projects.get(introduction.project_id or 0)
        if project is None:
            raise Skip(Status.cancelled, "projet effacé")
        return project

    async def _render_request(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        introduction = await self._introduction(letter)
        if introduction.status is not IntroductionStatus.attente:
            raise Skip(Status.cancelled, "demande close")
        locale = letter.locale
        buttons = (
            Button(gettext("Accepter", locale), f"intro:oui:{introduction.id}", "success"),
            Button(gettext("Décliner", locale), f"intro:non:{introduction.id}"),
        )
        if introduction.kind is IntroductionKind.proposition:
            project = await self._project(introduction)
            return Outgoing(
                content=gettext("Le projet « {projet} » aimerait vous rencontrer.", locale, projet=project.nom),
                title=f"🏡 {project.nom}",
                lines=project_card(project, locale),
                buttons=buttons,
            )
        requester = await self.store.get(introduction.requester_id)
        if requester is None:
            raise Skip(Status.cancelled, "présentation effacée")
        content = gettext("Une demande de mise en lien vous attend.", locale)
        if introduction.kind is IntroductionKind.projet:
            project = await self._project(introduction)
            content = gettext("Un foyer aimerait rejoindre votre projet « {projet} ».", locale, projet=project.nom)
        return Outgoing(
            content=content,
            title=gettext("Un foyer souhaite être mis en lien avec vous", locale),
            lines=household_card(requester, locale),
            buttons=buttons,
        )

    async def _render_answered(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        introduction = await self._introduction(letter)
        locale = letter.locale
        if introduction.status is IntroductionStatus.acceptee:
            if introduction.thread_id is not None:
                text = gettext(
                    "✅ Mise en lien acceptée : rendez-vous dans {fil}, un fil privé où vous êtes tous les deux.",
                    locale,
                    fil=f"<#{introduction.thread_id}>",
                )
            elif introduction.answered_by is not None:
                text = gettext(
                    "✅ Mise en lien acceptée : écrivez à {membre} sur Discord.",
                    locale,
                    membre=f"<@{introduction.answered_by}>",
                )
            else:
                raise Skip(Status.cancelled, "l'autre partie a effacé ses données")
            return Outgoing(content=text)
        if introduction.status is not IntroductionStatus.declinee:
            raise Skip(Status.cancelled, "demande close")
        if introduction.kind is IntroductionKind.foyer:
            text = gettext(
                "Votre demande de mise en lien n'a pas abouti cette fois-ci. D'autres suggestions vous attendent : "
                "/mise-en-lien suggestions.",
                locale,
            )
        elif introduction.kind is IntroductionKind.projet:
            text = gettext(
                "Le projet « {projet} » ne donne pas suite à votre demande cette fois-ci. D'autres suggestions vous "
                "attendent : /mise-en-lien suggestions.",
                locale,
                projet=(await self._project(introduction)).nom,
            )
        else:
            text = gettext(
                "Le foyer ne donne pas suite à la proposition de « {projet} ». D'autres foyers vous attendent : "
                "/mise-en-lien foyers.",
                locale,
                projet=(await self._project(introduction)).nom,
            )
        return Outgoing(content=text)

    async def _render_withdrawn(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        return await self._to_requester(
            await self._introduction(letter),
            letter.locale,
            {
                IntroductionKind.foyer: Text(
                    "Votre demande de mise en lien n'a pu être remise : ce foyer ne reçoit pas de messages privés. "
                    "Rien n'a été partagé."
                ),
                IntroductionKind.proposition: Text(
                    "La proposition de « {projet} » n'a pu être remise : ce foyer ne reçoit pas de messages privés."
                ),
                IntroductionKind.projet: Text(
                    "Votre demande au projet « {projet} » n'a pu être remise à aucun de ses référents : leurs messages "
                    "privés sont fermés."
                ),
            },
        )

    async def _render_lapsed(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        introduction = await self._introduction(letter)
        return await self._to_requester(
            introduction,
            letter.locale,
            {
                IntroductionKind.foyer: Text(
                    "⌛ Votre demande de mise en lien du {date} est restée sans réponse pendant {jours} jours : elle "
                    "est close, et rien n'a été partagé. D'autres suggestions vous attendent : /mise-en-lien "
                    "suggestions."
                ),
                IntroductionKind.proposition: Text(
                    "⌛ La proposition de « {projet} » du {date} à un foyer est restée sans réponse pendant {jours} "
                    "jours : elle est close."
                ),
                IntroductionKind.projet: Text(
                    "⌛ Votre demande au projet « {projet} » du {date} est restée sans réponse pendant {jours} jours : "
                    "elle est close, et rien n'a été partagé."
                ),
            },
            date=format_day(introduction.created_at, zone, letter.locale),
            jours=REQUEST_LIFETIME.days,
        )

    async def _to_requester(
        self, introduction: Introduction, locale: str | None, texts: Mapping[IntroductionKind, Text], **params: Any
    ) -> Outgoing:
        """What became of a request, told to whoever made it in the words of its kind: one about a project
        names it, and a household's request to a project ends on the project's public contact."""
        text = texts[introduction.kind]
        if introduction.kind is IntroductionKind.foyer:
            return Outgoing(content=gettext(text.message, locale, **params))
        project = await self._project(introduction)
        content = gettext(text.message, locale, projet=project.nom, **params)
        if introduction.kind is IntroductionKind.projet:
            content = with_contact(content, project, locale)
        return Outgoing(content=content)

    async def _render_digest(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        profile = await self.store.get(letter.recipient_id)
        if profile is None or profile.paused or not profile.digest:
            raise Skip(Status.cancelled, "récapitulatif arrêté")
        return Outgoing(
            content=ngettext(
                "🏡 {n} nouvelle suggestion de mise en lien cette semaine : tapez /mise-en-lien "
                "suggestions pour la voir. (/mise-en-lien pause pour ne plus recevoir ce message.)",
                "🏡 {n} nouvelles suggestions de mise en lien cette semaine : tapez /mise-en-lien "
                "suggestions pour les voir. (/mise-en-lien pause pour ne plus recevoir ce message.)",
                letter.payload["n"],
                letter.locale,
            )
        )

    async def _render_question(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        profile = await self.store.get(letter.recipient_id)
        if profile is None or profile.paused or profile.asked_at is None:
            raise Skip(Status.cancelled, "déjà répondu")
        locale = letter.locale
        return Outgoing(
            content=gettext(
                "Votre présentation de foyer a un an. Est-elle toujours d'actualité ? Sans réponse d'ici un mois, "
                "elle sera mise en pause (plus proposée à personne).",
                locale,
            ),
            buttons=(
                Button(gettext("Toujours d'actualité", locale), f"foyer:ok:{profile.user_id}", "success"),
                Button(gettext("Mettre en pause", locale), f"foyer:pause:{profile.user_id}", "secondary"),
            ),
        )

    async def _render_greeting(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        locale = letter.locale
        greeting = Outgoing(
            content="",
            title=gettext("Bienvenue dans le réseau de l'habitat participatif !", locale),
            lines=(
                gettext(
                    "Ici, on cherche des projets, on publie des petites annonces, on s'inscrit aux portes ouvertes "
                    "et on rencontre d'autres foyers. Présentez votre foyer en trois étapes : je vous proposerai "
                    "des foyers et des projets qui vous ressemblent, et ne mettrai personne en lien sans l'accord "
                    "des deux. /aide liste tout ce que je sais faire.",
                    locale,
                ),
            ),
            buttons=(Button(gettext("Présenter mon foyer", locale), "foyer:etape:0", "primary"),),
        )
        if letter.target is Target.dm:
            return greeting
        newcomer = int((letter.subject or "").rpartition(":")[2])
        # In the welcome channel, the newcomer, and only them, is pinged.
        return replace(greeting, content=f"<@{newcomer}>", pings=(newcomer,))

    # ----------------------------------------------------------------- the ledger: after delivery

    async def _after_dm(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """What a DM taught about the member's DMs: closed ones keep their household out of others'
        suggestions (no request could reach it) until a DM goes through or they edit their introduction."""
        if status is Status.sent or unreachable:
            await self.store.note_dm(letter.recipient_id, closed=unreachable)

    async def _after_request(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """A request that none of its recipients can receive (closed DMs) is withdrawn, and the requester
        told. Discord failing after every retry proves nothing about the recipient: the request stays,
        and lapses with its notice if nobody answers."""
        await self._after_dm(letter, status, unreachable)
        if not unreachable:
            return
        introduction = await self.introductions.get(int(letter.payload["introduction"]))
        if introduction is None or introduction.status is not IntroductionStatus.attente:
            return
        others = await self.outbox.store.of_subject(letter.subject or "")
        if any(row.kind == REQUEST and row.status in (Status.pending, Status.sent) for row in others):
            return  # another référent may still answer
        if await self.introductions.withdraw(introduction.id):
            locale = await self._locale(introduction.requester_id)
            await self._put(WITHDRAWN, introduction.requester_id, introduction, locale)

    async def _after_question(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """Delivered: the month before a pause starts now. Not delivered (Discord failing after every
        retry, or closed DMs): nobody is paused unasked; the question is asked again a month later."""
        await self._after_dm(letter, status, unreachable)
        if status is Status.sent:
            await self.store.asked_delivered(letter.recipient_id, self.clock())
        elif status is Status.undeliverable:
            profile = await self.store.get(letter.recipient_id)
            if profile is not None and profile.asked_at is not None and not profile.paused:
                await self.outbox.store.put(
                    QUESTION, Target.dm, profile.user_id, guild_id=profile.guild_id, locale=profile.locale,
                    about=letter.subject, due_at=self.clock() + ASK_AGAIN_AFTER,
                )  # fmt: skip

    async def _after_greeting(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """Closed DMs: the greeting goes to the server's welcome channel, when it has one."""
        if not unreachable or letter.target is not Target.dm or letter.guild_id is None:
            return
        channel_id = (await self.settings.get(letter.guild_id)).welcome_channel_id
        if channel_id is not None:
            await self.outbox.store.put(
                GREETING, Target.channel, channel_id, guild_id=letter.guild_id, about=letter.subject
            )


def open_to_households(profile: HouseholdProfile) -> bool:
    """Suggested to other households: complete, consenting, active, and reachable by DM."""
    return profile.complete and profile.visible_households and not profile.paused and not profile.dm_closed


def _about(introduction: Introduction) -> str:
    return subject("introduction", introduction.id)


def _line(name: str, value: str, locale: str | None) -> str:
    return gettext("**{champ}** : {valeur}", locale, champ=gettext(name, locale), valeur=value)


def household_card(profile: HouseholdProfile, locale: str | None) -> tuple[str, ...]:
    """What the other side sees of a household before accepting: its introduction, not its identity."""
    lines = [profile.intro] if profile.intro else []
    if profile.commune:
        lines.append(_line("Où", profile.commune, locale))
    if profile.horizon:
        lines.append(_line("Quand", gettext(label(profile.horizon), locale), locale))
    described = (("Ce qui compte pour ce foyer", profile.valeurs), ("Ce que ce foyer apporte", profile.apports))
    for name, values in described:
        if values:
            shown = ", ".join(gettext(label(v), locale) for v in sorted(values))
            lines.append(_line(name, clip(shown, EMBED_FIELD_VALUE), locale))
    return tuple(lines)


def project_card(project: Project, locale: str | None) -> tuple[str, ...]:
    lines = [clip(project.description, EMBED_FIELD_VALUE)] if project.description else []
    lines.append(_line("Où", f"{project.commune} ({project.departement})", locale))
    return tuple(lines)


def with_contact(text: str, project: Project, locale: str | None) -> str:
    """A message about a project that its référents cannot answer ends on the project's public contact."""
    contact = public_contact(project)
    if contact is None:
        return text
    return f"{text}\n" + gettext("Le projet se contacte aussi directement : {contact}", locale, contact=contact)
