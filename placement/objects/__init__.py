"""The domain and database layer of placement: all SQL for its schema lives here."""
