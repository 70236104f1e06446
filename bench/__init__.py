"""Benchmarks for step1x_edit: overhead, import time, polling, deadline and concurrency.

Run `python -m bench` (or `scripts/bench`); see bench/__main__.py.
"""
