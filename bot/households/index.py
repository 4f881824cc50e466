"""The households in memory, ranked for one household all at once with numpy: every complete, unpaused
household, as columns (place, reach, horizon, the départements and the sets as bitmasks); those visible to
households whose DMs are open are the candidates. A ranking reads an `Asker`, the numbers of a profile, from the
profile (`asker`) or from the household's own row (`asker_of`: a member asking is ranked for before their profile
is read, whether others may meet them or not). `rank` applies the hard limits of `score_households` and computes
its score with the same operations in the same order, so that the bits agree (a property test holds the two
together); the service then confirms the best against the database and scores them again with the pure
function, which also gives the reasons.

The candidates with a centre are kept first, by rows of cells of latitude and by longitude in a row, so that
those a circle can reach are a few ranges of rows: one per row of cells its box crosses (or one band of latitude,
for a wide circle). The candidates without a centre come next, then the households that only ask; changed rows
are appended after them all and the whole put back in order once the tail grows. In a dense area thousands of
households are within reach, thousands at one commune's centre: the candidates of a first small circle give a
bar, the score to reach, and with it the distance past which even the best other terms cannot reach it; the
terms the distance does not change are read through tables, the gap in latitude caps the distance term, and the
score itself is worked out only for the rows that could still reach the bar.

Kept current from `household_changes` (migration 0022): a call reads the numbers past the last one seen, once
the log moved (bot/changes.py)."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.changes import ChangeCursor, Changed, put_rows
from bot.geo import EARTH_RADIUS_KM, KM_PER_DEGREE, bounding_box
from bot.households.matching import (
    COMPLEMENT_CAP,
    DEFAULT_AREA_KM,
    HORIZONS,
    SHARED_VALUES_CAP,
    WEIGHTS,
    horizon_score,
    reach,
)
from bot.households.models import COMPLETE, HouseholdProfile
from bot.vocabulary import Apport, EtapeRejointe, Statut, Valeur, mask_of

CELL_DEGREES = 0.1  # the candidates with a centre are kept by rows of cells this tall, by longitude in each row
BOX_CELLS = 16  # past this many rows of cells, a circle's candidates are read as one band of latitude
FIRST_KM = 10.0  # the circle searched first, for the score the others must reach
COMPACT_AT = 512  # changed rows appended before the rows are put back in order (or a sixteenth of them)
DEPARTEMENT_BITS = 128
PRUNE_PAST = 4  # times the households asked for: past this many within the hard limits, the hopeless are left out
# By the gap between two horizons' positions.
HORIZON_SCORES = np.array([horizon_score(HORIZONS[0], other) for other in HORIZONS])
# The weighted terms by what two households share (or one lacks), for `_tables`: by the two horizons' positions,
# the number of values shared, of skills one brings and not the other, and by the two sets of stages.
HORIZON_TERMS = (
    WEIGHTS["horizon"] * HORIZON_SCORES[np.abs(np.subtract.outer(range(len(HORIZONS)), range(len(HORIZONS))))]
)
SHARED_TERMS = WEIGHTS["values"] * (np.minimum(np.arange(len(Valeur) + 1), SHARED_VALUES_CAP) / SHARED_VALUES_CAP)
EXCHANGED_TERMS = WEIGHTS["fit"] * (0.6 * (np.minimum(np.arange(len(Apport) + 1), COMPLEMENT_CAP) / COMPLEMENT_CAP))
STAGE_TERMS = WEIGHTS["fit"] * (
    0.4 * (np.bitwise_and.outer(range(1 << len(EtapeRejointe)), range(1 << len(EtapeRejointe))) != 0)
)
VALUE_MASKS = np.arange(1 << len(Valeur), dtype=np.uint16)
APPORT_MASKS = np.arange(1 << len(Apport), dtype=np.uint16)
COLUMNS: dict[str, type[np.generic]] = {
    "uid": np.int64,
    "lat": np.float64,  # NaN: no centre
    "lon": np.float64,
    "phi": np.float64,  # the latitude in radians, and its cosine: read by every distance
    "cos_phi": np.float64,
    "reach": np.float64,
    "horizon": np.int8,
    "statuts": np.uint8,
    "etapes": np.uint8,
    "valeurs": np.uint16,
    "apports": np.uint16,
    "dep_low": np.uint64,
    "dep_high": np.uint64,
    "alive": np.bool_,  # the household's current row
    "candidate": np.bool_,  # ...and may be suggested (`matchable`)
}

Array = NDArray[Any]
Tables = tuple[Array, Array, Array, Array]


@dataclass(frozen=True, slots=True)
class Asker:
    """What ranking households for one of them reads: the numbers of their profile, as the index keeps them."""

    user_id: int
    lat: float | None  # None: no centre
    lon: float | None
    reach: float
    horizon: int  # its position in HORIZONS
    statuts: int  # the vocabularies' bitmasks
    etapes: int
    valeurs: int
    apports: int
    dep_low: int  # the départements, as the index's two words
    dep_high: int


def asks(row: Changed) -> bool:
    """What the store's rows must say for a household to be given suggestions."""
    return bool(row["step"] == COMPLETE and not row["paused"])


