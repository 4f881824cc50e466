"""The bitmasks the in-memory indexes and the stores read: a set of a vocabulary's members and back."""

from __future__ import annotations

from enum import StrEnum

from hypothesis import given
from hypothesis import strategies as st

from bot.vocabulary import Apport, EspacePartage, EtapeRejointe, Milieu, Public, Statut, Valeur, mask_of, members_of

VOCABULARIES: list[type[StrEnum]] = [Apport, EspacePartage, EtapeRejointe, Milieu, Public, Statut, Valeur]


@given(st.sampled_from(VOCABULARIES).flatmap(lambda v: st.tuples(st.just(v), st.frozensets(st.sampled_from(list(v))))))
def test_a_set_comes_back_from_its_mask_as_it_was(case: tuple[type[StrEnum], frozenset[StrEnum]]) -> None:
    vocabulary, members = case
    mask = mask_of(members, vocabulary)
    assert members_of(mask, vocabulary) == members
    assert members_of(mask, vocabulary) is members_of(mask, vocabulary)  # read once, then shared
    assert all(isinstance(member, vocabulary) for member in members_of(mask, vocabulary))
