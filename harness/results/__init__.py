"""Results: the task result files, results folders of any mteb version, leaderboard, report, compare, plots."""
