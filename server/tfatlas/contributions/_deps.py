"""Everything this package takes from the rest of the atlas, in one place."""

from ..errors import AtlasError, DeadlineExceeded, InputError  # noqa: F401
from ..model.files import model_dir  # noqa: F401
from ..store.base import Delta  # noqa: F401
from ..store.bounded_update import too_late  # noqa: F401
from ..sparql.text import _resolve as sparql_resolve  # noqa: F401
from ..model.formats import FORMATS  # noqa: F401
from ..model.rdf_safety import MAX_JSON_DEPTH, jsonld_problem, quad_problem, update_problem  # noqa: F401
from ..sparql.access import allowed  # noqa: F401
from ..sparql.guard import problem as sparql_guard_problem  # noqa: F401
from ..sparql.stack import on_large_stack  # noqa: F401
from ..sparql.text import prologue as sparql_prologue  # noqa: F401
from ..sparql.text import tokens as sparql_tokens  # noqa: F401
from ..validation import shacl as validation  # noqa: F401
from ..version import __version__  # noqa: F401
from ..vocab import meta_graph  # noqa: F401
