"""The Cellar placement service: an OpenStack Placement compatible REST API."""