def matchable(row: Changed) -> bool:
    """What the store's rows must say for a household to be suggested to another one."""
    return asks(row) and bool(row["visible_households"] and not row["dm_closed"])


class MatchIndex:
    def __init__(self) -> None:
        self.cols: dict[str, Array] = {name: np.zeros(0, dtype) for name, dtype in COLUMNS.items()}
        self.size = 0  # rows used, alive or not
        self.ordered = 0  # rows [0, ordered) are in order: the candidates by latitude, those with a centre first
        self.centred = 0  # rows [0, centred) are candidates with a centre
        self.candidates = 0  # rows [0, candidates) are candidates, [candidates, ordered) only ask
        self.max_reach = 0.0
        self._bits: dict[str, int] = {}  # a département's bit
        self._tail: dict[int, int] = {}  # household -> row, past `ordered`
        self._by_uid: Array = np.zeros(0, np.int64)  # the ordered rows, sorted by household
        self._uids: Array = np.zeros(0, np.int64)
        self._key: Array = np.zeros(0, np.float64)  # the candidates with a centre: their row of cells, then longitude
        self.changes = ChangeCursor()

    def __len__(self) -> int:
        """The households that may be suggested."""
        return int(np.count_nonzero(self.cols["candidate"][: self.size]))

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.cols.values()) + self._by_uid.nbytes + self._uids.nbytes + self._key.nbytes

    # ----------------------------------------------------------------- keeping current

    def apply(self, rows: Sequence[Changed], now: float) -> None:
        """Changed households, in order of change number, as `HouseholdStore.changes` reads them."""
        if not rows:
            return
        self.changes.read([int(row["seq"]) for row in rows], now)
        self._forget(np.fromiter((row["user_id"] for row in rows), np.int64, len(rows)))
        self._append([row for row in rows if asks(row)])
        if self.size - self.ordered > max(COMPACT_AT, self.ordered // 16):
            self._compact()

    def drop(self, user_id: int) -> None:
        """No longer suggested from here (erased here, or found gone or changed in the database)."""
        self._forget(np.array([user_id], np.int64))

    def _rows_of(self, uids: Array) -> Array:
        """The live-or-dead rows holding these households (-1 for none)."""
        found = np.full(len(uids), -1, np.int64)
        if len(self._uids):
            at = np.minimum(np.searchsorted(self._uids, uids), len(self._uids) - 1)
            hit = self._uids[at] == uids
            found[hit] = self._by_uid[at[hit]]
        for i, uid in enumerate(uids.tolist()):
            tail = self._tail.get(uid)
            if tail is not None:
                found[i] = tail
        return found

    def _forget(self, uids: Array) -> None:
        rows = self._rows_of(uids)
        rows = rows[rows >= 0]
        self.cols["alive"][rows] = self.cols["candidate"][rows] = False

    def _append(self, rows: Sequence[Changed]) -> None:
        if not rows:
            return
        count = len(rows)
        lat = np.array([math.nan if row["lat"] is None else row["lat"] for row in rows], np.float64)
        lon = np.array([math.nan if row["lon"] is None else row["lon"] for row in rows], np.float64)
        radius = np.array([math.nan if row["radius_km"] is None else row["radius_km"] for row in rows], np.float64)
        departements = [self._masks(row["departements"].split(), learn=True) for row in rows]
        phi = np.radians(lat)
        new: dict[str, Array] = {
            "uid": np.fromiter((row["user_id"] for row in rows), np.int64, count),
            "lat": lat,
            "lon": lon,
            "phi": phi,
            "cos_phi": np.cos(phi),
            # As `reach`: the radius around a centre, else the default area.
            "reach": np.where(np.isnan(lat) | np.isnan(lon) | np.isnan(radius), DEFAULT_AREA_KM, radius),
            "horizon": np.fromiter((HORIZONS.index(row["horizon"]) for row in rows), np.int8, count),
            "statuts": np.fromiter((row["statut_mask"] for row in rows), np.uint8, count),
            "etapes": np.fromiter((row["etape_mask"] for row in rows), np.uint8, count),
            "valeurs": np.fromiter((row["valeur_mask"] for row in rows), np.uint16, count),
            "apports": np.fromiter((row["apport_mask"] for row in rows), np.uint16, count),
            "dep_low": np.fromiter((low for low, _ in departements), np.uint64, count),
            "dep_high": np.fromiter((high for _, high in departements), np.uint64, count),
            "alive": np.ones(count, np.bool_),
            "candidate": np.fromiter((matchable(row) for row in rows), np.bool_, count),
        }
        start, self.size = self.size, put_rows(self.cols, self.size, new, 1024)
        self._tail.update(zip(new["uid"].tolist(), range(start, self.size), strict=True))
        self.max_reach = max(self.max_reach, float(new["reach"][new["candidate"]].max(initial=0.0)))

    def _compact(self) -> None:
        """The live rows back in order: the candidates with a centre by row of cells then longitude, those
        without one, then the households that only ask."""
        live = np.flatnonzero(self.cols["alive"][: self.size])
        lat, lon, candidate = self.cols["lat"][live], self.cols["lon"][live], self.cols["candidate"][live]
        centred = candidate & ~np.isnan(lat) & ~np.isnan(lon)
        key = np.floor(lat / CELL_DEGREES) * 1000.0 + (lon + 180.0)
        by = np.lexsort((np.where(centred, key, 0.0), np.where(centred, 0, np.where(candidate, 1, 2))))
        order = live[by]
        self.cols = {name: column[order] for name, column in self.cols.items()}
        self.size = self.ordered = len(order)
        self.candidates = int(np.count_nonzero(candidate))
        self.centred = int(np.count_nonzero(centred))
        self._key = key[by][: self.centred]
        self._tail.clear()
        self._by_uid = np.argsort(self.cols["uid"], kind="stable")
        self._uids = self.cols["uid"][self._by_uid]
        self.max_reach = float(self.cols["reach"][: self.candidates].max(initial=0.0))

    # ----------------------------------------------------------------- ranking

    def asker(self, profile: HouseholdProfile) -> Asker | None:
        """What a ranking reads of `profile` (None when it cannot be matched: no département, tenure or
        horizon)."""
        if not profile.departements or not profile.statuts or profile.horizon is None:
            return None
        low, high = self._masks(profile.departements)
        centred = profile.lat is not None and profile.lon is not None
        return Asker(
            profile.user_id,
            profile.lat if centred else None,
            profile.lon if centred else None,
            reach(profile),
            HORIZONS.index(profile.horizon),
            mask_of(profile.statuts, Statut),
            mask_of(profile.etapes, EtapeRejointe),
            mask_of(profile.valeurs, Valeur),
            mask_of(profile.apports, Apport),
            low,
            high,
        )

    def asker_of(self, user_id: int) -> Asker | None:
        """What a ranking reads of a household, from its own row (None when it has none: not complete, or
        paused): the same as `asker` of its profile, as of the index's last reading."""
        row = int(self._rows_of(np.array([user_id], np.int64))[0])
        c = self.cols
        if row < 0 or not c["alive"][row]:
            return None
        lat, lon = float(c["lat"][row]), float(c["lon"][row])
        centred = not (math.isnan(lat) or math.isnan(lon))
        return Asker(
            user_id,
            lat if centred else None,
            lon if centred else None,
            float(c["reach"][row]),
            int(c["horizon"][row]),
            int(c["statuts"][row]),
            int(c["etapes"][row]),
            int(c["valeurs"][row]),
            int(c["apports"][row]),
            int(c["dep_low"][row]),
            int(c["dep_high"][row]),
        )

    def rank(self, a: Asker | None, exclude: Collection[int], limit: int) -> list[int]:
        """The `limit` households best suited to `a`, best first, by the rounded score, then distance (unknown
        last), then id, as `ranked` orders `score_households`; `exclude` and `a` itself left out."""
        if a is None or not (a.dep_low or a.dep_high) or not a.statuts or not self.size:
            return []
        hidden = self._rows_of(np.fromiter((*exclude, a.user_id), np.int64))
        hidden = hidden[hidden >= 0]
        was = self.cols["candidate"][hidden].copy()
        self.cols["candidate"][hidden] = False
        tables = self._tables(a)
        try:
            rows, bound, bar = self._within(a, tables, limit)
        finally:
            self.cols["candidate"][hidden] = was
        if bar is None and len(rows) > PRUNE_PAST * limit:
            bar = self._bar(a, rows, bound, limit)
        if bar is not None:
            # Left out: the rows whose score could not round up to the `limit`-th best.
            rows = rows[bound >= bar]
        uid, score, distance = self._scored(a, rows, self._parts(a, rows))
        rounded = np.round(score, 1)
        if len(uid) > limit:
            # Whatever ties with the last one kept goes on to the finer order.
            kept = np.flatnonzero(rounded >= np.partition(rounded, len(uid) - limit)[len(uid) - limit])
            uid, distance, rounded = uid[kept], distance[kept], rounded[kept]
        order = np.lexsort((uid, np.where(np.isnan(distance), np.inf, distance), -rounded))[:limit]
        return [int(u) for u in uid[order]]

    def _within(self, a: Asker, tables: Tables, limit: int) -> tuple[Array, Array, float | None]:
        """The rows that the hard limits of `score_households(a, b)` but distance allow, among those near enough
        to rank, the most each one's score can be (`_bound`) and, when known, the least score that may still rank
        (`_bar`). For a household with a centre, the candidates within FIRST_KM give that bar, and none farther
        than what the best other terms leave of the distance term to reach it can rank; those without a centre
        and the tail are always read."""
        rest = np.concatenate(
            [
                self._allowed(a, start, end)
                for start, end in ((self.centred, self.candidates), (self.ordered, self.size))
            ]
        )
        if a.lat is None or a.lon is None:
            rows = np.concatenate([self._allowed(a, 0, self.centred), rest])
            return rows, self._bound(a, tables, rows), None
        full = a.reach + self.max_reach
        if full > FIRST_KM:
            near = self._in_box(a, FIRST_KM)
            near_bound = self._bound(a, tables, near)
            bar = self._bar(a, near, near_bound, limit)
            if bar is not None:
                ceiling = sum(float(table.max()) for table in tables)
                radius = min(full, (1 - (bar - ceiling) / WEIGHTS["distance"]) * full)
                if radius <= FIRST_KM:
                    return np.concatenate([near, rest]), np.concatenate([near_bound, self._bound(a, tables, rest)]), bar
                rows = np.concatenate([self._in_box(a, radius), rest])
                return rows, self._bound(a, tables, rows), bar
        rows = np.concatenate([self._in_box(a, full), rest])
        return rows, self._bound(a, tables, rows), None

    def _in_box(self, a: Asker, radius: float) -> Array:
        """The candidates with a centre within `radius` of `a`'s, and a few more, that the other hard limits allow:
        the rows of the box's ranges gathered at once, a few thousand at most, rather than read range by range."""
        starts, ends = self._box(a, radius)
        if len(starts) == 1:
            return self._allowed(a, int(starts[0]), int(ends[0]))
        lengths = ends - starts
        rows = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        return self._allowed_among(a, rows)

    def _box(self, a: Asker, radius: float) -> tuple[Array, Array]:
        """The ranges of candidates with a centre that hold every one within `radius` of `a`'s, as their starts
        and ends: in each row of cells the box crosses, those between its longitudes; one band of latitude for a
        tall box (or one that crosses the antimeridian)."""
        assert a.lat is not None and a.lon is not None
        south, north, west, east = bounding_box(a.lat, a.lon, radius * (1 + 1e-9) + 1e-6)
        first, last = math.floor(south / CELL_DEGREES), math.floor(north / CELL_DEGREES)
        if last - first >= BOX_CELLS or west < -180 or east > 180:
            band = np.searchsorted(self._key, [first * 1000.0, (last + 1) * 1000.0])
            return band[:1], band[1:]
        cells = np.arange(first, last + 1) * 1000.0
        return (
            np.searchsorted(self._key, cells + (west + 180.0), "left"),
            np.searchsorted(self._key, cells + (east + 180.0), "right"),
        )

    def _allowed(self, a: Asker, start: int, end: int) -> Array:
        """The rows of [start, end) that the hard limits of `score_households(a, b)` but distance allow."""
        return np.flatnonzero(self._allows(a, slice(start, end))) + start

    def _allowed_among(self, a: Asker, rows: Array) -> Array:
        """Those of these rows that the hard limits of `score_households(a, b)` but distance allow."""
        allowed: Array = rows[self._allows(a, rows)]
        return allowed

    def _allows(self, a: Asker, at: slice | Array) -> Array:
        """Whether the hard limits but distance allow each of these rows."""
        c = self.cols
        ok: Array = c["candidate"][at] & ((c["statuts"][at] & np.uint8(a.statuts)) != 0)
        # Most households' départements are all in one of the two words: the other one is not read.
        if a.dep_low and a.dep_high:
            ok &= ((c["dep_low"][at] & np.uint64(a.dep_low)) | (c["dep_high"][at] & np.uint64(a.dep_high))) != 0
        elif a.dep_low:
            ok &= (c["dep_low"][at] & np.uint64(a.dep_low)) != 0
        else:
            ok &= (c["dep_high"][at] & np.uint64(a.dep_high)) != 0
        return ok

    def _parts(self, a: Asker, rows: Array) -> Array:
        """For these rows, the score's terms that the distance does not change: horizon, values, fit (as rows)."""
        c = self.cols
        horizons = HORIZON_SCORES[np.abs(c["horizon"][rows].astype(np.int64) - a.horizon)]
        shared = np.bitwise_count(c["valeurs"][rows] & np.uint16(a.valeurs))
        exchanged = np.bitwise_count(c["apports"][rows] ^ np.uint16(a.apports))
        stages = (c["etapes"][rows] & np.uint8(a.etapes)) != 0
        fit = 0.6 * (np.minimum(exchanged, COMPLEMENT_CAP) / COMPLEMENT_CAP) + 0.4 * stages
        return np.stack((horizons, np.minimum(shared, SHARED_VALUES_CAP) / SHARED_VALUES_CAP, fit))

    def _bar(self, a: Asker, rows: Array, bound: Array, limit: int) -> float | None:
        """The least score that may still round up to the `limit`-th best: that of the best of these rows by
        their `bound`, scored whole (None when fewer than `limit` of them are within reach)."""
        if len(rows) > PRUNE_PAST * limit:
            rows = rows[np.argpartition(-bound, PRUNE_PAST * limit)[: PRUNE_PAST * limit]]
        _, score, _ = self._scored(a, rows, self._parts(a, rows))
        if len(score) < limit:
            return None
        # A score rounds to the `limit`-th best from 0.05 below (with room for the sums' order).
        return float(np.partition(np.round(score, 1), len(score) - limit)[len(score) - limit]) - 0.05 - 1e-6

    def _tables(self, a: Asker) -> Tables:
        """What each value of a column gives to the score's terms that the distance does not change, weighted,
        for `a`: horizon, values, complementary skills, shared stages (a few thousand entries)."""
        return (
            HORIZON_TERMS[a.horizon],
            SHARED_TERMS[np.bitwise_count(VALUE_MASKS & np.uint16(a.valeurs))],
            EXCHANGED_TERMS[np.bitwise_count(APPORT_MASKS ^ np.uint16(a.apports))],
            STAGE_TERMS[a.etapes],
        )

    def _bound(self, a: Asker, tables: Tables, rows: Array) -> Array:
        """For these rows, the most their score can be: the other terms read through `tables` (summed in another
        order than the score's, so within a hair of it), and the most the distance term can be."""
        c = self.cols
        horizons, values, apports, stages = tables
        bound: Array = horizons[c["horizon"][rows]] + values[c["valeurs"][rows]] + apports[c["apports"][rows]]
        bound += stages[c["etapes"][rows]]
        bound += WEIGHTS["distance"] * self._nearest(a, rows)
        return bound

    def _nearest(self, a: Asker, rows: Array) -> Array:
        """For these rows, the most the distance's decay can be: 0.5 where a centre is unknown, else what the gap
        in latitude leaves of both reaches (with room for rounding)."""
        if a.lat is None or a.lon is None:
            return np.full(len(rows), 0.5)
        gap = np.abs(self.cols["lat"][rows] - a.lat) * (KM_PER_DEGREE * (1 - 1e-9))
        decay = np.maximum(0.0, 1.0 - gap / (a.reach + self.cols["reach"][rows])) + 1e-9
        return np.where(np.isnan(decay), 0.5, decay)

    def _scored(self, a: Asker, rows: Array, parts: Array) -> tuple[Array, Array, Array]:
        """Of these rows, the households within reach of `a`: ids, scores (unrounded) as `score_households`
        computes them, operation for operation, and distances (NaN: unknown)."""
        c = self.cols
        limit = a.reach + c["reach"][rows]
        if a.lat is not None and a.lon is not None:
            # distance_km, operation for operation.
            phi1 = math.radians(a.lat)
            north = np.sin((c["phi"][rows] - phi1) / 2)
            east = np.sin(np.radians(c["lon"][rows] - a.lon) / 2)
            h = north * north + math.cos(phi1) * c["cos_phi"][rows] * (east * east)
            distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
            near = ~(distance > limit)  # NaN (no centre) is never too far
            rows, limit, distance, parts = rows[near], limit[near], distance[near], parts[:, near]
            decay = np.where(np.isnan(distance), 0.5, np.maximum(0.0, 1.0 - distance / limit))
        else:
            distance = np.full(len(rows), math.nan)
            decay = np.full(len(rows), 0.5)
        score = (
            WEIGHTS["distance"] * decay
            + WEIGHTS["horizon"] * parts[0]
            + WEIGHTS["values"] * parts[1]
            + WEIGHTS["fit"] * parts[2]
        )
        return c["uid"][rows], score, distance

    def _masks(self, departements: Iterable[str], *, learn: bool = False) -> tuple[int, int]:
        """Départements as the index's two words, a bit each (given as they are first met); a profile's
        département that no household names has none."""
        low = high = 0
        for code in departements:
            bit = self._bits.setdefault(code, len(self._bits)) if learn else self._bits.get(code)
            if bit is None:
                continue
            if bit >= DEPARTEMENT_BITS:
                raise ValueError(f"more than {DEPARTEMENT_BITS} départements")
            if bit < 64:
                low |= 1 << bit
            else:
                high |= 1 << (bit - 64)
        return low, high
