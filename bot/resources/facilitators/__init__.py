"""Facilitators of habitat participatif: the structures that support groups, their directory, the
ranking that matches them to a group's needs, and contact through the bot."""
