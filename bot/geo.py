"""French geography: communes, départements, régions (old ones too), distances.

Loaded once from `data/geo/` (see `data/README.md`). Lookups forgive how people type: case,
accents, hyphens, apostrophes, "St"/"Saint", postal codes, INSEE codes, département numbers.
An ambiguous name is never guessed: the caller gets every candidate, largest first.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.errors import Text, UserError
from bot.text import fold

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
_ARTICLE = re.compile(r"^(la|le|les|l) ")
CHOICE_PREFIX = "insee:"  # autocomplete values: a postal code may be another commune's INSEE code


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    nom: str
    codes_postaux: tuple[str, ...]
    departement: str
    region: str
    population: int
    lat: float | None
    lon: float | None
    parent: str | None = None  # the commune of a municipal arrondissement (Paris, Lyon, Marseille)

    @property
    def label(self) -> str:
        """How a person tells this commune from its namesakes: "Montreuil (93)"."""
        return f"{self.nom} ({self.departement})"

    @property
    def choice_value(self) -> str:
        return f"{CHOICE_PREFIX}{self.insee}"


class AmbiguousCommune(UserError):
    """Several communes answer to what was typed: a form may offer them to choose from (largest first)."""

    def __init__(self, typed: str, candidates: list[Commune]) -> None:
        super().__init__(
            "Plusieurs communes répondent à « {commune} » : {choix}. Choisissez-la dans la liste proposée.",
            commune=typed,
            choix=", ".join(c.label for c in candidates[:6]),
        )
        self.candidates = tuple(candidates)


@dataclass(frozen=True, slots=True)
class Departement:
    code: str
    nom: str
    region: str

    @property
    def label(self) -> str:
        return f"{self.code} — {self.nom}"


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    nom: str
    departements: tuple[str, ...]
    ancienne: bool = False


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    # Squares as products, as numpy computes them: the households' index gives the same bits (index.py).
    north, east = math.sin(dphi / 2), math.sin(dlambda / 2)
    a = north * north + math.cos(phi1) * math.cos(phi2) * (east * east)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_text(km: float) -> Text:
    """How far, as a member reads it: « à 12 km », and « à moins d'1 km » rather than « à 0 km »."""
    if km < 1:
        return Text("à moins d'1 km")
    return Text("à {km} km", km=round(km))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) of a box that holds every point within `radius_km`: the
    longitude span is that of the spherical cap (wider than a flat approximation away from the equator)."""
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle)
    spread = math.sin(angle) / max(math.cos(math.radians(lat)), 1e-9)
    dlon = math.degrees(math.asin(spread)) if spread < 1 else 180.0
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


class Geography:
    def __init__(
        self, communes: Iterable[Commune], departements: Iterable[Departement], regions: Iterable[Region]
    ) -> None:
        self.communes: dict[str, Commune] = {c.insee: c for c in communes}
        self.departements: dict[str, Departement] = {d.code: d for d in departements}
        self.regions: dict[str, Region] = {fold(r.nom): r for r in regions if not r.ancienne}
        self.old_regions: dict[str, Region] = {fold(r.nom): r for r in regions if r.ancienne}
        self._region_aliases = {"paca": "provence alpes cote d azur", "idf": "ile de france"}
        self._by_postal: dict[str, list[Commune]] = defaultdict(list)
        self._by_name: dict[str, list[Commune]] = defaultdict(list)
        self._grid: dict[tuple[int, int], list[Commune]] = defaultdict(list)
        # Each name folded once: folding them was half the time spent building these lookups.
        folded = {insee: fold(commune.nom) for insee, commune in self.communes.items()}
        for commune in self.communes.values():
            for code in commune.codes_postaux:
                self._by_postal[code].append(commune)
            self._by_name[folded[commune.insee]].append(commune)
            if commune.lat is not None and commune.lon is not None:
                self._grid[(math.floor(commune.lat), math.floor(commune.lon))].append(commune)
        for found in (*self._by_postal.values(), *self._by_name.values()):
            found.sort(key=lambda c: (-c.population, c.insee))
        # Autocomplete ranks communes largest first. A prefix such as « saint- » or « 13 » starts thousands of
        # them: each commune's place in that order, kept beside the sorted names and postal codes, lets the
        # largest few be picked among plain integers instead of sorting the communes on every keystroke.
        self._by_size = sorted(self.communes.values(), key=lambda c: (-c.population, c.insee))
        size_rank = {c.insee: rank for rank, c in enumerate(self._by_size)}
        named = sorted((folded[insee], rank) for insee, rank in size_rank.items())
        self._names = [name for name, _ in named]
        self._name_ranks = [rank for _, rank in named]
        postal = sorted((code, size_rank[c.insee]) for code, cs in self._by_postal.items() for c in cs)
        self._postal_codes = [code for code, _ in postal]
        self._postal_ranks = [rank for _, rank in postal]
        self._departement_names = {fold(d.nom): d for d in self.departements.values()}
        # "Réunion" for "La Réunion", "Manche" is already bare: names without their article.
        for d in self.departements.values():
            self._departement_names.setdefault(_ARTICLE.sub("", fold(d.nom)), d)

    # ----------------------------------------------------------------- communes

    def commune(self, insee: str) -> Commune | None:
        return self.communes.get(insee.strip().upper())

    def find_communes(self, typed: str, limit: int = 25) -> list[Commune]:
        """Autocomplete: by INSEE code, postal code (or its start), or name start; largest first."""
        text = typed.strip()
        if not text:
            return []
        if text[:2].isdigit() or text[:2].upper() in ("2A", "2B"):
            # People type postal codes far more than INSEE codes: those come first.
            postal = self._largest(self._postal_codes, self._postal_ranks, text, limit) if text.isdigit() else []
            insee = self.commune(text)
            return _dedupe([*postal, *([insee] if insee else [])])[:limit]
        key = fold(text)
        # The communes named exactly so come first; they open the range of names starting with `key`.
        exact = self._by_name.get(key, [])
        return [*exact, *self._largest(self._names, self._name_ranks, key, limit, skip=len(exact))][:limit]

    def _largest(self, keys: list[str], ranks: list[int], prefix: str, limit: int, skip: int = 0) -> list[Commune]:
        """The `limit` largest communes among those whose sorted `keys` start with `prefix` (the first `skip`
        of them left out), each once."""
        start = bisect.bisect_left(keys, prefix) + skip
        end = bisect.bisect_left(keys, prefix + "\U0010ffff", lo=start)
        return [self._by_size[rank] for rank in heapq.nsmallest(limit, set(ranks[start:end]))]

    def with_postal_code(self, code: str) -> list[Commune]:
        """The communes of one whole postal code (several share some)."""
        return list(self._by_postal.get(code.strip(), []))

    def resolve_commune(self, typed: str) -> Commune:
        """The one commune meant by `typed`: an autocomplete value ("insee:63113"), a postal code of a
        single commune, an INSEE code, a unique name or "Nom (dép)"; otherwise a UserError naming
        the candidates."""
        text = typed.strip()
        if not fold(text):
            raise UserError("Je ne trouve pas la commune « {commune} ».", commune=typed)
        if text.startswith(CHOICE_PREFIX):
            exact = self.commune(text.removeprefix(CHOICE_PREFIX))
            if exact:
                return exact
        postal = self._by_postal.get(text) or []
        # A postal code of an arrondissement also belongs to its city: the arrondissement is the answer.
        parents = {c.parent for c in postal if c.parent}
        candidates = [c for c in postal if c.insee not in parents]
        insee = self.commune(text)
        if insee and insee not in candidates:
            candidates.append(insee)
        if not candidates:
            name, _, rest = text.partition("(")
            departement = rest.rstrip(") ").strip().upper()
            candidates = self._by_name.get(fold(name), [])
            if departement:
                candidates = [c for c in candidates if c.departement == departement]
            if not candidates and not departement:
                candidates = self.find_communes(name, limit=2)
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise UserError("Je ne trouve pas la commune « {commune} ».", commune=typed)
        raise AmbiguousCommune(typed, candidates)

    def named(self, typed: str, departement: str) -> list[Commune]:
        """The communes of département `departement` whose name is `typed` (case, accents, hyphens aside)."""
        return [c for c in self._by_name.get(fold(typed), []) if c.departement == departement]

    def within(self, lat: float, lon: float, radius_km: float) -> list[tuple[Commune, float]]:
        """Communes within `radius_km`, nearest first; a grid of whole degrees keeps it fast."""
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_km)
        found = []
        for cell_lat in range(math.floor(min_lat), math.floor(max_lat) + 1):
            for cell_lon in range(math.floor(min_lon), math.floor(max_lon) + 1):
                for commune in self._grid.get((cell_lat, cell_lon), ()):
                    assert commune.lat is not None and commune.lon is not None
                    distance = distance_km(lat, lon, commune.lat, commune.lon)
                    if distance <= radius_km:
                        found.append((commune, distance))
        return sorted(found, key=lambda pair: (pair[1], pair[0].insee))

    # ----------------------------------------------------------------- départements and régions

    def departement(self, typed: str) -> Departement:
        """By number ("63", "2a", "971") or name ("puy de dome")."""
        text = typed.strip()
        code = text.upper().zfill(2) if text.isdigit() and len(text) < 2 else text.upper()
        found = self.departements.get(code) or self._departement_names.get(fold(text))
        if found is None:
            head = text.split("—")[0].strip().upper()
            found = self.departements.get(head)
        if found is None and len(matches := self.find_departements(text, limit=2)) == 1:
            found = matches[0]  # a unique beginning ("finist") is not a guess
        if found is None:
            raise UserError("Je ne connais pas le département « {departement} ».", departement=typed)
        return found

    def find_departements(self, typed: str, limit: int = 25) -> list[Departement]:
        key = fold(typed)
        code = typed.strip().upper()
        if not key:
            return list(self.departements.values())[:limit]
        matches = [
            d
            for d in self.departements.values()
            if d.code.startswith(code) or fold(d.nom).startswith(key) or f" {key}" in f" {fold(d.nom)}"
        ]
        return sorted(matches, key=lambda d: (not d.code.startswith(code), d.code))[:limit]

    def region(self, typed: str) -> Region:
        """A région by name, current or before 2016 ("Auvergne", "Midi-Pyrénées"), or by INSEE code."""
        key = fold(typed)
        key = self._region_aliases.get(key, key)
        # Five old régions share their name with a current one (Bretagne…): the current one wins.
        found = (
            self.regions.get(key)
            or self.old_regions.get(key)
            or next((r for r in self.regions.values() if r.code == typed.strip()), None)
        )
        if found is None:
            raise UserError("Je ne connais pas la région « {region} ».", region=typed)
        return found

    def region_today(self, region: Region) -> str:
        """The code of the région a former one's départements are in now (« Auvergne » → Auvergne-Rhône-Alpes)."""
        if not region.ancienne or not region.departements:
            return region.code
        found = self.departements.get(region.departements[0])
        return found.region if found else region.code

    def find_regions(self, typed: str, limit: int = 25) -> list[Region]:
        key = fold(typed)
        current = [r for name, r in self.regions.items() if name.startswith(key) or f" {key}" in f" {name}"]
        old = [
            r
            for name, r in self.old_regions.items()
            if (name.startswith(key) or f" {key}" in f" {name}") and name not in self.regions
        ]
        return [*sorted(current, key=lambda r: r.nom), *sorted(old, key=lambda r: r.nom)][:limit]


