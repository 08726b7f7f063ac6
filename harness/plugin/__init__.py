"""The pytest plugin: its options, the benchmark cases, the results summary and CI surfaces."""
