"""French geography: lookups as people type them, against the shipped data in `data/geo/`.

Every expected answer below was checked against `data/geo/communes.tsv.gz` (COG 2026).
"""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.geo import EARTH_RADIUS_KM, Commune, Geography, bounding_box, distance_km, distance_text, geography
from bot.i18n import gettext
from bot.text import fold, stems, strip_accents

# Metropolitan France, with a little margin: where the bot's centres and projects lie.
FRANCE_LAT = st.floats(min_value=41.3, max_value=51.1)
FRANCE_LON = st.floats(min_value=-5.2, max_value=9.6)
# The bot accepts 1 to 300 km (`cogs/projects.py`); a little below 1 km too.
RADIUS_KM = st.floats(min_value=0.1, max_value=300.0)
BEARING = st.floats(min_value=0.0, max_value=360.0)
FRACTION = st.floats(min_value=0.0, max_value=1.0)


@pytest.fixture(scope="module")
def geo() -> Geography:
    return geography()


@pytest.fixture(scope="module")
def placed(geo: Geography) -> list[tuple[Commune, float, float]]:
    """Every commune with coordinates, for brute-force scans."""
    return [(c, c.lat, c.lon) for c in geo.communes.values() if c.lat is not None and c.lon is not None]


def destination(lat: float, lon: float, bearing: float, distance: float) -> tuple[float, float]:
    """The point `distance` km from (lat, lon) along the great circle leaving at `bearing` degrees."""
    delta = distance / EARTH_RADIUS_KM
    phi, theta = math.radians(lat), math.radians(bearing)
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    dlambda = math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), lon + math.degrees(dlambda)


def farthest_east(lat: float, lon: float, distance: float) -> tuple[float, float]:
    """The point at `distance` km with the largest longitude (it lies a little poleward of due east)."""
    points = (destination(lat, lon, tenth / 10, distance) for tenth in range(600, 901))
    return max(points, key=lambda point: point[1])


def readable(value: object) -> str | None:
    """Test ids without escapes: "St-Étienne" → "St-Etienne", "" → "''"; non-strings get pytest's default."""
    if not isinstance(value, str):
        return None
    return strip_accents(value).replace("’", "'").replace("—", "-") if value.strip() else repr(value)


def choices(typed: str, geo: Geography) -> str:
    with pytest.raises(UserError) as caught:
        geo.resolve_commune(typed)
    assert caught.value.message.startswith("Plusieurs communes")
    choix = caught.value.params["choix"]
    assert isinstance(choix, str)
    return choix


# ----------------------------------------------------------------------------- data and cache


def test_geography_is_loaded_once() -> None:
    assert geography() is geography()


def test_counts(geo: Geography) -> None:
    arrondissements = [c for c in geo.communes.values() if c.parent]
    assert len(geo.communes) >= 34_800
    assert len(geo.communes) == 34_875 + 45
    assert len(arrondissements) == 45
    assert {p: sum(c.parent == p for c in arrondissements) for p in ("75056", "69123", "13055")} == {
        "75056": 20,
        "69123": 9,
        "13055": 16,
    }
    assert len(geo.departements) == 101
    assert len(geo.regions) == 18
    assert len(geo.old_regions) == 22


def test_every_commune_points_to_a_known_departement_and_parent(geo: Geography) -> None:
    assert {c.departement for c in geo.communes.values()} == set(geo.departements)
    assert all(c.parent in geo.communes for c in geo.communes.values() if c.parent)


def test_only_the_four_restored_cantal_communes_lack_coordinates(geo: Geography) -> None:
    missing = sorted(c.insee for c in geo.communes.values() if c.lat is None or c.lon is None)
    assert missing == ["15031", "15035", "15047", "15171"]


def test_all_18_current_regions_are_kept(geo: Geography) -> None:
    assert len([r for r in geo.regions.values() if not r.ancienne]) == 18


