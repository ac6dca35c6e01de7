"""Importers: one parser per input format, one shared loader.

Parsers (`pages.parse_page`, `wxr.parse_wxr`) are pure functions from text to the plain
records in `records`; `loader.load` writes records to the database, one transaction per file.
"""

from archive.importing.records import ImportFailure

__all__ = ["ImportFailure"]
