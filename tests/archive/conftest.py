"""What the archive's importer tests share."""

import pytest


@pytest.fixture
def export(tmp_path):
    """Write a document to a file and return its path: export(text, name="export.xml")."""

    def write(document: str, name: str = "export.xml"):
        path = tmp_path / name
        path.write_text(document, encoding="utf-8")
        return path

    return write
