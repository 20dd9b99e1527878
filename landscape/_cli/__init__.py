"""Command groups of the ``landscape`` CLI; each module defines ``register(app)``."""
