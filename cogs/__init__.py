"""La face Discord du bot : un cog par domaine."""
