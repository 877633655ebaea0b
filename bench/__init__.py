"""Benchmarks at realistic scale: `python -m bench` runs every hot path (bench/__main__.py);
the bench_*.py scripts measure one path each in more detail."""
