"""Pipelines: the Prefect flows, the ``registry`` CLI and run settings — the only package importing Prefect.

Nothing here is imported eagerly: ``pipelines.flow`` imports Prefect, ``pipelines.cli`` does so only when
a command needs it, so ``registry --help`` stays fast.
"""
