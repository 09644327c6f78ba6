"""Actors maintain their own entries: accounts, ownership, the SHACL gate, history (issue 10).

No Flask here: the web layer and the CLI call :class:`Contributions` (writes.py) and
:class:`Accounts` (accounts.py). See writes.py for the path of a write, ownership.py for what an
account may say, gate.py for the validation, history.py for what is recorded, handover.py for how
a seed resource becomes an actor's own.
"""

from .accounts import Account, Accounts, operator
from .errors import WriteRefused
from .writes import Contributions, WriteNotice, WriteResult

__all__ = ["Account", "Accounts", "Contributions", "WriteNotice", "WriteRefused", "WriteResult", "operator"]
