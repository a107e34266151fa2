"""HTTP handlers, one module per REST resource: parse, authorize, validate, call, shape."""
