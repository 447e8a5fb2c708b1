"""NIR import and export: networks from sinabs, snnTorch, Norse, Lava and back, without torch.

- :func:`read` / :func:`import_file`: a NIR file -> spec text + weights (and files, checked).
- :func:`write`: a spec -> a NIR file.

The format is read and written with h5py (``hdf5.py``); ``docs/nir.md`` has the mapping table.
"""
from .exporter import write
from .importer import ImportReport, Imported, import_file, read

__all__ = ["read", "import_file", "write", "Imported", "ImportReport"]
