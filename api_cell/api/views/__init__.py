"""View builders: records in, the JSON shapes of the OpenStack Compute API out."""
