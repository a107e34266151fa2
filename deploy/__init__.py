"""Deployment tooling: the all-in-one launcher (``cellar-aio``)."""
