"""Everything this package takes from the rest of the atlas, in one place.

The atlas's modules are being moved into sub-packages (issue 9); only these imports need to
follow them.
"""

from ..errors import AtlasError, InputError, QueryError  # noqa: F401
from ..rdfformats import FORMATS, Format  # noqa: F401
from ..resources import model_dir  # noqa: F401
from ..sparql_protocol import _prologue as sparql_prologue  # noqa: F401
from ..sparql_protocol import _resolve as sparql_resolve  # noqa: F401
from ..sparql_protocol import tokens as sparql_tokens  # noqa: F401
from ..sparql_depth import nesting_error  # noqa: F401
from ..store.base import meta_graph  # noqa: F401
from .. import validation  # noqa: F401
