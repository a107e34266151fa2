"""What the compute API does, free of HTTP: handlers parse and shape, these decide."""
