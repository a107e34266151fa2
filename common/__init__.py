"""Pieces two or more tiers need: configuration, request context, task streams, logging."""
