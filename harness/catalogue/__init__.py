"""Questions asked of the catalogue: tasks, benchmarks, and the subsets a run selects."""
