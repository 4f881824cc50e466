"""Small ads: the rules, the store and the service's flows on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.ads.models import MAX_PRICE, PRICE_EXPECTED, AdDraft, AdFilters, AdForm, AdStatus, parse_price
from bot.ads.service import MODERATION, NOTICE, POST_CLOSE, REPORT
from bot.ads.store import AdStore
from bot.config import Settings
from bot.core import Core, build_core
from bot.db import MIGRATIONS_DIR, Database, SqliteDatabase, Where
from bot.errors import UserError, invalid
from bot.geo import AmbiguousCommune, geography
from bot.i18n import explain
from bot.notify import Delivery
from bot.outbox import Letter, Status
from bot.vocabulary import AdCategory
from tests.support import ManualDateClock, RecordingNotifier

GUILD, QUEUE, FORUM, THREAD = 10, 20, 30, 40
ALEX, SAM = 1, 2
BODY = "Groupe de six foyers près de Thiers, habitat écologique en bois, nous cherchons deux familles."


@pytest.fixture
def ads(db: Database, clock: ManualDateClock) -> AdStore:
    return AdStore(db, geography())


@pytest.fixture
async def core(core: Core) -> Core:
    """The shared core, on a server with a moderation queue and a forum for the ads."""
    await core.guild_settings.update(GUILD, modqueue_channel_id=QUEUE, ads_forum_id=FORUM)
    return core


def draft(title: str = "Cherche deux foyers pour une coopérative", **fields: Any) -> AdDraft:
    values: dict[str, object] = {"category": AdCategory.cherche_foyers, "departement": "63", "title": title}
    return AdDraft.model_validate(values | {"body": BODY} | fields)


def form(**fields: Any) -> AdForm:
    values: dict[str, Any] = {
        "category": AdCategory.cherche_foyers,
        "departement": "63",
        "title": "Cherche deux foyers",
        "body": BODY,
    }
    return AdForm(**(values | fields))


async def publish(ads: AdStore, author: int = ALEX, **fields: Any) -> int:
    ad = await ads.publish(draft(**fields), author_id=author, guild_id=GUILD, max_live=5, max_per_day=3)
    return ad.id


async def published(core: Core, *, author: int = ALEX, forum: bool = True, locale: str = "fr", **fields: Any) -> int:
    ad = await core.ad_service.publish(
        form(**fields), author_id=author, guild_id=GUILD, locale=locale, forum_open=forum, queue_open=True
    )
    if forum:
        await core.ad_service.posted(ad.id, FORUM, THREAD + ad.id)
    return ad.id


async def rows(core: Core, kind: str, status: str | None = None) -> list[Letter]:
    where = Where()
    where.add("kind = ?", kind)
    if status is not None:
        where.add("status = ?", status)
    found = await core.db.fetchall(f"SELECT id FROM outbox WHERE {where} ORDER BY id", where.params)
    letters = [await core.outbox.store.get(row["id"]) for row in found]
    return [letter for letter in letters if letter is not None]


def texts(notifier: RecordingNotifier) -> list[str]:
    return [message.content for _, _, message in notifier.sent]


# ---------------------------------------------------------------------- the store


async def test_a_published_ad_is_found_by_words_department_and_region(ads: AdStore) -> None:
    ad_id = await publish(ads, code_insee="63430")
    assert await ads.search(AdFilters(texte="cooperatives familles")) == [ad_id]
    assert await ads.search(AdFilters(texte="THIERS")) == [ad_id]  # the commune counts
    assert await ads.search(AdFilters(departement="63")) == [ad_id]
    assert await ads.search(AdFilters(departements=("03", "15", "43", "63"))) == [ad_id]
    assert await ads.search(AdFilters(category=AdCategory.logement)) == []
    assert await ads.search(AdFilters(texte="piscine")) == []


async def test_newest_first(ads: AdStore, clock: ManualDateClock) -> None:
    first = await publish(ads, title="Première annonce ici")
    clock.advance(minutes=5)
    second = await publish(ads, title="Deuxième annonce ici")
    assert await ads.search(AdFilters()) == [second, first]


async def test_limits_live_ads_and_ads_per_day(ads: AdStore, clock: ManualDateClock) -> None:
    for n in range(3):
        await publish(ads, title=f"Annonce numéro {n}")
    with pytest.raises(UserError, match="par jour"):
        await publish(ads, title="Une de trop aujourd'hui")
    clock.advance(days=1, minutes=1)
    await publish(ads, title="Annonce numéro 3")
    await publish(ads, title="Annonce numéro 4")
    clock.advance(days=1, minutes=1)
    with pytest.raises(UserError, match="en cours"):
        await publish(ads, title="Annonce numéro 5")
    assert len(await ads.of_author(ALEX)) == 5


async def test_concurrent_publications_keep_to_the_limits(ads: AdStore) -> None:
    async def attempt(author: int, title: str) -> None:
        with contextlib.suppress(UserError):
            await ads.publish(draft(title), author_id=author, guild_id=GUILD, max_live=3, max_per_day=10)

    await asyncio.gather(*(attempt(ALEX, f"Annonce {n}") for n in range(8)))
    assert len(await ads.of_author(ALEX)) == 3
    # Nor does a word-for-word copy get in by coming at the same time as its original.
    await asyncio.gather(*(attempt(SAM, "Annonce") for _ in range(4)))
    assert len(await ads.of_author(SAM)) == 1


async def test_an_ad_past_its_expiry_no_longer_counts_even_before_the_round(
    ads: AdStore, clock: ManualDateClock
) -> None:
    await publish(ads, duration_days=30)
    clock.advance(days=31)
    assert await ads.of_author(ALEX) == []
    await ads.publish(draft(), author_id=ALEX, guild_id=GUILD, max_live=1, max_per_day=3)  # not a live copy either


async def test_a_word_for_word_copy_of_a_live_ad_is_refused(ads: AdStore) -> None:
    await publish(ads)
    with pytest.raises(UserError, match="exactement ce texte"):
        await publish(ads, title="cherche deux foyers pour une COOPÉRATIVE")
    await publish(ads, author=SAM)  # another member may say the same


def test_an_ad_that_is_only_a_link_is_refused() -> None:
    with pytest.raises(ValidationError, match="seulement un lien"):
        draft(body="https://exemple.org/mon-annonce-super")
    assert draft(body="Voir les plans : https://exemple.org/plans").body


async def test_renewal_extends_from_the_later_of_now_and_expiry(ads: AdStore, clock: ManualDateClock) -> None:
    ad_id = await publish(ads, duration_days=30)
    before = await ads.must_get(ad_id)
    renewed = await ads.renew(ad_id, 60)
    assert renewed.expires_at == before.expires_at + timedelta(days=60)
    assert renewed.renewed_count == 1
    clock.advance(days=91)
    with pytest.raises(UserError, match="close"):
        await ads.renew(ad_id, 30)  # lapsed, even if the round has not closed it yet


async def test_reports_are_settled_once(ads: AdStore) -> None:
    ad_id = await publish(ads)
    report = await ads.report(ad_id, reporter_id=SAM, reason="Arnaque probable")
    await ads.settle_report(report.id, remove=True)
    with pytest.raises(UserError):
        await ads.settle_report(report.id, remove=False)


# Any character but NUL, which PostgreSQL's text cannot hold (and no member can type).
CHARACTERS = st.characters(exclude_characters="\x00")
TEXTS = st.text(CHARACTERS, min_size=10, max_size=3000).filter(
    lambda s: any(c.isalnum() for c in s) and len(s.strip()) >= 10
)
TITLES = st.text(CHARACTERS, min_size=3, max_size=100).filter(lambda s: len(s.strip()) >= 3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLES, body=TEXTS)
async def test_any_text_is_stored_as_written(ads: AdStore, title: str, body: str) -> None:
    """Any Unicode, markdown or mention is kept exactly (shown as written, never pinging)."""
    await ads.db.execute("DELETE FROM ads")
    try:
        given_draft = draft(title=title, body=body)
    except ValidationError:
        return  # only-a-link bodies (or blank once trimmed) are refused, by design
    ad = await ads.publish(given_draft, author_id=ALEX, guild_id=GUILD, max_live=5, max_per_day=3)
    stored = await ads.must_get(ad.id)
    assert (stored.title, stored.body) == (given_draft.title, given_draft.body)
    await ads.search(AdFilters(texte=title))  # any text searches without error


@pytest.mark.parametrize(
    "body",
    [
        "@everyone venez voir notre terrain à Thiers !",
        "<@&123456789012345678> réunion ce soir pour le projet",
        "**Grand** _appartement_ `T4` > lumineux < @here",
        "x" * 3000,
    ],
)
async def test_mentions_and_markdown_are_kept(ads: AdStore, body: str) -> None:
    ad_id = await publish(ads, body=body)
    assert (await ads.must_get(ad_id)).body == body


# ---------------------------------------------------------------------- prices as typed


@pytest.mark.parametrize(
    ("typed", "euros"),
    [
        ("650", 650),
        ("650 €", 650),
        ("650€/mois", 650),
        ("650 € / mois CC", 650),
        ("650,50", 651),
        ("650,49 €", 650),
        ("1 200", 1200),
        ("1\u202f200 €", 1200),
        ("1.200,50", 1201),
        ("250.000 €", 250_000),
        ("150k€", 150_000),
        ("1,2 M€", 1_200_000),
        ("environ 700 euros par mois", 700),
        ("", None),
        ("   ", None),
    ],
)
def test_prices_are_read_as_people_write_them(typed: str, euros: int | None) -> None:
    assert parse_price(typed) == euros


@pytest.mark.parametrize("typed", ["650-700", "à débattre", "entre 600 et 700", "-5", "650 m²", "k"])
def test_what_is_not_an_amount_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="un montant en euros"):
        parse_price(typed)


SEPARATORS = st.sampled_from(["", " ", "\u00a0", "\u202f", "."])
DECORATIONS = st.sampled_from(["{}", "{} €", "{}€", "{} €/mois", "{} euros", "{} € CC", "environ {} €", "€{}"])


@given(euros=st.integers(0, MAX_PRICE), grouping=SEPARATORS, decoration=DECORATIONS)
def test_any_amount_written_with_thousands_and_a_currency_reads_back(
    euros: int, grouping: str, decoration: str
) -> None:
    written = f"{euros:,}".replace(",", grouping) if euros >= 1000 or grouping != "." else str(euros)
    assert parse_price(decoration.format(written)) == euros


@given(euros=st.integers(0, 10**6), cents=st.integers(0, 99), comma=st.booleans())
def test_cents_round_to_the_nearest_euro(euros: int, cents: int, comma: bool) -> None:
    assert parse_price(f"{euros}{',' if comma else '.'}{cents:02d}") == euros + (cents >= 50)


@given(typed=st.text(max_size=60))
def test_any_text_is_an_amount_or_a_clear_refusal(typed: str) -> None:
    try:
        euros = parse_price(typed)
    except ValueError as error:
        assert str(error) == PRICE_EXPECTED
    else:
        assert euros is None or euros >= 0


@given(typed=st.text(max_size=60))
def test_a_price_the_draft_refuses_names_the_field_as_the_member_sees_it(typed: str) -> None:
    try:
        AdDraft(category=AdCategory.logement, departement="63", title="Un T3", body=BODY, price=typed)
    except ValidationError as error:
        message = explain(invalid(error, AdDraft), "fr")
        assert message.startswith("« Prix ou budget en € (facultatif) » ne convient pas")


# ---------------------------------------------------------------------- publishing through the service


async def test_a_wrong_field_refuses_the_form_and_writes_nothing(core: Core) -> None:
    with pytest.raises(UserError) as refused:
        await published(core, category=AdCategory.logement, price="650 € ou à débattre")
    assert explain(refused.value, "fr").startswith("« Prix ou budget en € (facultatif) » ne convient pas")
    with pytest.raises(UserError) as short:
        await published(core, title="T3")
    assert explain(short.value, "en-US") == "“Title” does not fit: at least 3 characters."
    assert await core.db.fetchall("SELECT * FROM ads") == []
    assert await core.db.fetchall("SELECT * FROM outbox") == []


async def test_a_commune_with_namesakes_is_for_the_member_to_choose(core: Core) -> None:
    with pytest.raises(AmbiguousCommune) as ambiguous:
        await published(core, commune="Moulins")
    assert [c.label for c in ambiguous.value.candidates][:3] == ["Moulins (03)", "Moulins (35)", "Moulins (02)"]
    assert await core.db.fetchall("SELECT * FROM ads") == []
    ad_id = await published(core, commune="Moulins (35)")
    assert (await core.ad_service.get(ad_id)).commune == "Moulins"
    in_allier = await published(core, commune="Moulins", departement="03", title="Une autre annonce")
    assert (await core.ad_service.get(in_allier)).code_insee == "03190"  # the only Moulins of the ad's département


async def test_the_expiry_notice_is_planned_at_publication_and_sent_in_the_authors_words(
    core: Core, clock: ManualDateClock, notifier: RecordingNotifier
) -> None:
    clock.now = datetime(2027, 3, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 March in Paris
    ad_id = await published(core, locale="en-US", duration_days=30)
    [notice] = await rows(core, NOTICE)
    ad = await core.ad_service.get(ad_id)
    assert notice.due_at == ad.expires_at - timedelta(days=3)
    clock.now = notice.due_at - timedelta(minutes=1)
    await core.scheduler.run_due()
    assert notifier.sent == []
    clock.now = notice.due_at
    await core.scheduler.run_due()
    [(user, nonce, message)] = notifier.sent
    assert (user, nonce) == (ALEX, f"ob-{notice.id}")
    # Expires 31 March 23:30 UTC, which is 1 April in Paris.
    assert message.content == ("Your ad “Cherche deux foyers” expires on 1 April 2027. Renew it if it still holds.")
    assert [(b.label, b.custom_id) for b in message.buttons] == [("Renew (60 days)", f"annonce:renouveler:{ad_id}")]


async def test_renewal_plans_the_notice_again(core: Core, clock: ManualDateClock, notifier: RecordingNotifier) -> None:
    ad_id = await published(core, duration_days=30)
    renewed = await core.ad_service.renew(ad_id, 60)
    assert [n.due_at for n in await rows(core, NOTICE, "pending")] == [renewed.expires_at - timedelta(days=3)]
    clock.advance(days=28)
    await core.scheduler.run_due()
    assert notifier.sent == []  # the old notice was cancelled with the renewal
    clock.now = renewed.expires_at - timedelta(days=3)
    await core.scheduler.run_due()
    assert len(notifier.sent) == 1


async def test_withdrawing_closes_the_post_and_cancels_the_notice(core: Core, notifier: RecordingNotifier) -> None:
    ad_id = await published(core)
    await core.ad_service.withdraw(ad_id)
    assert [n.status for n in await rows(core, NOTICE)] == [Status.cancelled]
    [closing] = await rows(core, POST_CLOSE)
    assert closing.recipient_id == THREAD + ad_id
    await core.scheduler.run_due()
    assert texts(notifier) == ["🔒 Annonce retirée par son auteur·ice."]
    with pytest.raises(UserError, match="déjà close"):
        await core.ad_service.mark_filled(ad_id)


async def test_the_expiry_round_closes_each_post_once(
    core: Core, clock: ManualDateClock, notifier: RecordingNotifier
) -> None:
    first = await published(core, duration_days=30)
    await core.ad_service.publish(
        form(title="Sans fil", duration_days=30), author_id=SAM, guild_id=GUILD, locale="fr", forum_open=True,
        queue_open=True,
    )  # fmt: skip
    # (its forum post was never created: nothing to close)
    clock.advance(days=27)
    assert await core.ad_service.next_due() == (await core.ad_service.get(first)).expires_at
    assert await core.ad_service.run_due() == 0
    clock.advance(days=4)
    assert await core.ad_service.run_due() == 2
    assert await core.ad_service.run_due() == 0
    await core.scheduler.run_due()
    assert texts(notifier).count("⌛ Annonce expirée.") == 1
    assert (await core.ad_service.get(first)).status is AdStatus.expired
    # Three days before, the notices were due but the bot was away: closed ads are not noticed late.
    assert {n.status for n in await rows(core, NOTICE)} == {Status.cancelled}


async def test_a_notice_that_comes_too_late_is_not_sent(
    core: Core, clock: ManualDateClock, notifier: RecordingNotifier
) -> None:
    await published(core, duration_days=30)
    clock.advance(days=31)  # the bot was away for the whole notice window and the expiry
    await core.outbox.run_due()
    assert [n.status for n in await rows(core, NOTICE)] == [Status.missed]
    assert notifier.sent == []


# ---------------------------------------------------------------------- moderators


async def test_without_a_forum_the_ad_waits_for_the_moderators(core: Core, notifier: RecordingNotifier) -> None:
    ad_id = await published(core, forum=False)
    assert (await core.ad_service.get(ad_id)).status is AdStatus.in_moderation
    await core.scheduler.run_due()
    [(channel, _, card)] = notifier.sent
    assert channel == QUEUE and card.content == f"📝 Annonce à valider (n° {ad_id}) :"
    assert BODY in card.lines
    assert [b.custom_id for b in card.buttons] == [f"annonce-moderation:{a}:{ad_id}" for a in ("publier", "refuser")]
    await core.ad_service.moderate(ad_id, approve=True)
    await core.scheduler.run_due()
    assert texts(notifier)[-1] == "✅ Votre annonce « Cherche deux foyers » est publiée."
    with pytest.raises(UserError, match="déjà été traitée"):
        await core.ad_service.moderate(ad_id, approve=True)


async def test_a_refusal_reaches_the_author_with_its_reason(core: Core, notifier: RecordingNotifier) -> None:
    ad_id = await published(core, forum=False)
    await core.ad_service.moderate(ad_id, approve=False, reason="Hors du réseau")
    await core.scheduler.run_due()
    assert texts(notifier) == ["❌ Votre annonce « Cherche deux foyers » n'a pas été retenue. Raison : Hors du réseau"]
    assert [c.status for c in await rows(core, MODERATION)] == [Status.cancelled]  # decided before it was posted


async def test_a_report_reaches_the_queue_and_removal_reaches_the_author(
    core: Core, notifier: RecordingNotifier
) -> None:
    ad_id = await published(core)
    report = await core.ad_service.report(ad_id, SAM, "Annonce commerciale déguisée")
    await core.scheduler.run_due()
    [(channel, _, card)] = notifier.sent
    assert channel == QUEUE and "Annonce commerciale déguisée" in card.content
    await core.ad_service.settle_report(report.id, remove=True, reason="Pas une annonce du réseau")
    await core.scheduler.run_due()
    assert texts(notifier)[1:] == [
        "🚫 Annonce retirée par la modération.",
        "🚫 Votre annonce « Cherche deux foyers » a été retirée par la modération. Raison : Pas une annonce du réseau",
    ]
    with pytest.raises(UserError, match="déjà été traité"):
        await core.ad_service.settle_report(report.id, remove=False)


async def test_a_kept_report_tells_nobody_and_a_closed_ad_is_not_reported(
    core: Core, notifier: RecordingNotifier
) -> None:
    ad_id = await published(core)
    report = await core.ad_service.report(ad_id, SAM, "Je ne suis pas sûr")
    await core.ad_service.settle_report(report.id, remove=False)
    await core.scheduler.run_due()
    assert notifier.sent == []  # kept before its card was posted: the card is not posted either
    assert [r.status for r in await rows(core, REPORT)] == [Status.cancelled]
    await core.ad_service.withdraw(ad_id)
    with pytest.raises(UserError, match="déjà close"):
        await core.ad_service.report(ad_id, SAM, "Trop tard pour signaler")


async def test_a_server_without_moderation_channel_refuses_reports(core: Core) -> None:
    ad_id = await published(core)
    await core.guild_settings.update(GUILD, modqueue_channel_id=None)
    with pytest.raises(UserError, match="salon de modération"):
        await core.ad_service.report(ad_id, SAM, "Annonce commerciale")
    assert await core.db.fetchall("SELECT * FROM ad_reports") == []


# ---------------------------------------------------------------------- replies and a member's data


async def test_a_reply_is_relayed_at_once_or_the_sender_is_told(core: Core, notifier: RecordingNotifier) -> None:
    ad_id = await published(core, locale="en-US")
    await core.ad_service.contact(ad_id, sender_id=SAM, sender="<@2>", text="Bonjour, intéressés !", request_id=99)
    [(user, nonce, message)] = notifier.sent
    assert (user, nonce) == (ALEX, "ct-99")
    assert message.content == "Reply from <@2> to your ad “Cherche deux foyers”:"
    assert message.lines == ("Bonjour, intéressés !",)
    notifier.answer = Delivery.CLOSED
    with pytest.raises(UserError, match="n'accepte pas les messages privés"):
        await core.ad_service.contact(ad_id, sender_id=SAM, sender="<@2>", text="Toujours là ?", request_id=100)
    with pytest.raises(UserError, match="propre annonce"):
        await core.ad_service.contact(ad_id, sender_id=ALEX, sender="<@1>", text="Moi-même", request_id=101)
    assert await core.db.fetchall("SELECT * FROM outbox WHERE kind NOT IN (?, ?)", (NOTICE, POST_CLOSE)) == []


async def test_erasure_closes_the_live_posts_through_the_ledger(core: Core, notifier: RecordingNotifier) -> None:
    live = await published(core)
    withdrawn = await published(core, title="Déjà retirée")
    await core.ad_service.withdraw(withdrawn)
    other = await published(core, author=SAM, title="L'annonce de Sam")
    await core.ad_service.report(other, ALEX, "Signalée par Alex")
    await core.member_data.erase(ALEX)
    assert await core.db.fetchall("SELECT * FROM ads WHERE author_id = ?", (ALEX,)) == []
    assert await core.db.fetchall("SELECT * FROM ad_reports") == []
    assert await core.db.fetchall("SELECT * FROM outbox WHERE recipient_id = ?", (ALEX,)) == []
    closings = await rows(core, POST_CLOSE)
    assert sorted(c.recipient_id for c in closings) == [THREAD + live, THREAD + withdrawn]  # each post once
    await core.scheduler.run_due()
    assert sorted(texts(notifier)) == ["🔒 Annonce retirée par son auteur·ice.", "🔒 Annonce retirée."]


async def test_the_core_sends_nothing_on_its_own_without_a_notifier(db: Database, clock: ManualDateClock) -> None:
    """The command line builds the core without Discord: rows are written, nothing is delivered."""
    offline = build_core(Settings(_env_file=None), db=db, clock=clock)
    await offline.guild_settings.update(GUILD, ads_forum_id=FORUM)
    ad = await offline.ad_service.publish(
        form(), author_id=ALEX, guild_id=GUILD, locale="fr", forum_open=True, queue_open=False
    )
    assert [letter.kind for letter in await offline.outbox.store.of_subject(f"ad:{ad.id}")] == [NOTICE]
    with pytest.raises(RuntimeError):
        await offline.ad_service.contact(ad.id, sender_id=SAM, sender="<@2>", text="Bonjour !", request_id=1)


# ---------------------------------------------------------------------- migration 0008


async def test_migration_moves_pending_notices_and_closings_into_the_ledger(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 8:
            shutil.copy(path, before / path.name)
    database = SqliteDatabase(tmp_path / "old.sqlite3")
    await database.connect()
    try:
        await database.migrate(before)
        columns = (
            "author_id, guild_id, category, departement, region, title, body, body_key, status, created_at, expires_at,"
            " thread_id, notice_sent_at, post_closed, locale"
        )
        old = [
            # live, notice not sent yet: moved, due 3 days before expiry
            (ALEX, GUILD, "autre", "63", "84", "A", "a", "a", "publiee", "2027-03-01T09:00:00+00:00",
             "2027-03-31T09:00:00+00:00", 41, None, 0, "en-US"),
            # live, notice already sent: nothing
            (ALEX, GUILD, "autre", "63", "84", "B", "b", "b", "publiee", "2027-03-01T09:00:00+00:00",
             "2027-03-31T09:00:00+00:00", 42, "2027-03-28T09:00:00+00:00", 0, "fr"),
            # withdrawn, post still open: its closing line
            (ALEX, GUILD, "autre", "63", "84", "C", "c", "c", "retiree", "2027-03-01T09:00:00+00:00",
             "2027-03-31T09:00:00+00:00", 43, None, 0, "fr"),
            # expired, post already closed: nothing
            (ALEX, GUILD, "autre", "63", "84", "D", "d", "d", "expiree", "2027-01-01T09:00:00+00:00",
             "2027-01-31T09:00:00+00:00", 44, "2027-01-28T09:00:00+00:00", 1, "fr"),
        ]  # fmt: skip
        await database.execute_many(f"INSERT INTO ads ({columns}) VALUES ({', '.join('?' * 15)})", old)
        assert (await database.migrate())[0] == 8  # and whatever came after it
        moved = await database.fetchall(
            "SELECT kind, target, recipient_id, locale, subject, payload, due_at FROM outbox ORDER BY id"
        )
        assert [tuple(row) for row in moved] == [
            ("ad.expiry_notice", "dm", ALEX, "en-US", "ad:1", "{}", "2027-03-28T09:00:00+00:00"),
            ("ad.post_close", "thread_close", 43, None, "ad:3", '{"why":"retiree"}', "2027-03-01T09:00:00+00:00"),
        ]
        columns_now = {row["name"] for row in await database.fetchall("PRAGMA table_info(ads)")}
        assert not columns_now & {"notice_claimed_at", "notice_sent_at", "close_claimed_at", "post_closed"}
    finally:
        await database.close()
