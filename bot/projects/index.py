"""The published projects in memory, searched and ranked with numpy: the national database holds some 20,000,
and a search or a household's suggestions read a few of their columns for all of them. SQL answered a common
word within a radius in about 10 ms (the full-text match, the box, the ranking and the rows, for thousands of
matches); here it takes well under one, and both engines rank alike.

Each project is a row of columns (place, département, stage, initiative, legal form, recruiting, publics and
shared spaces as bitmasks) beside its folded French stems (`bot.text.stemmed`, written by the store), with the
rows where each stem occurs, stems in sorted order so that the stems a search word starts are one run. A search
word is a stem prefix, every word required, and the ranking is the Okapi BM25 of SQLite's FTS5 (k1 1.2, b 0.75,
an IDF of at least 1e-6) over the published projects; then distance, then name, then id, as before.

`recruiting` applies the hard limits of `score_project` and computes its score with the same operations, so
that a household's suggested projects are those the pure function would rank first (a property test holds the
two together); the service scores the best few again with it, from their summaries, which also gives the
reasons.

Each row also keeps what a page of results shows of its project (`ProjectSummary`, put together when asked
for from the columns and the row's words): a search and its pages read nothing from the database.

Kept current from `project_changes` (migrations 0024 and 0026), as the households' index is (bot/changes.py).
Changed rows are appended, with their own small table of stems, and everything is rebuilt once that tail
grows."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.changes import ChangeCursor, Changed, put_rows
from bot.clock import from_db
from bot.geo import EARTH_RADIUS_KM, bounding_box
from bot.households.matching import (
    HORIZON_OF,
    PROJECT_VALUES,
    SHARED_VALUES_CAP,
    STAGE_OF,
    TENURES,
    WEIGHTS,
    horizon_score,
    reach,
)
from bot.households.models import HouseholdProfile
from bot.limits import clip
from bot.projects.models import EXCERPT, ProjectStatus, ProjectSummary, SearchFilters, SearchHit
from bot.text import stems
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public, Valeur, mask_of

Array = NDArray[Any]

PART = 1_000  # texts split at a time while building the postings
COMPACT_AT = 512  # changed rows appended before everything is rebuilt (or a sixteenth of the rows)
K1, B = 1.2, 0.75  # FTS5's bm25()
IDF_FLOOR = 1e-6
EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
LAST = "\U0010ffff"  # sorts after any character a stem may hold
ETAPES, INITIATIVES, FORMES = list(Etape), list(Initiative), list(FormeJuridique)
PUBLICS, SPACES = list(Public), list(EspacePartage)
COLUMNS: dict[str, type[np.generic]] = {
    "id": np.int64,
    "lat": np.float64,  # NaN: no place
    "lon": np.float64,
    "phi": np.float64,  # the latitude in radians, and its cosine: read by every distance
    "cos_phi": np.float64,
    "departement": np.int16,
    "etape": np.int8,
    "initiative": np.int8,
    "forme": np.int8,
    "recrute": np.bool_,
    "publics": np.uint16,
    "spaces": np.uint16,
    "valeurs": np.uint16,  # the values its publics and spaces show (PROJECT_VALUES), as a household's mask
    "logements": np.int32,  # 0: not said
    "confirmed": np.int64,  # when last confirmed, in microseconds since 1970 (UTC)
    "length": np.float64,  # stems in its text
    "order": np.int64,  # its place in the order of names (then ids)
    "alive": np.bool_,
}
# A public's or a space's value, as bits of the households' values.
_SHOWN: list[tuple[int, int, bool]] = [
    (mask_of([member], type(member)), mask_of([value], Valeur), isinstance(member, Public))
    for member, value in PROJECT_VALUES.items()
]


def _shown_values(public_mask: int, space_mask: int) -> int:
    shown = 0
    for bit, value, public in _SHOWN:
        if (public_mask if public else space_mask) & bit:
            shown |= value  # two spaces may show one value
    return shown


class Postings:
    """The rows where each stem occurs and how often, stems in sorted order."""

    def __init__(self, first: int, texts: Sequence[str]) -> None:
        number: dict[str, int] = {}
        terms, rows = [], []
        # A part at a time: the words of all texts at once would be half a million small strings, whose memory
        # the interpreter keeps once they are freed.
        for start in range(0, len(texts), PART):
            words = [text.split() for text in texts[start : start + PART]]
            flat = [stem for row in words for stem in row]
            terms.append(np.fromiter((number.setdefault(stem, len(number)) for stem in flat), np.int64, len(flat)))
            numbers = np.arange(first + start, first + start + len(words), dtype=np.int64)
            rows.append(np.repeat(numbers, [len(w) for w in words]))
        self.stems = sorted(number)
        place = np.zeros(len(number), np.int64)
        place[[number[stem] for stem in self.stems]] = np.arange(len(number))
        stride = first + len(texts) + 1
        term = place[np.concatenate(terms)] if terms else np.zeros(0, np.int64)
        row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        keys, counts = np.unique(term * stride + row, return_counts=True)
        self.rows = (keys % stride).astype(np.int32)
        self.counts = counts.astype(np.float32)
        self.starts = np.searchsorted(keys // stride, np.arange(len(self.stems) + 1))

    def frequencies(self, prefix: str, size: int) -> Array:
        """How often each row holds a stem starting with `prefix` (0.0 for none)."""
        start = int(self.starts[bisect_left(self.stems, prefix)])
        end = int(self.starts[bisect_left(self.stems, prefix + LAST)])
        return np.bincount(self.rows[start:end], weights=self.counts[start:end], minlength=size)


class ProjectIndex:
    def __init__(self) -> None:
        self.cols: dict[str, Array] = {name: np.zeros(0, dtype) for name, dtype in COLUMNS.items()}
        self.names: list[str] = []  # each row's folded name, the order's first key
        self.texts: list[str] = []  # each row's stems, to rebuild the postings
        self.labels: list[tuple[str, str, str]] = []  # each row's name, commune and excerpt, for its summary
        self.size = 0  # rows used, alive or not
        self.built = 0  # rows [0, built) are in `self.postings`, the others in `self.tail`
        self.postings = self.tail = Postings(0, [])
        self._row: dict[int, int] = {}  # project -> its live row
        self._departements: dict[str, int] = {}  # a département's number in the column
        # The rows rebuilt, by département number: those of number d are _grouped[_starts[d]:_starts[d + 1]].
        self._grouped: Array = np.zeros(0, np.int64)
        self._starts: Array = np.zeros(1, np.int64)
        self.changes = ChangeCursor()

    def __len__(self) -> int:
        return len(self._row)

    @property
    def nbytes(self) -> int:
        postings = (self.postings, self.tail)
        arrays = [*self.cols.values(), *(p.rows for p in postings), *(p.counts for p in postings), self._grouped]
        return sum(int(array.nbytes) for array in arrays)

    # ----------------------------------------------------------------- keeping current

    def apply(self, rows: Sequence[Changed], now: float, stems_of: Mapping[int, str]) -> None:
        """Changed projects, as `ProjectStore.changes` reads them; `stems_of` gives the stems of those that had
        none written (ProjectStore.fill_stems)."""
        if not rows:
            return
        self.changes.read([int(row["seq"]) for row in rows], now)
        for row in rows:
            self.drop(int(row["id"]))
        self._append([row for row in rows if row["statut"] == ProjectStatus.publie], stems_of)
        if self.size - self.built > max(COMPACT_AT, self.built // 16):
            self._compact()
        else:
            self.tail = Postings(self.built, self.texts[self.built :])
        self._order()

    def drop(self, project_id: int) -> None:
        row = self._row.pop(project_id, None)
        if row is not None:
            self.cols["alive"][row] = False

    def _append(self, rows: Sequence[Changed], stems_of: Mapping[int, str]) -> None:
        if not rows:
            return
        count = len(rows)
        lat = np.array([math.nan if row["lat"] is None else row["lat"] for row in rows], np.float64)
        lon = np.array([math.nan if row["lon"] is None else row["lon"] for row in rows], np.float64)
        phi = np.radians(lat)
        texts = [row["stems"] if row["stems"] is not None else stems_of[row["id"]] for row in rows]
        new: dict[str, Array] = {
            "id": np.fromiter((row["id"] for row in rows), np.int64, count),
            "lat": lat,
            "lon": lon,
            "phi": phi,
            "cos_phi": np.cos(phi),
            "departement": np.fromiter(
                (self._departements.setdefault(row["departement"], len(self._departements)) for row in rows),
                np.int16,
                count,
            ),
            "etape": np.fromiter((ETAPES.index(Etape(row["etape"])) for row in rows), np.int8, count),
            "initiative": np.fromiter(
                (INITIATIVES.index(Initiative(row["initiative"])) for row in rows), np.int8, count
            ),
            "forme": np.fromiter(
                (FORMES.index(FormeJuridique(row["forme_juridique"])) for row in rows), np.int8, count
            ),
            "recrute": np.fromiter((bool(row["recrute"]) for row in rows), np.bool_, count),
            "publics": np.fromiter((row["public_mask"] for row in rows), np.uint16, count),
            "spaces": np.fromiter((row["space_mask"] for row in rows), np.uint16, count),
            "valeurs": np.fromiter(
                (_shown_values(row["public_mask"], row["space_mask"]) for row in rows), np.uint16, count
            ),
            "logements": np.fromiter((row["logements"] or 0 for row in rows), np.int32, count),
            "confirmed": np.fromiter(
                ((from_db(row["confirmed_at"]) - EPOCH) // MICROSECOND for row in rows), np.int64, count
            ),
            "length": np.fromiter((text.count(" ") + 1 if text else 0 for text in texts), np.float64, count),
            "order": np.zeros(count, np.int64),
            "alive": np.ones(count, np.bool_),
        }
        start, self.size = self.size, put_rows(self.cols, self.size, new, 256)
        self.names.extend(row["nom_cle"] for row in rows)
        self.texts.extend(texts)
        # Their words only: a summary is put together from the columns when asked for (a page's worth).
        self.labels.extend(
            (row["nom"], row["commune"], clip(" ".join(row["description"].split()), EXCERPT)) for row in rows
        )
        self._row.update(zip(new["id"].tolist(), range(start, self.size), strict=True))

    def _compact(self) -> None:
        """The live rows alone, and every stem in the main postings."""
        live = np.flatnonzero(self.cols["alive"][: self.size])
        self.cols = {name: column[live] for name, column in self.cols.items()}
        kept = live.tolist()
        self.names = [self.names[row] for row in kept]
        self.texts = [self.texts[row] for row in kept]
        self.labels = [self.labels[row] for row in kept]
        self.size = self.built = len(kept)
        self._row = dict(zip(self.cols["id"].tolist(), range(self.size), strict=True))
        self.postings = Postings(0, self.texts)
        self.tail = Postings(self.size, [])
        departements = self.cols["departement"][: self.size]
        self._grouped = np.argsort(departements, kind="stable")
        self._starts = np.searchsorted(departements[self._grouped], np.arange(len(self._departements) + 1))

    def _order(self) -> None:
        """Each row's place in the order of names, then ids: a search's last keys."""
        order = np.lexsort((self.cols["id"][: self.size], np.array(self.names, dtype=str)))
        self.cols["order"][order] = np.arange(self.size)

    def summaries(self, ids: Iterable[int]) -> list[ProjectSummary]:
        """These published projects as a page of results shows them, in the order of `ids` (the others left out)."""
        c, codes = self.cols, list(self._departements)
        found = []
        for project_id in ids:
            row = self._row.get(project_id)
            if row is None:
                continue
            nom, commune, excerpt = self.labels[row]
            lat, lon = float(c["lat"][row]), float(c["lon"][row])
            found.append(
                ProjectSummary(
                    id=project_id,
                    nom=nom,
                    commune=commune,
                    departement=codes[c["departement"][row]],
                    lat=None if math.isnan(lat) else lat,
                    lon=None if math.isnan(lon) else lon,
                    etape=ETAPES[c["etape"][row]],
                    forme_juridique=FORMES[c["forme"][row]],
                    recrute=bool(c["recrute"][row]),
                    logements=int(c["logements"][row]) or None,
                    public_mask=int(c["publics"][row]),
                    space_mask=int(c["spaces"][row]),
                    excerpt=excerpt,
                    confirmed_at=EPOCH + int(c["confirmed"][row]) * MICROSECOND,
                )
            )
        return found

    # ----------------------------------------------------------------- searching

    def search(self, filters: SearchFilters, limit: int) -> list[SearchHit]:
        """Published projects matching every filter, by relevance then distance then name."""
        words = stems(filters.texte) if filters.texte else []
        if filters.texte and not words:
            return []
        c, size = self.cols, self.size
        alive = c["alive"][:size]
        ok = alive.copy()
        if filters.departement:
            ok &= c["departement"][:size] == self._departements.get(filters.departement, -1)
        if filters.departements:
            ok &= self._among(filters.departements)[c["departement"][:size]]
        if filters.etape is not None:
            ok &= c["etape"][:size] == ETAPES.index(filters.etape)
        if filters.initiative is not None:
            ok &= c["initiative"][:size] == INITIATIVES.index(filters.initiative)
        if filters.forme_juridique is not None:
            ok &= c["forme"][:size] == FORMES.index(filters.forme_juridique)
        if filters.recrute is not None:
            ok &= c["recrute"][:size] == filters.recrute
        if filters.public is not None:
            ok &= (c["publics"][:size] & np.uint16(mask_of([filters.public], Public))) != 0
        origin, centre = filters.pres_de, None
        if origin is not None and origin.lat is not None and origin.lon is not None:
            centre = (origin.lat, origin.lon)
            south, north, west, east = bounding_box(*centre, filters.rayon_km)
            lat, lon = c["lat"][:size], c["lon"][:size]
            ok &= (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)  # NaN: never
        frequencies = []
        for word in words:
            found = self.postings.frequencies(word, size) + self.tail.frequencies(word, size)
            found[~alive] = 0.0
            frequencies.append(found)
            ok &= found > 0
        rows = np.flatnonzero(ok)
        score = self._bm25(rows, frequencies, int(np.count_nonzero(alive)))
        distance = np.zeros(len(rows))
        if centre is not None:
            distance = self._distances(*centre, rows)
            near = ~(distance > filters.rayon_km)
            rows, score, distance = rows[near], score[near], distance[near]
        best = np.lexsort((c["order"][rows], distance, np.round(score, 6)))[:limit]
        return [
            SearchHit(project_id=int(c["id"][row]), distance_km=float(distance[at]) if centre is not None else None)
            for row, at in zip(rows[best].tolist(), best.tolist(), strict=True)
        ]

    def _in_departements(self, codes: Iterable[str]) -> Array:
        """The rows that may be in these départements: theirs among the rows rebuilt (a few hundred each, of
        20,000), then every row changed since."""
        runs = [
            self._grouped[self._starts[number] : self._starts[number + 1]]
            for number in (self._departements.get(code) for code in codes)
            if number is not None and number + 1 < len(self._starts)
        ]
        return np.concatenate([*runs, np.arange(self.built, self.size)])

    def _among(self, codes: Iterable[str]) -> Array:
        """By a département's number in the column: whether it is one of `codes`."""
        table = np.zeros(len(self._departements) + 1, np.bool_)
        table[[self._departements[code] for code in codes if code in self._departements]] = True
        return table

    def _bm25(self, rows: Array, frequencies: Sequence[Array], count: int) -> Array:
        """FTS5's bm25() of these rows for the search's words (negative: the lower, the better), 0 for none."""
        score = np.zeros(len(rows))
        if not frequencies or not len(rows):
            return score
        length = self.cols["length"][: self.size]
        average = float(length[self.cols["alive"][: self.size]].sum()) / count
        norm = K1 * (1 - B + B * length[rows] / average)
        for found in frequencies:
            hits = int(np.count_nonzero(found))
            idf = math.log((count - hits + 0.5) / (hits + 0.5))
            f = found[rows]
            score += (idf if idf > 0 else IDF_FLOOR) * (f * (K1 + 1)) / (f + norm)
        return -score

    def _distances(self, lat: float, lon: float, rows: Array) -> Array:
        """distance_km from (lat, lon) to these rows, operation for operation (NaN: no place)."""
        c = self.cols
        phi1 = math.radians(lat)
        north = np.sin((c["phi"][rows] - phi1) / 2)
        east = np.sin(np.radians(c["lon"][rows] - lon) / 2)
        h = north * north + math.cos(phi1) * c["cos_phi"][rows] * (east * east)
        distance: Array = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        return distance

    # ----------------------------------------------------------------- suggesting

    def recruiting(self, household: HouseholdProfile, exclude: Collection[int], limit: int) -> list[int]:
        """The `limit` recruiting projects best suited to `household`, best first, by the rounded score, then
        distance (unknown last), then id, as `ranked` orders `score_project`; `exclude` left out."""
        size, c = self.size, self.cols
        # Each hard limit a row tells, as a table by the column's numbers.
        etapes = np.array([STAGE_OF[etape] in household.etapes for etape in ETAPES])
        formes = np.array([bool(TENURES[forme] & household.statuts) for forme in FORMES])
        departements = self._among(household.departements)
        if household.horizon is None or not etapes.any() or not formes.any() or not departements.any() or not size:
            return []
        rows = self._in_departements(household.departements)
        ok = c["alive"][rows] & c["recrute"][rows] & departements[c["departement"][rows]]
        ok &= etapes[c["etape"][rows]] & formes[c["forme"][rows]]
        hidden = [self._row[project_id] for project_id in exclude if project_id in self._row]
        if hidden:
            ok &= ~np.isin(rows, hidden)
        limit_km = reach(household)
        if household.has_centre:
            assert household.lat is not None and household.lon is not None
            south, north, west, east = bounding_box(household.lat, household.lon, limit_km)
            lat, lon = c["lat"][rows], c["lon"][rows]
            ok &= (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)
        rows = rows[ok]
        if household.lat is not None and household.lon is not None:
            distance = self._distances(household.lat, household.lon, rows)
            if household.has_centre:
                near = distance <= limit_km
                rows, distance = rows[near], distance[near]
            decay = np.where(np.isnan(distance), 0.5, np.maximum(0.0, 1.0 - distance / limit_km))
        else:
            distance = np.full(len(rows), math.nan)
            decay = np.full(len(rows), 0.5)
        by_stage = np.array([horizon_score(household.horizon, HORIZON_OF[etape]) for etape in ETAPES])
        horizons = by_stage[c["etape"][rows]]
        shared = np.bitwise_count(c["valeurs"][rows] & np.uint16(mask_of(household.valeurs, Valeur)))
        publics = c["publics"][rows]
        welcomes = np.zeros(len(rows), np.int64)
        for wanted, public in (
            (household.children, Public.familles),
            (household.seniors, Public.seniors),
            (household.accessibility, Public.handicap),
        ):
            if wanted:
                welcomes += (publics & np.uint16(mask_of([public], Public))) != 0
        open_to_all = (publics & np.uint16(mask_of([Public.tous], Public))) != 0
        fit = 0.5 * (np.minimum(welcomes, 2) / 2) + 0.5 * (open_to_all | (welcomes > 0))
        score = (
            WEIGHTS["distance"] * decay
            + WEIGHTS["horizon"] * horizons
            + WEIGHTS["values"] * (np.minimum(shared, SHARED_VALUES_CAP) / SHARED_VALUES_CAP)
            + WEIGHTS["fit"] * fit
        )
        ids = c["id"][rows]
        order = np.lexsort((ids, np.where(np.isnan(distance), np.inf, distance), -np.round(score, 1)))[:limit]
        return [int(i) for i in ids[order]]
