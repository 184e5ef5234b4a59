"""Evaluation: question suites, scorer, the LangChain baseline, and benchmarks."""
