"""A local Discord (HTTP API v10 and gateway) for offline try-outs and end-to-end tests."""
