"""Encoding: the batching engine, the embedding cache, decoding, prefetch and output checks."""
