"""HTTP handlers, one module per resource.

Every handler takes the same steps: policy, the body or query schema of its
microversion, validation, one call into ``placement.objects``, serialization.
Errors are exceptions from ``placement.errors``, turned into responses by the app.
"""
