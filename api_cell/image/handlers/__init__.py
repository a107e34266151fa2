"""Thin HTTP handlers of the image API, one module per resource."""
