"""citrix-ports: the Citrix communication ports page as a validated dataset.

Stages, one module each, data flowing one way:
raw snapshot (``fetch``, ``detect``) -> tables (``readers``) -> rules (``rules``) -> ports
(``errata``, ``grammar``, ``ports``) -> ids (``components``, ``identify``) -> validated
(``schema``, ``validate``) -> published (``publish``, ``report``).  ``build`` runs them
all.  What is published is read back by ``published`` for ``query``, ``export``,
``diff``, ``align``, ``compare``, ``components_list`` and the consumers' ``api``.
"""

__version__ = "0.1.0"