# ----------------------------------------------------------------------------- fold and stems


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("St-Étienne", "saint etienne"),
        ("ST ETIENNE", "saint etienne"),
        ("Ste-Foy-lès-Lyon", "sainte foy les lyon"),
        ("Saintes-Maries-de-la-Mer", "saintes maries de la mer"),
        ("L'Abergement-Clémenciat", "l abergement clemenciat"),
        ("Côtes-d’Armor", "cotes d armor"),
        ("  CLERMONT--Ferrand  ", "clermont ferrand"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("Lyon 3e Arrondissement", "lyon 3e arrondissement"),
        ("", ""),
        ("- ' -", ""),
    ],
    ids=readable,
)
def test_fold_examples(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_stems_drop_stopwords_and_fold() -> None:
    assert stems("Coopératives d'habitants") == ["cooper", "habit"]
    assert stems("COOPERATIVE") == stems("coopérative")


@settings(max_examples=200)
@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@settings(max_examples=200)
@given(st.text(alphabet=string.ascii_letters + string.digits + " -'’."))
def test_fold_ignores_case_of_ascii(text: str) -> None:
    assert fold(text.upper()) == fold(text) == fold(text.lower())


ACCENTED = {
    "a": "aàâä",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîï",
    "o": "oô",
    "u": "uùûü",
    "y": "yÿ",
    "n": "nñ",
}


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from([*ACCENTED, " ", "-", "t", "r"]), st.integers(0, 4)), max_size=30))
def test_fold_ignores_accents(letters: list[tuple[str, int]]) -> None:
    plain = "".join(letter for letter, _ in letters)
    accented = "".join(
        ACCENTED.get(letter, letter)[pick % len(ACCENTED.get(letter, letter))] for letter, pick in letters
    )
    assert fold(accented) == fold(plain)
    assert fold(accented.upper()) == fold(plain)


def test_fold_unties_oe_ligature(geo: Geography) -> None:
    assert fold("Vœuil") == fold("Voeuil")
    assert geo.resolve_commune("Voeuil et Giget").insee == "16418"


# ----------------------------------------------------------------------------- resolve_commune: one answer


@pytest.mark.parametrize(
    ("typed", "insee"),
    [
        # case, accents, hyphens, apostrophes, "St"/"Ste"
        ("clermont ferrand", "63113"),
        ("CLERMONT-FERRAND", "63113"),
        ("  thiers  ", "63430"),
        ("l abergement clemenciat", "01001"),
        ("L'Abergement-Clémenciat", "01001"),
        ("St-Étienne", "42218"),
        ("st etienne", "42218"),
        ("Saint Etienne", "42218"),
        ("SAINT-ÉTIENNE", "42218"),
        ("Ste Foy les Lyon", "69202"),
        ("Sainte-Foy-lès-Lyon", "69202"),
        ("clermont-fer", "63113"),  # a name start that only one commune has
        # postal codes of a single commune, INSEE codes, autocomplete values
        ("63000", "63113"),
        ("38000", "38185"),
        ("insee:63113", "63113"),
        # arrondissements of Paris, Lyon, Marseille
        ("75011", "75111"),
        ("75001", "75101"),
        ("75116", "75116"),
        ("Paris 11", "75111"),
        ("Lyon 3e", "69383"),
        ("lyon 3e arrondissement", "69383"),
        ("Marseille 1er", "13201"),
        ("13201", "13201"),
        ("insee:13201", "13201"),
        ("Paris", "75056"),
        ("Lyon", "69123"),
        ("Marseille", "13055"),
        ("75056", "75056"),
        # overseas
        ("insee:97411", "97411"),
        ("Saint-Denis (974)", "97411"),
        ("97400", "97411"),
        ("Fort-de-France", "97209"),
        ("fort de france", "97209"),
        ("97200", "97209"),
        ("Cayenne", "97302"),
        ("97300", "97302"),
        ("Mamoudzou", "97611"),
        # Corsica
        ("2A004", "2A004"),
        ("2a004", "2A004"),
        ("Ajaccio", "2A004"),
        ("Ajaccio (2a)", "2A004"),
        ("2B033", "2B033"),
        # namesakes told apart by their département
        ("Montreuil (28)", "28267"),
        ("Montreuil (93)", "93048"),
        ("Moulins (03)", "03190"),
        ("montreuil(85)", "85148"),
        # a commune without coordinates is still a commune
        ("Celles (15)", "15031"),
    ],
    ids=readable,
)
def test_resolve_commune(geo: Geography, typed: str, insee: str) -> None:
    assert geo.resolve_commune(typed) is geo.communes[insee]


