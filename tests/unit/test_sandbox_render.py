"""Forms rendered as a member reads them: labels, what each field takes, a menu's options."""

from __future__ import annotations

from bot.sandbox.render import modal_fields, render_modal

MODAL = {
    "title": "Proposer un projet",
    "custom_id": "0c929c32b098cdad232a1d8a876f49ec",
    "components": [
        {"type": 1, "components": [{"type": 4, "style": 1, "label": "Nom du projet", "custom_id": "f1dfe985",
                                    "required": True, "min_length": 2, "max_length": 100, "value": "Le Clos"}]},
        {"type": 10, "content": "Les champs marqués * sont obligatoires."},
        {"type": 1, "components": [{"type": 4, "style": 2, "label": "Description", "custom_id": "466b2f17",
                                    "required": False, "max_length": 2000, "placeholder": "Le projet…"}]},
        {"type": 18, "label": "Durée", "component": {"type": 3, "custom_id": "annonce-duree", "min_values": 1,
         "max_values": 1, "options": [{"label": "30 jours", "value": "30"},
                                      {"label": "60 jours", "value": "60", "default": True}]}},
    ],
}  # fmt: skip


def test_a_form_shows_labels_and_what_each_field_takes_in_order() -> None:
    assert render_modal(MODAL).splitlines() == [
        "▭ Proposer un projet",
        "  Nom du projet* : texte, 2 à 100 caractères = « Le Clos »",
        "  Les champs marqués * sont obligatoires.",
        "  Description : texte long, jusqu'à 2000 caractères (Le projet…)",
        "  Durée* : menu, 1 choix parmi 30 jours, 60 jours ✓",
    ]


def test_the_fields_that_submit_something_come_with_their_label() -> None:
    assert [(label, inner["custom_id"]) for label, inner in modal_fields(MODAL)] == [
        ("Nom du projet", "f1dfe985"),
        ("Description", "466b2f17"),
        ("Durée", "annonce-duree"),
    ]
