"""Multi-node runs on Ray: encode groups scheduled on a cluster, results gated by the same pytest session.

``plan`` turns the selected (model, task) cases into encode groups ordered by expected cost;
``worker`` runs one group on a node; ``driver`` submits the groups as Ray tasks, writes the
returned results and reports progress. Ray is imported only by ``driver`` (the optional extra
``mieb[ray]``).
"""