def test_resolved_names(geo: Geography) -> None:
    assert geo.resolve_commune("l abergement clemenciat").nom == "L'Abergement-Clémenciat"
    assert geo.resolve_commune("st etienne").nom == "Saint-Étienne"
    assert geo.resolve_commune("Ste Foy les Lyon").nom == "Sainte-Foy-lès-Lyon"
    paris_11 = geo.resolve_commune("75011")
    assert (paris_11.nom, paris_11.parent) == ("Paris 11e Arrondissement", "75056")
    assert geo.resolve_commune("Lyon 3e").nom == "Lyon 3e Arrondissement"
    assert geo.resolve_commune("Marseille 1er").nom == "Marseille 1er Arrondissement"
    ajaccio = geo.resolve_commune("Ajaccio")
    assert (ajaccio.departement, ajaccio.region) == ("2A", "94")
    saint_denis = geo.resolve_commune("insee:97411")
    assert (saint_denis.nom, saint_denis.departement, saint_denis.region) == ("Saint-Denis", "974", "04")


# ----------------------------------------------------------------------------- resolve_commune: never a guess


@pytest.mark.parametrize(
    ("typed", "choix"),
    [
        ("Montreuil", "Montreuil (93), Montreuil (85), Montreuil (28)"),
        ("moulins", "Moulins (03), Moulins (35), Moulins (02)"),
        ("Saint-Denis", "Saint-Denis (974), Saint-Denis (93), Saint-Denis (11), Saint-Denis (30)"),
        # a postal code of several communes: all of them, largest first
        ("63530", "Volvic (63), Sayat (63), Enval (63), Chanat-la-Mouteyre (63)"),
        ("97600", "Mamoudzou (976), Koungou (976)"),
        # a postal code that is also another commune's INSEE code: postal code first, then INSEE
        ("97411", "Saint-Paul (974), Saint-Denis (974)"),
        ("13001", "Marseille 1er Arrondissement (13), Aix-en-Provence (13)"),
        ("69001", "Lyon 1er Arrondissement (69), Affoux (69)"),
        ("63300", "Thiers (63), Escoutoux (63), Dorat (63), Riom (63)"),
        ("63113", "Picherande (63), Clermont-Ferrand (63)"),
    ],
    ids=readable,
)
def test_ambiguous_input_lists_every_candidate(geo: Geography, typed: str, choix: str) -> None:
    assert choices(typed, geo) == choix


@pytest.mark.parametrize(
    "typed",
    ["2B004", "Nulleville", "", "   ", "insee:99999", "Montreuil (75)", "Ajaccio (2B)"],
    ids=readable,
)
def test_unknown_commune(geo: Geography, typed: str) -> None:
    with pytest.raises(UserError) as caught:
        geo.resolve_commune(typed)
    assert caught.value.message.startswith("Je ne trouve pas")
    assert caught.value.params == {"commune": typed}


def test_corsican_codes_are_not_mixed_up(geo: Geography) -> None:
    assert geo.commune("2A004") is geo.commune("2a004") is geo.communes["2A004"]
    assert geo.commune("2B004") is None
    assert geo.communes["2B033"].nom == "Bastia"


# ----------------------------------------------------------------------------- find_communes (autocomplete)


@pytest.mark.parametrize(
    ("typed", "expected", "whole_list"),
    [
        ("lyon", ["69123", "69383", "69387"], False),
        ("Lyon", ["69123"], False),
        ("montreuil", ["93048", "85148", "28267"], False),
        ("Moulins", ["03190", "35198", "02530"], False),
        ("St Etienne", ["42218", "76575"], False),
        ("fort de fr", ["97209"], True),
        ("mamoudz", ["97611"], True),
        ("63530", ["63470", "63417", "63150", "63083"], True),
        ("6353", ["63470", "63417", "63150", "63083"], True),
        # postal codes first (largest first, the city before its arrondissement), then the INSEE code
        ("75011", ["75056", "75111"], True),
        ("13001", ["13055", "13201", "13001"], True),
        ("97411", ["97415", "97411"], True),
        ("2A004", ["2A004"], True),
        ("2a004", ["2A004"], True),
        ("2B004", [], True),
        ("", [], True),
        ("   ", [], True),
        ("xqzw", [], True),
    ],
    ids=readable,
)
def test_find_communes(geo: Geography, typed: str, expected: list[str], whole_list: bool) -> None:
    found = [c.insee for c in geo.find_communes(typed)]
    assert (found if whole_list else found[: len(expected)]) == expected


