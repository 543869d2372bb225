"""citrix-ports: the Citrix communication ports page as a validated dataset.

Stages, one module each, data flowing one way:
raw snapshot -> tables (``text_reader``) -> rules (``rules``) -> ports (``ports``)
-> validated (``validate``) -> published (``publish``).  ``build`` runs them all.
"""

__version__ = "0.1.0"
