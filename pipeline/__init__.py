"""citrix-ports: the Citrix communication ports page as a validated dataset.

Stages, one module each, data flowing one way:
raw snapshot (``fetch``, ``detect``) -> tables (``readers``) -> rules (``rules``) -> ports
(``errata``, ``grammar``, ``ports``) -> validated (``schema``, ``validate``) -> published
(``publish``, ``report``).  ``build`` runs them all.  What is published is read back by
``published`` for ``query``, ``export``, ``diff`` and the consumers' ``api``.
"""

__version__ = "0.1.0"