@pytest.mark.parametrize("typed", ["saint", "mont", "la", "lyon", "montreuil", "63", "13", "97"])
def test_find_communes_ranks_exact_names_then_population(geo: Geography, typed: str) -> None:
    found = geo.find_communes(typed, limit=25)
    assert len(found) >= 10
    exact = [c.nom for c in found if fold(c.nom) == fold(typed)]
    assert [c.nom for c in found[: len(exact)]] == exact
    rest = [c.population for c in found[len(exact) :]]
    assert rest == sorted(rest, reverse=True)


@pytest.fixture(scope="module")
def by_size(geo: Geography) -> list[tuple[Commune, str]]:
    """Every commune with its folded name, largest first."""
    return [(c, fold(c.nom)) for c in sorted(geo.communes.values(), key=lambda c: (-c.population, c.insee))]


@settings(deadline=None, max_examples=50)  # each example scans 35,000 communes
@given(pick=st.integers(min_value=0), cut=st.integers(min_value=1, max_value=12), limit=st.integers(1, 25))
def test_find_communes_finds_what_a_scan_of_every_commune_finds(
    geo: Geography, by_size: list[tuple[Commune, str]], pick: int, cut: int, limit: int
) -> None:
    """Typed starts of real names and postal codes (« saint- » or « 13 » start thousands of communes): the
    communes named exactly so, then those whose name starts so, largest first; for digits, the communes with a
    postal code starting so, largest first, before the commune with that INSEE code if any."""
    commune = by_size[pick % len(by_size)][0]
    typed = commune.nom[:cut]
    if typed.strip():
        key = fold(typed)
        exact = [c.insee for c, name in by_size if name == key]
        starting = [c.insee for c, name in by_size if name.startswith(key) and name != key]
        assert [c.insee for c in geo.find_communes(typed, limit)] == [*exact, *starting][:limit]
    if commune.codes_postaux:
        digits = commune.codes_postaux[0][:cut]
        postal = [c.insee for c, _ in by_size if any(code.startswith(digits) for code in c.codes_postaux)]
        assert [c.insee for c in geo.find_communes(digits, limit)][: min(limit, len(postal))] == postal[:limit]


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_find_communes_respects_limit(geo: Geography, limit: int) -> None:
    assert len(geo.find_communes("saint", limit=limit)) == limit


@pytest.mark.parametrize("typed", ["montreuil", "saint denis", "lyon", "75011", "97411", "13001", "63530"])
def test_every_autocomplete_choice_resolves_to_itself(geo: Geography, typed: str) -> None:
    for commune in geo.find_communes(typed):
        assert geo.resolve_commune(commune.choice_value) is commune


def test_labels_tell_namesakes_apart(geo: Geography) -> None:
    assert [c.label for c in geo.find_communes("montreuil", limit=3)] == [
        "Montreuil (93)",
        "Montreuil (85)",
        "Montreuil (28)",
    ]


# ----------------------------------------------------------------------------- départements


