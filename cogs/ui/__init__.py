"""Shared Discord UI: text in the member's language, error reporting, views, paginator."""
