"""What comes from outside: the national project database (a YesWiki Bazar site), calendar feeds."""
