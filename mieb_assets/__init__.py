"""Where the installed offline assets live, and the emoji set read from them.

A leaf beside ``mieb_records``: it imports nothing of the project, so the offline models
(``mieb_models``) and the MIEB(offline) dataset builders (``harness.offline``) both stand on it.
"""
