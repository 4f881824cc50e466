"""The national database's words and ours: the one table from a Bazar form's list keys to the bot's
vocabulary, and an entry turned into a draft, or into the reason it is not imported.

Only the fields named here are read: a person's name, e-mail or telephone (`bf_nom`, `bf_prenom`,
`bf_mail`, `bf_tel`…) never leave the entry, and e-mail addresses or telephone numbers written into a
description are taken out of it. The entry's exact position is not copied either: the commune places the record.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any

from pydantic import ValidationError

from bot.errors import Text, UserError, first_problem
from bot.geo import AmbiguousCommune, Geography
from bot.limits import clip
from bot.projects.models import DESCRIPTION_MAX, LOGEMENTS_MAX, NAME_MAX, SITE_MAX, ProjectDraft, ProjectSource
from bot.vocabulary import Etape, FormeJuridique, label, parse

STAGE = "listeListeAvancementProjet"
GROUP = "listeListeAvancementGroupe"
STATE = "listeListeEtatProjet"
LEGAL_FORM = "listeListeStructuresJuridiques"
DEPARTEMENT = "listeListeDepartement"
STOPPED = "arrete"

# The one table: each list field's keys and what they mean here. A key not listed is unknown: the entry
# takes the field's neutral value (NEUTRAL) and the summary names the value; it is never guessed.
MAPPING: dict[str, dict[str, StrEnum | bool]] = {
    STAGE: {
        "recherche": Etape.emergence,
        "etudes": Etape.realisation,
        "travaux": Etape.realisation,
        "abouti": Etape.vivre_ensemble,
    },
    GROUP: {"recherchehabitant": True, "constitue": False, "complet": False},
    LEGAL_FORM: {
        "coop": FormeJuridique.cooperative_habitants,
        "sci": FormeJuridique.sci,
        "asso": FormeJuridique.association,
        "copro": FormeJuridique.copropriete,
        "scia": FormeJuridique.scia,
    },
}
# A stage is required and has no "other": an unknown one reads as the first, and is named in the summary.
NEUTRAL: dict[str, StrEnum | bool] = {STAGE: Etape.emergence, GROUP: False, LEGAL_FORM: FormeJuridique.autre}
# The lists' names when no form is given (the form's own labels win when it is).
FIELD_NAMES = {STAGE: "Étape", GROUP: "Recrute", LEGAL_FORM: "Forme juridique"}
GROUP_LABELS = {True: "recrute", False: "ne recrute pas"}

_EMAIL = re.compile(r"(?:mailto:)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
_NUMBER = re.compile(r"^\s*(\d{1,6})\b")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
REMOVED = "[…]"


@dataclass(frozen=True)
class BazarForm:
    """What a form says of its fields: each one's label, and each list's keys and their labels."""

    labels: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def field_label(self, name: str) -> str:
        return self.labels.get(name) or FIELD_NAMES.get(name, name)

    def option_label(self, name: str, key: str) -> str | None:
        """The form's label for a list key; without a form, ours for the keys the table knows."""
        given = self.options.get(name, {}).get(key)
        if given:
            return given
        if self.options:
            return None
        known = MAPPING.get(name, {}).get(key)
        if isinstance(known, StrEnum):
            return label(known)
        return GROUP_LABELS[known] if isinstance(known, bool) else None


def parse_form(data: Any) -> BazarForm:
    """`?api/forms/{id}`: an object with its `prepared` fields (or a list holding it)."""
    if isinstance(data, list) and data:
        data = data[0]
    prepared = data.get("prepared") if isinstance(data, dict) else None
    if not isinstance(prepared, list):
        raise ValueError("pas un formulaire Bazar (champ « prepared » absent)")
    labels: dict[str, str] = {}
    options: dict[str, dict[str, str]] = {}
    for item in prepared:
        if not isinstance(item, dict):
            continue
        name = str(item.get("propertyname") or item.get("id") or "")
        if not name:
            continue
        labels[name] = plain_text(str(item.get("label") or ""))
        given = item.get("options")
        if isinstance(given, dict):
            options[name] = {str(key): plain_text(str(value)) for key, value in given.items()}
    return BazarForm(labels, options)


def parse_entries(data: Any) -> list[dict[str, Any]]:
    """`?api/forms/{id}/entries/json`: a list of entries, or an object keyed by their ids."""
    if isinstance(data, dict):
        items: Iterable[tuple[str | None, Any]] = data.items()
    elif isinstance(data, list):
        items = ((None, entry) for entry in data)
    else:
        raise ValueError("ni une liste ni un objet de fiches")
    entries = []
    for key, entry in items:
        if isinstance(entry, dict) and (entry.get("id_fiche") or key):
            entries.append({"id_fiche": key, **entry})
    return entries


# ---------------------------------------------------------------------- text


