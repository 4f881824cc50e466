"""Small ads: the rules and the store on a real SQLite file."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.ads.models import AdDraft, AdFilters
from bot.ads.store import AdStore
from bot.db import Database
from bot.errors import UserError
from bot.geo import geography
from bot.vocabulary import AdCategory
from tests.support import ManualDateClock


@pytest.fixture
def clock(db: Database) -> ManualDateClock:
    manual = ManualDateClock()
    db.clock = manual
    return manual


@pytest.fixture
def ads(db: Database, clock: ManualDateClock) -> AdStore:
    return AdStore(db, geography())


def draft(title: str = "Cherche deux foyers pour une coopérative", **fields: Any) -> AdDraft:
    values: dict[str, object] = {
        "category": AdCategory.cherche_foyers,
        "departement": "63",
        "title": title,
        "body": "Groupe de six foyers près de Thiers, habitat écologique en bois, nous cherchons deux familles.",
    }
    return AdDraft.model_validate(values | fields)


async def publish(ads: AdStore, author: int = 1, **fields: Any) -> int:
    ad = await ads.publish(draft(**fields), author_id=author, guild_id=10, max_live=5, max_per_day=3)
    return ad.id


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
    assert len(await ads.of_author(1)) == 5


async def test_a_word_for_word_copy_of_a_live_ad_is_refused(ads: AdStore) -> None:
    await publish(ads)
    with pytest.raises(UserError, match="exactement ce texte"):
        await publish(ads, title="cherche deux foyers pour une COOPÉRATIVE")
    await publish(ads, author=2)  # another member may say the same


def test_an_ad_that_is_only_a_link_is_refused() -> None:
    with pytest.raises(ValidationError, match="seulement un lien"):
        draft(body="https://exemple.org/mon-annonce-super")
    assert draft(body="Voir les plans : https://exemple.org/plans").body


async def test_expired_and_closed_ads_never_show(ads: AdStore, clock: ManualDateClock) -> None:
    kept = await publish(ads, duration_days=90)
    expiring = await publish(ads, title="Expire vite", duration_days=30)
    withdrawn = await publish(ads, title="Retirée")
    await ads.close(withdrawn, "retiree")
    clock.advance(days=31)
    assert await ads.search(AdFilters()) == [kept]
    await ads.expire_overdue(clock())
    expired = await ads.must_get(expiring)
    assert expired.status == "expiree"
    with pytest.raises(UserError):
        await ads.renew(expiring)


async def test_renewal_extends_from_the_later_of_now_and_expiry(ads: AdStore, clock: ManualDateClock) -> None:
    ad_id = await publish(ads, duration_days=30)
    before = await ads.must_get(ad_id)
    renewed = await ads.renew(ad_id, 60)
    assert renewed.expires_at == before.expires_at + timedelta(days=60)
    assert renewed.renewed_count == 1


async def test_the_expiry_notice_comes_once_three_days_before(ads: AdStore, clock: ManualDateClock) -> None:
    ad_id = await publish(ads, duration_days=30)
    assert await ads.notices_due(clock()) == []
    clock.advance(days=27, minutes=1)
    [due] = await ads.notices_due(clock())
    assert due.id == ad_id
    assert await ads.claim(ad_id, "notice_claimed_at", clock())
    assert not await ads.claim(ad_id, "notice_claimed_at", clock())
    await ads.mark_notice_sent(ad_id, clock())
    assert await ads.notices_due(clock()) == []


async def test_reports_are_settled_once(ads: AdStore) -> None:
    ad_id = await publish(ads)
    report = await ads.report(ad_id, reporter_id=2, reason="Arnaque probable")
    await ads.settle_report(report.id, remove=True)
    with pytest.raises(UserError):
        await ads.settle_report(report.id, remove=False)


TEXTS = st.text(min_size=10, max_size=3000).filter(lambda s: any(c.isalnum() for c in s) and len(s.strip()) >= 10)
TITLES = st.text(min_size=3, max_size=100).filter(lambda s: len(s.strip()) >= 3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLES, body=TEXTS)
async def test_any_text_is_stored_as_written(ads: AdStore, title: str, body: str) -> None:
    """Any Unicode, markdown or mention is kept exactly (shown as written, never pinging)."""
    await ads.db.execute("DELETE FROM ads")
    try:
        given_draft = draft(title=title, body=body)
    except ValidationError:
        return  # only-a-link bodies (or blank once trimmed) are refused, by design
    ad = await ads.publish(given_draft, author_id=1, guild_id=10, max_live=5, max_per_day=3)
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