def _dedupe(communes: list[Commune]) -> list[Commune]:
    seen: set[str] = set()
    return [c for c in communes if not (c.insee in seen or seen.add(c.insee))]  # type: ignore[func-returns-value]


def _float(text: str) -> float | None:
    return float(text) if text else None


def load(directory: Path = DATA_DIR) -> Geography:
    with gzip.open(directory / "communes.tsv.gz", "rt", encoding="utf-8", newline="") as handle:
        communes = [
            Commune(
                insee=row["insee"],
                nom=row["nom"],
                codes_postaux=tuple(row["codes_postaux"].split(";")) if row["codes_postaux"] else (),
                departement=row["departement"],
                region=row["region"],
                population=int(row["population"] or 0),
                lat=_float(row["lat"]),
                lon=_float(row["lon"]),
                parent=row["parent"] or None,
            )
            for row in csv.DictReader(handle, delimiter="\t")
        ]
    departements = [Departement(r["code"], r["nom"], r["region"]) for r in _tsv(directory / "departements.tsv")]
    by_region: dict[str, list[str]] = defaultdict(list)
    for d in departements:
        by_region[d.region].append(d.code)
    regions = [Region(r["code"], r["nom"], tuple(by_region[r["code"]])) for r in _tsv(directory / "regions.tsv")]
    regions += [
        Region(r["region"], r["nom"], tuple(r["departements"].split(";")), ancienne=True)
        for r in _tsv(directory / "anciennes_regions.tsv")
    ]
    return Geography(communes, departements, regions)


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@cache
def geography() -> Geography:
    """The shipped geography, loaded once per process."""
    return load()