class _TextParser(HTMLParser):
    BLOCKS = frozenset({"p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "table"})
    HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "li":
            self.parts.append("\n• ")
        elif tag == "br" or tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """HTML as a member reads it: tags gone, entities decoded, one blank line at most between paragraphs."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def without_contacts(text: str) -> str:
    """E-mail addresses and telephone numbers taken out: imported text never copies a person's contact."""
    return _PHONE.sub(REMOVED, _EMAIL.sub(REMOVED, text))


def description(short: str, long: str, page: str | None) -> str:
    """The short description, then the long one, as plain text; cut at a word boundary at the record's
    limit, the page's address then given for the rest."""
    parts = [without_contacts(plain_text(part)) for part in (short, long)]
    text = "\n\n".join(part for part in parts if part)
    if len(text) <= DESCRIPTION_MAX:
        return text
    tail = f"\n{page}" if page else ""
    return clip(text, DESCRIPTION_MAX - len(tail)) + tail


# ---------------------------------------------------------------------- an entry


@dataclass(frozen=True)
class Unknown:
    """A list value the table does not know: the field and the value as the form names them."""

    field: str
    value: str


@dataclass(frozen=True)
class ReadEntry:
    """One entry as read: a draft to import, stopped at the source, or refused (with why)."""

    entry_id: str
    name: str
    page: str | None
    source: ProjectSource
    draft: ProjectDraft | None = None
    stopped: bool = False
    refusal: Text | None = None
    unknown: tuple[Unknown, ...] = ()


def _values(entry: Mapping[str, Any], name: str) -> list[str]:
    """A list field's keys: a select holds one, checkboxes several separated by commas."""
    raw = entry.get(name)
    if raw is None:
        return []
    return [part.strip() for part in str(raw).split(",") if part.strip()]


def _mapped(entry: Mapping[str, Any], name: str, form: BazarForm, unknown: list[Unknown]) -> StrEnum | bool:
    """The first value of a list that the table (or our vocabulary, by the form's label) knows, the neutral
    value when none is; every value it does not know is noted."""
    neutral = NEUTRAL[name]
    found: list[StrEnum | bool] = []
    for key in _values(entry, name):
        shown = form.option_label(name, key)
        value = _known(name, key, shown)
        if value is None:
            unknown.append(Unknown(form.field_label(name), f"{shown} ({key})" if shown and shown != key else key))
        else:
            found.append(value)
    return found[0] if found else neutral


def _known(name: str, key: str, shown: str | None) -> StrEnum | bool | None:
    if key in MAPPING[name]:
        return MAPPING[name][key]
    neutral = NEUTRAL[name]
    if isinstance(neutral, StrEnum) and shown:
        try:
            return parse(type(neutral), shown)
        except UserError:
            return None
    return None


def _text(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    return "" if value is None else str(value)


def _site(entry: Mapping[str, Any]) -> str | None:
    site = _text(entry, "bf_site_internet").strip()
    if site.lower().startswith("www."):
        site = f"https://{site}"
    return site if _URL.match(site) and len(site) <= SITE_MAX else None


def _logements(entry: Mapping[str, Any]) -> int | None:
    found = _NUMBER.match(_text(entry, "bf_nblogement"))
    number = int(found.group(1)) if found else 0
    return number if 0 < number <= LOGEMENTS_MAX else None


def read_entry(entry: Mapping[str, Any], form: BazarForm, geo: Geography, site: str) -> ReadEntry:
    entry_id = _text(entry, "id_fiche").strip()
    page = _text(entry, "url").strip() or None
    name = clip(" ".join(html.unescape(_text(entry, "bf_titre")).split()), NAME_MAX)
    source = ProjectSource(
        site=site, entry_id=entry_id, page_url=page, updated_at=_text(entry, "date_maj_fiche") or None
    )
    read = ReadEntry(entry_id, name or entry_id, page, source)
    if STOPPED in _values(entry, STATE):
        return ReadEntry(entry_id, read.name, page, source, stopped=True)
    unknown: list[Unknown] = []
    etape = _mapped(entry, STAGE, form, unknown)
    recrute = _mapped(entry, GROUP, form, unknown)
    forme = _mapped(entry, LEGAL_FORM, form, unknown)
    try:
        commune = _commune(entry, geo)
        draft = ProjectDraft.model_validate(
            {
                "nom": name,
                "code_insee": commune,
                "etape": etape,
                "forme_juridique": forme,
                "recrute": recrute,
                "logements": _logements(entry),
                "site": _site(entry),
                "description": description(
                    _text(entry, "bf_descriptif_court"), _text(entry, "bf_descriptif_long"), page
                ),
            }
        )
    except UserError as error:
        return _refused(read, Text(error.message, **error.params))
    except ValidationError as error:
        column, reason = first_problem(error)
        return _refused(read, Text("{colonne} : {raison}", colonne=column, raison=reason))
    return ReadEntry(entry_id, name, page, source, draft=draft, unknown=tuple(unknown))


def _refused(read: ReadEntry, why: Text) -> ReadEntry:
    return ReadEntry(read.entry_id, read.name, read.page, read.source, refusal=why)


def _commune(entry: Mapping[str, Any], geo: Geography) -> str:
    """The commune named in the entry, among those of its département: a name several communes of the
    département share is refused, never given to the largest."""
    typed = " ".join(_text(entry, "bf_ville").split())
    code = _text(entry, DEPARTEMENT).strip()
    if not typed:
        raise UserError("commune non renseignée")
    if not code:
        return geo.resolve_commune(typed).insee
    try:
        departement = geo.departement(code).code
    except UserError:
        raise UserError("département inconnu « {departement} »", departement=code) from None
    found = geo.named(typed, departement)
    if len(found) > 1:
        raise AmbiguousCommune(f"{typed} ({departement})", found)
    if not found:
        raise UserError("Je ne trouve pas la commune « {commune} ».", commune=f"{typed} ({departement})")
    return found[0].insee
