"""The national project database: models, store, CSV and the flows that keep records alive."""