@pytest.mark.parametrize(
    ("typed", "code", "nom"),
    [
        ("1", "01", "Ain"),
        ("01", "01", "Ain"),
        ("9", "09", "Ariège"),
        ("63", "63", "Puy-de-Dôme"),
        (" 63 ", "63", "Puy-de-Dôme"),
        ("puy de dome", "63", "Puy-de-Dôme"),
        ("Puy-de-Dôme", "63", "Puy-de-Dôme"),
        ("PUY DE DÔME", "63", "Puy-de-Dôme"),
        ("63 — Puy-de-Dôme", "63", "Puy-de-Dôme"),
        ("971", "971", "Guadeloupe"),
        ("976", "976", "Mayotte"),
        ("la reunion", "974", "La Réunion"),
        ("2A", "2A", "Corse-du-Sud"),
        ("2a", "2A", "Corse-du-Sud"),
        ("corse du sud", "2A", "Corse-du-Sud"),
        ("Corse-du-Sud", "2A", "Corse-du-Sud"),
        ("2b", "2B", "Haute-Corse"),
        ("val d oise", "95", "Val-d'Oise"),
        ("Cotes d'Armor", "22", "Côtes-d'Armor"),
    ],
    ids=readable,
)
def test_departement(geo: Geography, typed: str, code: str, nom: str) -> None:
    found = geo.departement(typed)
    assert (found.code, found.nom) == (code, nom)


@pytest.mark.parametrize("typed", ["99", "0", "00", "20", "975", "", "xyz", "Haute", "2C"], ids=readable)
def test_unknown_departement(geo: Geography, typed: str) -> None:
    with pytest.raises(UserError) as caught:
        geo.departement(typed)
    assert caught.value.params == {"departement": typed}


def test_every_departement_by_code_name_and_label(geo: Geography) -> None:
    for code, found in geo.departements.items():
        assert geo.departement(code) is found
        assert geo.departement(code.lower()) is found
        assert geo.departement(found.nom) is found
        assert geo.departement(found.nom.upper()) is found
        assert geo.departement(found.label) is found


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("97", ["971", "972", "973", "974", "976"]),
        ("2", ["21", "22", "23", "24", "25", "26", "27", "28", "29", "2A", "2B"]),
        ("2a", ["2A"]),
        ("puy", ["63"]),
        ("dome", ["63"]),
        ("corse", ["2A", "2B"]),
        ("xyz", []),
    ],
    ids=readable,
)
def test_find_departements(geo: Geography, typed: str, codes: list[str]) -> None:
    assert [d.code for d in geo.find_departements(typed)] == codes


def test_find_departements_empty_lists_the_first(geo: Geography) -> None:
    assert [d.code for d in geo.find_departements("", limit=3)] == ["01", "02", "03"]


# ----------------------------------------------------------------------------- régions

AUVERGNE_RHONE_ALPES = ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74")
OCCITANIE = ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82")
MIDI_PYRENEES = ("09", "12", "31", "32", "46", "65", "81", "82")


@pytest.mark.parametrize(
    ("typed", "departements", "ancienne"),
    [
        ("Auvergne-Rhône-Alpes", AUVERGNE_RHONE_ALPES, False),
        ("auvergne rhone alpes", AUVERGNE_RHONE_ALPES, False),
        ("84", AUVERGNE_RHONE_ALPES, False),
        ("occitanie", OCCITANIE, False),
        ("Hauts-de-France", ("02", "59", "60", "62", "80"), False),
        ("la reunion", ("974",), False),
        ("Auvergne", ("03", "15", "43", "63"), True),
        ("AUVERGNE", ("03", "15", "43", "63"), True),
        ("Rhône-Alpes", ("01", "07", "26", "38", "42", "69", "73", "74"), True),
        ("Midi-Pyrénées", MIDI_PYRENEES, True),
        ("midi pyrenees", MIDI_PYRENEES, True),
        ("Nord-Pas-de-Calais", ("59", "62"), True),
        ("Limousin", ("19", "23", "87"), True),
        ("Centre", ("18", "28", "36", "37", "41", "45"), True),
    ],
    ids=readable,
)
def test_region(geo: Geography, typed: str, departements: tuple[str, ...], ancienne: bool) -> None:
    found = geo.region(typed)
    assert (found.departements, found.ancienne) == (departements, ancienne)


SHARED_NAMES = ["Bretagne", "Corse", "Île-de-France", "Pays de la Loire", "Provence-Alpes-Côte d'Azur"]


@pytest.mark.parametrize("nom", SHARED_NAMES, ids=readable)
def test_region_named_like_an_old_one_has_the_right_departements(geo: Geography, nom: str) -> None:
    found = geo.region(nom)
    assert set(found.departements) == {d.code for d in geo.departements.values() if d.region == found.code}


