"""The conformance corpus, its generator, runner and reference implementation."""
