"""The needs diagnostic (`/accompagnement diagnostic`): where a group stands on the facilitators'
framework, the kinds of expertise that fit, and who nearby can bring them. Nothing is stored unless the
member keeps the result."""
