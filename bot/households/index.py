"""The households in memory, ranked for one household all at once with numpy: every complete, unpaused
household, as columns (place, reach, horizon, the départements and the sets as bitmasks); those visible to
households whose DMs are open are the candidates. A ranking reads an `Asker`, the numbers of a profile, from the
profile (`asker`) or from the household's own row (`asker_of`: a member asking is ranked for before their profile
is read, whether others may meet them or not). `rank` applies the hard limits of `score_households` and computes
its score with the same operations in the same order, so that the bits agree (a property test holds the two
together); the service then confirms the best against the database and scores them again with the pure
function, which also gives the reasons.

The candidates are kept first and in order of latitude, so that those a circle can reach are one slice: no two
points are nearer than their latitudes are apart; the households that only ask come after them. Changed rows
are appended after both and the whole put back in order once the tail grows. In a dense area tens of thousands
of households are within reach: the terms of the score that the distance does not change are worked out first,
the gap in latitude caps the distance term, and the distance itself is worked out only for the rows that could
still rank (`_pruned`).

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
from bot.geo import EARTH_RADIUS_KM, KM_PER_DEGREE
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

COMPACT_AT = 512  # changed rows appended before the rows are put back in order (or a sixteenth of them)
DEPARTEMENT_BITS = 128
PRUNE_PAST = 4  # times the households asked for: past this many within the hard limits, the hopeless are left out
# By the gap between two horizons' positions.
HORIZON_SCORES = np.array([horizon_score(HORIZONS[0], other) for other in HORIZONS])
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
        self.changes = ChangeCursor()

    def __len__(self) -> int:
        """The households that may be suggested."""
        return int(np.count_nonzero(self.cols["candidate"][: self.size]))

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.cols.values()) + self._by_uid.nbytes + self._uids.nbytes

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
        """The live rows back in order: the candidates by latitude, those without a centre last, then the rest."""
        live = np.flatnonzero(self.cols["alive"][: self.size])
        candidate = self.cols["candidate"][live]
        order = live[np.lexsort((self.cols["lat"][live], ~candidate))]  # NaN sorts last
        self.cols = {name: column[order] for name, column in self.cols.items()}
        self.size = self.ordered = len(order)
        self.candidates = int(np.count_nonzero(candidate))
        self.centred = int(np.count_nonzero(~np.isnan(self.cols["lat"][: self.candidates])))
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
        try:
            rows = np.concatenate([self._allowed(a, start, end) for start, end in self._slices(a)])
        finally:
            self.cols["candidate"][hidden] = was
        if len(rows) > PRUNE_PAST * limit:
            rows = self._pruned(a, rows, limit)
        uid, score, distance = self._scored(a, rows, self._parts(a, rows))
        rounded = np.round(score, 1)
        if len(uid) > limit:
            # Whatever ties with the last one kept goes on to the finer order.
            kept = np.flatnonzero(rounded >= np.partition(rounded, len(uid) - limit)[len(uid) - limit])
            uid, distance, rounded = uid[kept], distance[kept], rounded[kept]
        order = np.lexsort((uid, np.where(np.isnan(distance), np.inf, distance), -rounded))[:limit]
        return [int(u) for u in uid[order]]

    def _slices(self, a: Asker) -> list[tuple[int, int]]:
        """The row ranges that may hold a candidate within reach: a band of latitude among the candidates with a
        centre (none farther could be), then those without one and the tail."""
        if a.lat is None or a.lon is None:
            return [(0, self.candidates), (self.ordered, self.size)]
        band = (a.reach + self.max_reach) / KM_PER_DEGREE * (1 + 1e-9) + 1e-9
        lat = self.cols["lat"][: self.centred]
        start = int(np.searchsorted(lat, a.lat - band, "left"))
        end = int(np.searchsorted(lat, a.lat + band, "right"))
        return [(start, end), (self.centred, self.candidates), (self.ordered, self.size)]

    def _allowed(self, a: Asker, start: int, end: int) -> Array:
        """The rows of [start, end) that the hard limits of `score_households(a, b)` but distance allow."""
        c = self.cols
        ok = c["candidate"][start:end] & ((c["statuts"][start:end] & np.uint8(a.statuts)) != 0)
        # Most households' départements are all in one of the two words: the other one is not read.
        if a.dep_low and a.dep_high:
            ok &= (
                (c["dep_low"][start:end] & np.uint64(a.dep_low)) | (c["dep_high"][start:end] & np.uint64(a.dep_high))
            ) != 0
        elif a.dep_low:
            ok &= (c["dep_low"][start:end] & np.uint64(a.dep_low)) != 0
        else:
            ok &= (c["dep_high"][start:end] & np.uint64(a.dep_high)) != 0
        return np.flatnonzero(ok) + start

    def _parts(self, a: Asker, rows: Array) -> Array:
        """For these rows, the score's terms that the distance does not change: horizon, values, fit (as rows)."""
        c = self.cols
        horizons = HORIZON_SCORES[np.abs(c["horizon"][rows].astype(np.int64) - a.horizon)]
        shared = np.bitwise_count(c["valeurs"][rows] & np.uint16(a.valeurs))
        exchanged = np.bitwise_count(c["apports"][rows] ^ np.uint16(a.apports))
        stages = (c["etapes"][rows] & np.uint8(a.etapes)) != 0
        fit = 0.6 * (np.minimum(exchanged, COMPLEMENT_CAP) / COMPLEMENT_CAP) + 0.4 * stages
        return np.stack((horizons, np.minimum(shared, SHARED_VALUES_CAP) / SHARED_VALUES_CAP, fit))

    def _pruned(self, a: Asker, rows: Array, limit: int) -> Array:
        """The rows that may still rank among the first `limit`: in a dense area tens of thousands are within
        reach, and only those whose other terms are among the best and that are near enough can make up with the
        distance. No two points are nearer than their latitudes are apart, so a row's distance term is at most
        what its gap in latitude leaves: the best by that bound are scored whole, and a row whose bound could not
        round up to the `limit`-th best of these is left out (none is if too few of them are within reach)."""
        bound = self._others(a, rows) + WEIGHTS["distance"] * self._nearest(a, rows)
        first = rows[np.argpartition(-bound, PRUNE_PAST * limit)[: PRUNE_PAST * limit]]
        _, score, _ = self._scored(a, first, self._parts(a, first))
        if len(score) < limit:
            return rows
        # The `limit`-th best rounded score; a score rounds to it from 0.05 below (with room for the sums' order).
        bar = np.partition(np.round(score, 1), len(score) - limit)[len(score) - limit] - 0.05 - 1e-6
        kept: Array = rows[bound >= bar]
        return kept

    def _others(self, a: Asker, rows: Array) -> Array:
        """For these rows, the score's terms that the distance does not change, weighted and summed (in another
        order than the score's, so within a hair of it): each column read through a table of what each of its
        values gives with `a`'s, a few thousand entries, rather than worked out row by row."""
        c = self.cols
        horizons = WEIGHTS["horizon"] * HORIZON_SCORES[np.abs(np.arange(len(HORIZONS)) - a.horizon)]
        shared = np.bitwise_count(np.arange(1 << len(Valeur), dtype=np.uint16) & np.uint16(a.valeurs))
        values = WEIGHTS["values"] * (np.minimum(shared, SHARED_VALUES_CAP) / SHARED_VALUES_CAP)
        exchanged = np.bitwise_count(np.arange(1 << len(Apport), dtype=np.uint16) ^ np.uint16(a.apports))
        apports = WEIGHTS["fit"] * (0.6 * (np.minimum(exchanged, COMPLEMENT_CAP) / COMPLEMENT_CAP))
        stages = WEIGHTS["fit"] * (0.4 * ((np.arange(1 << len(EtapeRejointe)) & a.etapes) != 0))
        others: Array = horizons[c["horizon"][rows]] + values[c["valeurs"][rows]] + apports[c["apports"][rows]]
        others += stages[c["etapes"][rows]]
        return others

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
