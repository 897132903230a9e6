"""The real-client suite: third-party Clockify client libraries, installed from PyPI at
pinned versions into their own virtual environments, driven through their public APIs
against a live mock with only the base URL and key changed. ``python -m compat``."""
