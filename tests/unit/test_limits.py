"""Discord's limits and bad input, in the shared layers: `clip` and `quote`, refusals (`explain`,
`invalid`), the ledger's rendering, embeds fitted, and who a message pings on the emulator."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError, field_validator

from bot import limits
from bot.ads.models import AdDraft
from bot.errors import COUNTED_REASONS, REASONS, Composed, Text, UserError, invalid
from bot.events.models import EventDraft
from bot.households.models import HouseholdMakeup, WhatMatters, WhereWhen
from bot.i18n import catalogue, explain
from bot.limits import ELLIPSIS, clip, quote
from bot.notify import Button, Outgoing
from bot.projects.models import ProjectDraft
from bot.sandbox import limits as discord_limits
from bot.sandbox.emulator import pings
from cogs.ui.notifier import render
from cogs.ui.text import fit

# What a member sees as one character, each made of one or more code points.
CLUSTERS = [
    "a",
    "é",  # precomposed
    "e\u0301",  # e and a combining acute accent
    "ก\u0e31",  # a Thai letter and its vowel mark
    "👍",
    "👍🏽",  # a skin tone
    "\u2764\ufe0f",  # a heart in emoji presentation
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a family joined by ZWJ
    "🇫🇷",  # two regional indicators
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland's flag: tags
    "1\ufe0f\u20e3",  # a keycap
    " ",
    "\u200b",  # zero-width space
]
EMBEDDING_OPENERS, ISOLATE_OPENERS = "\u202a\u202b\u202d\u202e", "\u2066\u2067\u2068"
PDF, PDI = "\u202c", "\u2069"
BIDI = EMBEDDING_OPENERS + ISOLATE_OPENERS + PDF + PDI + "\u200e\u200f"
# Text a member may type: letters, accents, emoji, marks, bidi controls, zero-width characters, mentions.
NASTY = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(CLUSTERS),
        st.sampled_from(BIDI),
        st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\n", "\t", " "]),
        st.sampled_from(["@everyone", "@here", "<@123>", "<@&456>", "**", "`", "[x](https://e.org)"]),
    ),
    max_size=200,
).map("".join)
LONG = st.builds(lambda text, times: text * times, NASTY.filter(bool), st.integers(1, 30))


def open_bidi(text: str) -> list[str]:
    """The embeddings and isolates `text` leaves open (an unmatched closer closes nothing)."""
    stack: list[str] = []
    for char in text:
        if char in EMBEDDING_OPENERS + ISOLATE_OPENERS:
            stack.append(char)
        elif char == PDF and stack and stack[-1] in EMBEDDING_OPENERS:
            stack.pop()
        elif char == PDI and any(opener in ISOLATE_OPENERS for opener in stack):
            while stack.pop() not in ISOLATE_OPENERS:
                pass
    return stack


# ---------------------------------------------------------------------- clip


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(NASTY, LONG), limit=st.integers(0, 2100))
def test_clip_never_exceeds_its_limit_and_keeps_what_fits(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert len(clipped) <= limit
    if len(text) <= limit:
        assert clipped == text
    elif limit >= len(ELLIPSIS):
        assert clipped.endswith(ELLIPSIS)
        kept = clipped[: -len(ELLIPSIS)].rstrip(PDF + PDI)  # the closers clip adds are not the member's
        assert text.startswith(kept)


@settings(max_examples=200, deadline=None)
@given(clusters=st.lists(st.sampled_from(CLUSTERS), min_size=1, max_size=300), limit=st.integers(1, 400))
def test_clip_never_splits_what_the_member_sees_as_one_character(clusters: list[str], limit: int) -> None:
    text = "".join(clusters)
    boundaries = {0}
    for cluster in clusters:
        boundaries.add(max(boundaries) + len(cluster))
    clipped = clip(text, limit)
    kept = clipped.removesuffix(ELLIPSIS) if len(text) > limit else clipped
    assert len(kept) in boundaries, (text, clipped)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from([*BIDI, "a", "ب", " "]), min_size=1, max_size=600), limit=st.integers(1, 300)
)
def test_a_cut_leaves_no_bidi_embedding_or_isolate_open(text: str, limit: int) -> None:
    """An open right-to-left override would turn around the "…" and whatever follows on the line."""
    clipped = clip(text, limit)
    if len(text) > limit:
        assert open_bidi(clipped) == []


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(NASTY, LONG), limit=st.integers(2, 500))
def test_a_cut_ends_on_something_visible_before_the_ellipsis(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    if len(text) > limit and clipped != ELLIPSIS:
        before = clipped[: -len(ELLIPSIS)].rstrip(PDF + PDI)
        assert before and not before[-1].isspace() and before[-1] not in "\u200b\u200c\u200d\u2060\ufeff" + BIDI


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.text(alphabet="abcdéèçàôœ", min_size=1, max_size=12), min_size=2, max_size=200),
    limit=st.integers(40, 400),
)
def test_clip_never_cuts_a_word_of_a_sentence_in_two(words: list[str], limit: int) -> None:
    """« compléte… » reads as a spelling mistake: a sentence is cut between words, then « … »."""
    text = " ".join(words)
    clipped = clip(text, limit)
    if len(text) > limit:
        kept = clipped.removesuffix(ELLIPSIS)
        assert clipped.endswith(ELLIPSIS) and text[len(kept)] == " ", (text, clipped)


def test_clip_cuts_at_a_word_boundary_when_one_is_near() -> None:
    assert clip("Les Hirondelles de Clermont", 20) == "Les Hirondelles de…"
    assert clip("x" * 30, 10) == "x" * 9 + ELLIPSIS
    assert clip("\u200b" * 50, 10) == ELLIPSIS
    assert clip("abc", 0) == ""


def test_clip_keeps_a_long_pile_of_accents_rather_than_nothing() -> None:
    zalgo = "a" + "\u0301" * 500
    assert len(clip(zalgo, 100)) == 100


# ---------------------------------------------------------------------- quote


@settings(max_examples=200, deadline=None)
@given(typed=st.one_of(NASTY, LONG))
def test_a_quote_is_short_on_one_line_and_cannot_turn_the_sentence_around(typed: str) -> None:
    quoted = quote(typed)
    assert len(quoted) <= limits.QUOTE
    assert "\n" not in quoted and "\t" not in quoted
    assert not set(quoted) & set(EMBEDDING_OPENERS + ISOLATE_OPENERS + PDF + PDI)


def test_quote_shows_short_text_as_typed() -> None:
    assert quote("  Montreuil  sous\nBois ") == "Montreuil sous Bois"
    assert quote("\u202eeciN") == "eciN"


# ---------------------------------------------------------------------- refusals


PARAMS = st.one_of(
    NASTY,
    LONG,
    st.integers(),
    LONG.map(Composed),
    st.builds(lambda typed: Text("au moins {min_length} caractères", min_length=typed), LONG),
)


@settings(max_examples=200, deadline=None)
@given(champ=PARAMS, raison=PARAMS, locale=st.sampled_from(["fr", "en-US", "de"]))
def test_a_refusal_never_exceeds_a_message_whatever_its_params(champ: Any, raison: Any, locale: str) -> None:
    refusal = UserError("« {champ} » ne convient pas : {raison}.", champ=champ, raison=raison)
    assert len(explain(refusal, locale)) <= limits.CONTENT


def test_a_refusal_quotes_typed_text_short_even_inside_a_reason() -> None:
    typed = "Clermont " * 300
    refusal = UserError(
        "« {champ} » ne convient pas : {raison}.", champ=Text("titre"), raison=Text("{valeur} : inconnu", valeur=typed)
    )
    shown = explain(refusal, "fr")
    assert shown.startswith("« titre » ne convient pas : Clermont Clermont")
    assert shown.endswith("… : inconnu.")
    assert len(shown) < 200


def test_text_the_bot_composed_is_shown_whole_then_clipped() -> None:
    lines = Composed("\n".join(f"ligne {n} : commune inconnue" for n in range(2, 300)))
    shown = explain(UserError("Import refusé, rien n'a été enregistré :\n{lignes}", lignes=lines), "fr")
    assert "ligne 3 : commune inconnue\nligne 4" in shown
    assert len(shown) <= limits.CONTENT and shown.endswith(ELLIPSIS)


# Models members fill: every pydantic error their fields can give has a reason in French and English.
MEMBER_MODELS: tuple[type[BaseModel], ...] = (
    AdDraft,
    EventDraft,
    ProjectDraft,
    WhereWhen,
    HouseholdMakeup,
    WhatMatters,
)
BAD_VALUES: tuple[Any, ...] = (None, "", " ", "x" * 5000, -1, 0, 10**12, "abc", 1.5, [], {"a": 1}, ["?"], True)


def error_types() -> set[str]:
    found = set()
    for model in MEMBER_MODELS:
        for name in model.model_fields:
            for bad in BAD_VALUES:
                try:
                    model.model_validate({name: bad})
                except ValidationError as error:
                    found |= {detail["type"] for detail in error.errors()}
    return found - {"value_error"}  # our validators' own messages, checked below


def test_every_error_our_models_give_has_a_reason_in_french_and_english() -> None:
    types = error_types()
    assert {"string_too_short", "string_too_long", "missing", "enum", "less_than_equal"} <= types
    assert sorted(types - REASONS.keys() - COUNTED_REASONS.keys()) == []
    forms = {REASONS[kind] for kind in types & REASONS.keys()}
    forms |= {form for kind in types & COUNTED_REASONS.keys() for form in COUNTED_REASONS[kind][:2]}
    assert sorted(forms - catalogue().keys()) == []


class Form(BaseModel):
    nom: str = Field(min_length=2, max_length=5, title="Nom du projet")
    adultes: int = Field(ge=1, le=12)
    site: str = ""

    @field_validator("site")
    @classmethod
    def _web(cls, value: str) -> str:
        if value == "ftp":
            raise ValueError("le site doit commencer par http:// ou https://")
        if value == "boom":
            int(value)  # a library's ValueError, in English
        return value


def refusal(data: dict[str, Any], locale: str = "fr", labels: dict[str, str] | None = None) -> str:
    try:
        Form.model_validate(data)
    except ValidationError as error:
        return explain(invalid(error, Form, labels), locale)
    raise AssertionError("valid")


def test_a_field_is_named_by_its_title_with_the_reason_in_the_members_language() -> None:
    assert refusal({"nom": "x", "adultes": 2}) == "« Nom du projet » ne convient pas : au moins 2 caractères."
    assert refusal({"nom": "x", "adultes": 2}, "en-US") == "“Project name” does not fit: at least 2 characters."
    assert refusal({"nom": "abc", "adultes": 40}, labels={"adultes": "Nombre d'adultes"}) == (
        "« Nombre d'adultes » ne convient pas : au plus 12."
    )
    assert refusal({"nom": "abc", "adultes": "deux"}, "en-US").endswith("a whole number is expected.")


def test_our_validators_keep_their_french_message_and_a_librarys_english_is_not_shown() -> None:
    assert refusal({"nom": "abc", "adultes": 2, "site": "ftp"}).endswith(
        "ne convient pas : le site doit commencer par http:// ou https://."
    )
    assert refusal({"nom": "abc", "adultes": 2, "site": "ftp"}, "en-US").endswith(
        "the website must start with http:// or https://."
    )
    library = refusal({"nom": "abc", "adultes": 2, "site": "boom"}, "en-US")
    assert library.endswith("does not fit: not a valid value.")
    assert "invalid literal" not in library


def test_a_rule_across_fields_is_said_without_a_field() -> None:
    try:
        EventDraft.model_validate(
            {
                "guild_id": 1,
                "kind": "jpo",
                "title": "Portes ouvertes",
                "starts_at": "2027-04-12T14:00:00+00:00",
                "ends_at": "2027-04-12T12:00:00+00:00",
                "code_insee": "63113",
                "organiser_id": 1,
            }
        )
    except ValidationError as error:
        assert explain(invalid(error, EventDraft), "fr") == "Cela ne convient pas : la fin doit venir après le début."
    else:
        raise AssertionError("accepted")


# ---------------------------------------------------------------------- what the bot sends


def message_payload(rendered: dict[str, Any]) -> dict[str, Any]:
    """A message body as discord.py sends it."""
    payload: dict[str, Any] = {"content": rendered.get("content")}
    if "embed" in rendered:
        payload["embeds"] = [rendered["embed"].to_dict()]
    if "view" in rendered:
        payload["components"] = rendered["view"].to_components()
    return payload


OUTGOING = st.builds(
    Outgoing,
    content=st.one_of(NASTY.filter(str.strip), LONG.filter(str.strip)),
    title=st.one_of(st.none(), NASTY.filter(str.strip), LONG.filter(str.strip)),
    lines=st.lists(st.one_of(NASTY, LONG), max_size=20).map(tuple),
    buttons=st.lists(
        st.builds(Button, label=st.one_of(NASTY, LONG).filter(str.strip), custom_id=st.sampled_from(["a:b:1"])),
        max_size=30,
    ).map(lambda buttons: tuple(Button(b.label, f"x:{n}:{n}") for n, b in enumerate(buttons))),
)


@settings(max_examples=60, deadline=None)
@given(message=OUTGOING)
async def test_the_ledgers_messages_are_rendered_within_discords_limits(message: Outgoing) -> None:
    rendered = render(message)
    assert discord_limits.check_message(message_payload(rendered)) == []


EMBEDS = st.builds(
    lambda title, description, fields, footer: (title, description, fields, footer),
    st.one_of(st.none(), LONG),
    st.one_of(st.none(), LONG),
    st.lists(st.tuples(LONG, LONG), max_size=40),
    st.one_of(st.none(), LONG),
)


@settings(max_examples=60, deadline=None)
@given(parts=EMBEDS)
def test_any_card_is_fitted_within_discords_limits(parts: tuple[Any, ...]) -> None:
    title, description, fields, footer = parts
    embed = discord.Embed(title=title, description=description)
    for name, value in fields:
        embed.add_field(name=name, value=value)
    if footer:
        embed.set_footer(text=footer)
    assert discord_limits.check_message({"embeds": [fit(embed).to_dict()]}) == []


def test_a_card_that_fits_is_left_as_it_is() -> None:
    embed = discord.Embed(title="Titre", description="Texte").add_field(name="Où", value="Thiers (63)")
    assert (
        fit(embed).to_dict()
        == discord.Embed(title="Titre", description="Texte").add_field(name="Où", value="Thiers (63)").to_dict()
    )


# ---------------------------------------------------------------------- who a message pings (the emulator)


@pytest.mark.parametrize(
    ("content", "allowed", "expected"),
    [
        ("<@1> <@!2> <@&3> @everyone", None, ({1, 2}, {3}, True)),  # no allowed_mentions: Discord parses all
        ("<@1> <@&3> @everyone @here", {"parse": []}, (set(), set(), False)),  # AllowedMentions.none()
        ("<@1> <@2>", {"parse": [], "users": ["2"]}, ({2}, set(), False)),
        ("<@&3> <@&4> @everyone", {"parse": [], "roles": ["4"]}, (set(), {4}, False)),
        ("@here", {"parse": ["everyone"]}, (set(), set(), True)),
        ("<@1>", {"parse": ["users"]}, ({1}, set(), False)),
        ("@\u200beveryone <\\@1> <@ 1> @everyon", None, (set(), set(), False)),  # escaped or broken
    ],
)
def test_pings_follow_discords_allowed_mentions(
    content: str, allowed: dict[str, Any] | None, expected: tuple[set[int], set[int], bool]
) -> None:
    assert pings(content, allowed) == expected


@settings(max_examples=100, deadline=None)
@given(content=st.one_of(NASTY, LONG))
def test_nothing_pings_under_allowed_mentions_none(content: str) -> None:
    assert pings(content, discord.AllowedMentions.none().to_dict()) == (set(), set(), False)
