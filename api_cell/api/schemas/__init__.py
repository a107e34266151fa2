"""JSON Schemas of the request bodies, one module per resource."""
