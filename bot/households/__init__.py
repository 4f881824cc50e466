"""Newcomers' household introductions, consent, matching (pure scoring) and introductions between them."""
