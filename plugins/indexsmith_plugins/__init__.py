"""Built-in methodology components for indexsmith.

Each module is a plugin registered through the same hooks and registry as third-party
plugins (``indexsmith.DEFAULT_PLUGINS``), and imports only the public ``indexsmith`` API.
"""
