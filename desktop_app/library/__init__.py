"""The music library: database, scanner, tags. Knows nothing of Qt.

Kept free of imports so scanner worker processes start without loading SQLAlchemy.
"""
