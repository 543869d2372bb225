"""citrix-ports: the Citrix communication ports page as a validated dataset.

Grouped by layer, data flowing one way: ``source`` (the live page into raw/) -> ``page``
(bytes -> text -> tables: vocabulary, grammar, model, readers) -> ``stages`` (rules ->
ports -> ids -> validated -> published, run by ``stages.build``) -> the published files,
read back by ``dataset`` (schemas, published tables, query) for ``diff``, ``export``,
``registry`` (ids, align, compare), ``cli`` and the consumers' ``api``.  ``core`` serves
every layer.  What may import what is a test (tests/test_architecture.py).
"""

from pathlib import Path

__version__ = "0.1.0"
PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"  # vocabularies, mappings, limits, errata, the registry
