"""kpg's benchmark: `bench/run.py` measures kpg and its peers and writes the results file."""
