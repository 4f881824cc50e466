"""`/observatoire` end to end: the figures of the demo database, as text, picture and CSV, in the
member's language."""

from __future__ import annotations

import csv
import io

from PIL import Image

from bot.sandbox.harness import Sandbox


async def test_the_observatory_of_a_region_counts_what_the_database_holds(furnished: Sandbox) -> None:
    sb = furnished
    region = sb.bot.geo.region("Auvergne-Rhône-Alpes")
    count = await sb.bot.db.fetchone(
        "SELECT COUNT(*) AS n, SUM(recrute) AS recruiting, COALESCE(SUM(logements), 0) AS homes FROM projects"
        f" WHERE statut = 'publie' AND departement IN ({','.join('?' * len(region.departements))})",
        region.departements,
    )
    assert count is not None and count["n"] > 0
    answer = await sb.driver.slash(sb.demo.user("alex"), "observatoire", region="Auvergne-Rhône-Alpes")
    assert answer.deferred  # « thinking… » at once, the figures follow
    message = answer.messages[-1]
    assert message.ephemeral
    assert f"{count['n']} projets publiés (Auvergne-Rhône-Alpes)" in message.content
    assert f"{count['homes']} logements en tout" in message.content
    picture, table = message.attachments
    assert (picture.filename, table.filename) == ("observatoire.png", "observatoire.csv")
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "PNG" and image.width == 800
    rows = list(csv.reader(io.StringIO(table.data.decode("utf-8"))))
    assert rows[0] == ["groupe", "valeur", "nombre"]
    assert ["Total", "projets publiés", str(count["n"])] in rows
    assert ["Total", "projets qui cherchent de nouveaux foyers", str(count["recruiting"])] in rows
    stages = [int(n) for group, _, n in rows[1:] if group == "Projets par étape"]
    assert sum(stages) == count["n"]
    assert not [row for row in rows if row[0] == "Projets par région"]  # one région: no bar of its own


async def test_an_english_member_reads_the_observatory_in_english(furnished: Sandbox) -> None:
    sb = furnished
    published = await sb.bot.db.fetchone("SELECT COUNT(*) AS n FROM projects WHERE statut = 'publie'")
    assert published is not None
    answer = await sb.driver.slash(sb.demo.user("sam"), "observatoire")
    message = answer.messages[-1]
    assert f"{published['n']} published projects (France)" in message.content
    assert "homes in all" in message.content
    table = message.attachments[1]
    rows = list(csv.reader(io.StringIO(table.data.decode("utf-8"))))
    assert rows[0] == ["group", "value", "count"]
    regions = [int(n) for group, _, n in rows[1:] if group == "Projects by region"]
    assert sum(regions) == published["n"]
