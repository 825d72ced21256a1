"""Importing citizens and answers from the CSV formats in docs/data-formats.md.

Everything is checked before anything is written, and the writes happen in the caller's
transaction, so an import is all-or-nothing. The caller (the CLI, the admin page) commits in
every case: a refused import or a dry run has rolled back its own writes and left only its
`data.import` audit entry. The services never print and never log a value; they return an
`ImportResult`.
"""

from survey.interop.citizen_import import import_citizens
from survey.interop.response_import import import_responses
from survey.interop.results import ImportResult, Problem

__all__ = ["ImportResult", "Problem", "import_citizens", "import_responses"]
