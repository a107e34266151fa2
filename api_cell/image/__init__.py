"""cellar-image: the image service, a subset of the OpenStack Image API v2 (Glance).

Images are records in the API DB (db/api/images.py) and their data files in a
directory store (store.py). The Flask app (app.py) routes (routes.py) to thin
handlers (handlers/) over domain functions (domain.py) that know nothing of HTTP.
See doc/image.rst.
"""
