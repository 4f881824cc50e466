"""The one wiring point: the database, the stores and the services, built alike for the bot, the
command line, the sandbox, the benchmarks and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.ads.service import AdService
from bot.ads.store import AdStore
from bot.announcements.service import AnnouncementService
from bot.announcements.store import AnnouncementStore
from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.db import Database, open_database
from bot.events.checkin import CheckinService, CheckinStore
from bot.events.following import Following
from bot.events.follows import FollowStore
from bot.events.personal import PersonalCalendar, PersonalCalendarStore
from bot.events.questions import QuestionService, QuestionStore
from bot.events.service import EventService
from bot.events.stats import StatsService, StatsStore
from bot.events.store import EventStore
from bot.geo import Geography, geography
from bot.guild_settings import GuildSettingsStore
from bot.households.service import HouseholdService
from bot.households.store import HouseholdStore, IntroductionStore
from bot.notify import Notifier
from bot.outbox import Outbox, OutboxStore
from bot.privacy import MemberData, MemberDataStore
from bot.projects.service import ProjectService
from bot.projects.store import ProjectStore
from bot.resources.diagnostic.service import DiagnosticService
from bot.resources.diagnostic.store import DiagnosticStore
from bot.resources.facilitators.service import FacilitatorService
from bot.resources.facilitators.store import FacilitatorStore
from bot.resources.service import ResourceService
from bot.resources.store import ResourceStore
from bot.scheduler import Scheduler
from bot.sources.bazar import BazarSync
from bot.sources.feed_service import FeedService
from bot.sources.feed_store import FeedStore


@dataclass
class Core:
    settings: Settings
    clock: Clock
    db: Database
    geo: Geography
    guild_settings: GuildSettingsStore
    outbox: Outbox
    scheduler: Scheduler
    projects: ProjectStore
    project_service: ProjectService
    events: EventService
    questions: QuestionService
    following: Following
    announcements: AnnouncementService
    households: HouseholdService
    ads: AdStore
    ad_service: AdService
    member_data: MemberData
    bazar: BazarSync
    feeds: FeedService
    checkin: CheckinService
    personal: PersonalCalendar
    event_stats: StatsService
    resources: ResourceService
    facilitators: FacilitatorService
    diagnostics: DiagnosticService


def build_core(
    settings: Settings, *, db: Database | None = None, clock: Clock = utc_now, notifier: Notifier | None = None
) -> Core:
    """Everything but Discord. Without a notifier the ledger is written, not delivered (the command line)."""
    db = db or open_database(settings, clock=clock)
    geo = geography()
    guild_settings = GuildSettingsStore(db, default_timezone=settings.default_tz)
    outbox = Outbox(OutboxStore(db), guild_settings, clock)
    if notifier is not None:
        outbox.connect(notifier)
    projects = ProjectStore(db, geo)
    ads = AdStore(db, geo)
    project_service = ProjectService(projects, guild_settings, outbox, clock)
    households = HouseholdService(
        HouseholdStore(db, geo), IntroductionStore(db), projects, project_service, guild_settings, outbox, clock
    )
    ad_service = AdService(ads, guild_settings, outbox, clock)
    bazar = BazarSync(
        projects, guild_settings, outbox, clock, url=settings.national_db_url, interval=settings.national_db_interval
    )
    events = EventService(EventStore(db, geo), guild_settings, outbox, clock)
    feeds = FeedService(FeedStore(db), events, guild_settings, outbox, geo, clock)
    facilitators = FacilitatorService(FacilitatorStore(db, geo), guild_settings, outbox, clock)
    scheduler = Scheduler([outbox, households, ad_service, project_service, bazar, feeds, facilitators], clock)
    outbox.on_change(scheduler.notify)
    checkins = CheckinStore(db)
    # A personal calendar's address is given only when members can reach it.
    public_url = settings.public_url if settings.web_port else None
    resources = ResourceService(ResourceStore(db), guild_settings, outbox, clock)
    core = Core(
        settings=settings,
        clock=clock,
        db=db,
        geo=geo,
        guild_settings=guild_settings,
        outbox=outbox,
        scheduler=scheduler,
        projects=projects,
        project_service=project_service,
        events=events,
        questions=QuestionService(QuestionStore(db), events),
        following=Following(FollowStore(db), events, guild_settings, geo),
        announcements=AnnouncementService(AnnouncementStore(db), guild_settings, outbox, clock),
        households=households,
        ads=ads,
        ad_service=ad_service,
        member_data=MemberData(MemberDataStore(db), ad_service, outbox),
        bazar=bazar,
        feeds=feeds,
        checkin=CheckinService(checkins, events.store, clock),
        personal=PersonalCalendar(
            PersonalCalendarStore(db), events.store, clock, ZoneInfo(settings.default_tz), public_url
        ),
        event_stats=StatsService(StatsStore(db), events.store, checkins, geo),
        resources=resources,
        facilitators=facilitators,
        diagnostics=DiagnosticService(DiagnosticStore(db), geo, facilitators, resources),
    )
    core.member_data.in_memory.append(core.diagnostics.drop)
    core.member_data.in_memory.append(households.forget)
    return core
