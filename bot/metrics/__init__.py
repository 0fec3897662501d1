"""What newsbot counts and measures, and the HTTP endpoint that serves it.

:class:`Metrics` holds the counters and histograms on a registry of its own; the parts
that poll, fetch and send record into the one they are given. :mod:`bot.metrics.server`
serves them as Prometheus text at ``/metrics``, beside ``/healthz``, while
``newsbot run`` runs with ``metrics.listen`` set.
"""

from bot.metrics.recorder import Metrics

__all__ = ["Metrics"]