@pytest.mark.parametrize("nom", SHARED_NAMES, ids=readable)
def test_current_region_named_like_an_old_one_is_current(geo: Geography, nom: str) -> None:
    assert geo.region(nom).ancienne is False


@pytest.mark.parametrize("typed", ["xyz", "", "Auvergne-Rhône", "99"], ids=readable)
def test_unknown_region(geo: Geography, typed: str) -> None:
    with pytest.raises(UserError) as caught:
        geo.region(typed)
    assert caught.value.params == {"region": typed}


def test_old_regions_split_metropolitan_france_within_current_regions(geo: Geography) -> None:
    old = list(geo.old_regions.values())
    covered = sorted(code for r in old for code in r.departements)
    metropolitan = sorted(code for code in geo.departements if len(code) == 2)
    assert covered == metropolitan  # each of the 96 exactly once
    for region in old:
        assert {geo.departements[code].region for code in region.departements} == {region.code}


@pytest.mark.parametrize(
    ("typed", "noms"),
    [
        ("auv", ["Auvergne-Rhône-Alpes", "Auvergne"]),
        ("normandie", ["Normandie", "Basse-Normandie", "Haute-Normandie"]),
        ("alpes", ["Auvergne-Rhône-Alpes", "Provence-Alpes-Côte d'Azur", "Rhône-Alpes"]),
        ("xyz", []),
    ],
    ids=readable,
)
def test_find_regions(geo: Geography, typed: str, noms: list[str]) -> None:
    assert [r.nom for r in geo.find_regions(typed)] == noms


# ----------------------------------------------------------------------------- distances


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ("75056", "13055", 661.0),  # Paris – Marseille
        ("63113", "63430", 36.0),  # Clermont-Ferrand – Thiers
        ("69123", "38185", 95.0),  # Lyon – Grenoble
    ],
    ids=["paris-marseille", "clermont-thiers", "lyon-grenoble"],
)
def test_known_distances(geo: Geography, a: str, b: str, km: float) -> None:
    one, two = geo.communes[a], geo.communes[b]
    assert one.lat is not None and one.lon is not None and two.lat is not None and two.lon is not None
    assert distance_km(one.lat, one.lon, two.lat, two.lon) == pytest.approx(km, abs=max(2.0, 0.02 * km))
    assert distance_km(one.lat, one.lon, one.lat, one.lon) == 0.0


def test_one_degree_of_latitude() -> None:
    assert distance_km(45.0, 3.0, 46.0, 3.0) == pytest.approx(111.195, abs=0.01)


