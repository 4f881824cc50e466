"""Small ads ("petites annonces"): households looking for a group, groups looking for households,
dwellings, land, mutual help. They expire, can be renewed, withdrawn, marked filled, reported and
removed by a moderator; their forum post follows them."""
