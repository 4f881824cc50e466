"""The area a facilitator covers, as members type it (« 63, Allier, Auvergne-Rhône-Alpes, Vichy »)
and as it is shown."""

from __future__ import annotations

import re

from bot.errors import UserError
from bot.geo import Geography
from bot.resources.facilitators.models import Area
from bot.text import fold

_SEPARATORS = re.compile(r"[,;\n]+")
_DEPARTEMENT_CODE = re.compile(r"^(\d{1,3}|2[ab])$", re.IGNORECASE)


def parse_zone(text: str, geo: Geography) -> Area:
    """Each comma-separated part is a département (number or name), a région (current or former, whose
    départements it stands for) or a commune; an unknown or ambiguous part is refused by name."""
    communes: set[str] = set()
    departements: set[str] = set()
    regions: set[str] = set()
    for part in (p.strip() for p in _SEPARATORS.split(text)):
        if not part:
            continue
        if _DEPARTEMENT_CODE.match(part):
            departements.add(geo.departement(part).code)
            continue
        try:
            region = geo.region(part)
        except UserError:
            pass
        else:
            if region.ancienne:
                departements.update(region.departements)
            else:
                regions.add(region.code)
            continue
        named = [d for d in geo.find_departements(part, limit=25) if _same(d.nom, part)]
        if named:
            departements.add(named[0].code)
            continue
        try:
            communes.add(geo.resolve_commune(part).insee)
        except UserError:
            raise UserError(
                "Je ne reconnais pas « {lieu} » dans le territoire : un département, une région ou une commune.",
                lieu=part,
            ) from None
    return Area(communes=frozenset(communes), departements=frozenset(departements), regions=frozenset(regions))


def _same(name: str, typed: str) -> bool:
    return fold(name) == fold(typed)


def zone_text(area: Area, geo: Geography) -> str:
    """« Auvergne-Rhône-Alpes, Puy-de-Dôme (63), Vichy (03) »: régions, then départements, then communes."""
    names = {r.code: r.nom for r in geo.regions.values()}
    parts = [names.get(code, code) for code in sorted(area.regions)]
    for code in sorted(area.departements):
        departement = geo.departements.get(code)
        parts.append(f"{departement.nom} ({code})" if departement else code)
    for insee in sorted(area.communes):
        commune = geo.commune(insee)
        parts.append(commune.label if commune else insee)
    return ", ".join(parts)


def zone_typed(area: Area, geo: Geography) -> str:
    """The area as a member would type it again: what an edit form starts from."""
    names = {r.code: r.nom for r in geo.regions.values()}
    parts = [names.get(code, code) for code in sorted(area.regions)]
    parts += sorted(area.departements)
    for insee in sorted(area.communes):
        commune = geo.commune(insee)
        parts.append(commune.label if commune else insee)
    return ", ".join(parts)
