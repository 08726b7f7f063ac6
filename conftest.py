"""Repository-root pytest wiring: keep build outputs and virtualenvs out of collection.

The mieb plugin itself is registered through the ``pytest11`` entry point (see pyproject.toml),
so the benchmark works the same from an installed package as from this checkout.
"""

collect_ignore_glob = [".venv/*", "build/*", "results/*"]