@settings(max_examples=100)
@given(FRANCE_LAT, FRANCE_LON, FRANCE_LAT, FRANCE_LON)
def test_distance_is_symmetric_and_bounded(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    there = distance_km(lat1, lon1, lat2, lon2)
    assert there == pytest.approx(distance_km(lat2, lon2, lat1, lon1), abs=1e-9)
    assert 0.0 <= there <= 2000.0
    assert distance_km(lat1, lon1, lat1, lon1) == 0.0


@settings(max_examples=100)
@given(FRANCE_LAT, FRANCE_LON, FRANCE_LAT, FRANCE_LON, FRANCE_LAT, FRANCE_LON)
def test_distance_triangle_inequality(
    lat1: float, lon1: float, lat2: float, lon2: float, lat3: float, lon3: float
) -> None:
    direct = distance_km(lat1, lon1, lat3, lon3)
    assert direct <= distance_km(lat1, lon1, lat2, lon2) + distance_km(lat2, lon2, lat3, lon3) + 1e-6


# ----------------------------------------------------------------------------- bounding_box


@settings(max_examples=150)
@given(FRANCE_LAT, FRANCE_LON, RADIUS_KM, BEARING, FRACTION)
def test_bounding_box_holds_points_within_radius(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    # The box is the flat approximation: for ≤ 300 km it is short in longitude by less than 0.06 % of the
    # radius (see the xfail below), so the points are drawn within 99.9 % of the radius.
    point_lat, point_lon = destination(lat, lon, bearing, fraction * radius * 0.999)
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
    assert min_lat <= point_lat <= max_lat
    assert min_lon <= point_lon <= max_lon


@settings(max_examples=100)
@given(FRANCE_LAT, FRANCE_LON, RADIUS_KM, FRACTION)
def test_bounding_box_is_exact_along_the_meridian(lat: float, lon: float, radius: float, fraction: float) -> None:
    min_lat, max_lat, _, _ = bounding_box(lat, lon, radius)
    north, _ = destination(lat, lon, 0.0, fraction * radius)
    south, _ = destination(lat, lon, 180.0, fraction * radius)
    assert min_lat - 1e-9 <= south <= north <= max_lat + 1e-9


def test_bounding_box_holds_the_farthest_east_point() -> None:
    point_lat, point_lon = farthest_east(48.0, 2.0, 299.9)
    assert distance_km(48.0, 2.0, point_lat, point_lon) <= 300.0
    _, _, _, max_lon = bounding_box(48.0, 2.0, 300.0)
    assert point_lon <= max_lon


# ----------------------------------------------------------------------------- within


CENTRES = {"clermont-ferrand": "63113", "paris": "75056", "lyon": "69123", "fort-de-france": "97209"}


@pytest.mark.parametrize("radius", [5.0, 30.0, 100.0], ids=lambda r: f"{r:g}km")
@pytest.mark.parametrize("centre", list(CENTRES), ids=lambda name: name)
def test_within_matches_a_brute_force_scan(
    geo: Geography, placed: list[tuple[Commune, float, float]], centre: str, radius: float
) -> None:
    origin = geo.communes[CENTRES[centre]]
    assert origin.lat is not None and origin.lon is not None
    found = geo.within(origin.lat, origin.lon, radius)
    expected = {c.insee for c, lat, lon in placed if distance_km(origin.lat, origin.lon, lat, lon) <= radius}
    assert {c.insee for c, _ in found} == expected
    assert len(found) == len(expected)
    assert found[0] == (origin, 0.0)
    assert all(distance <= radius for _, distance in found)
    assert [distance for _, distance in found] == sorted(distance for _, distance in found)
    for commune, distance in found:
        assert commune.lat is not None and commune.lon is not None
        assert distance == distance_km(origin.lat, origin.lon, commune.lat, commune.lon)


def test_within_finds_neighbours(geo: Geography) -> None:
    clermont = geo.communes["63113"]
    assert clermont.lat is not None and clermont.lon is not None
    near = {c.insee for c, _ in geo.within(clermont.lat, clermont.lon, 40.0)}
    assert "63430" in near  # Thiers, ~37 km
    assert "63430" not in {c.insee for c, _ in geo.within(clermont.lat, clermont.lon, 30.0)}


def test_within_nowhere_is_empty(geo: Geography) -> None:
    assert geo.within(30.0, -30.0, 100.0) == []  # mid-Atlantic


def test_within_keeps_a_commune_just_past_the_box() -> None:
    lat, radius = 48.0, 300.0
    # A centre whose farthest point east at 299.9 km lies just past the meridian 3° E (a grid line).
    lon = 3.0001 - farthest_east(lat, 0.0, 299.9)[1]
    point_lat, point_lon = farthest_east(lat, lon, 299.9)
    assert point_lon > 3.0
    far = Commune("99999", "Loin", (), "01", "84", 1, point_lat, point_lon)
    assert [c.insee for c, _ in Geography([far], [], []).within(lat, lon, radius)] == ["99999"]


@pytest.mark.parametrize(("typed", "code"), [("finist", "29"), ("Puy", "63"), ("morbi", "56")], ids=readable)
def test_a_unique_beginning_names_a_departement(geo: Geography, typed: str, code: str) -> None:
    assert geo.departement(typed).code == code


@pytest.mark.parametrize(
    ("km", "french", "english"),
    [
        (0.0, "à moins d'1 km", "under 1 km away"),
        (0.96, "à moins d'1 km", "under 1 km away"),
        (1.0, "à 1 km", "1 km away"),
        (12.6, "à 13 km", "13 km away"),
    ],
)
def test_a_distance_reads_as_people_say_it(km: float, french: str, english: str) -> None:
    said = distance_text(km)
    assert gettext(said.message, "fr", **said.params) == french
    assert gettext(said.message, "en-US", **said.params) == english
