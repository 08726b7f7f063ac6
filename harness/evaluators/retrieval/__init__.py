"""Retrieval: dense search with bounded memory, trec_eval's measures and order, abstention."""
