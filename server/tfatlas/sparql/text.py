"""A guard against SPARQL texts nested too deeply for the engine's parser.

Oxigraph's SPARQL parser is recursive: a text with a few thousand nested groups or parentheses
overflows the stack and kills the process (SIGSEGV) instead of raising a syntax error. Through the
endpoint that was a 500 from a crashed query worker; through ``tfatlas query`` a segmentation
fault; an admin update would take the server process with it. Real queries nest a few dozen
levels at most, so a text nested deeper than ``MAX_DEPTH`` is refused before the engine sees it.
"""

from __future__ import annotations

from .sparql_protocol import tokens

MAX_DEPTH = 256
_OPEN = {"{", "(", "["}
_CLOSE = {"}", ")", "]"}


def nesting_error(text: str) -> str | None:
    """A message when ``text`` nests groups, parentheses or brackets deeper than ``MAX_DEPTH``."""
    # Counting characters is cheap; only texts with that many openers at all are tokenized
    # (which skips brackets inside strings, IRIs and comments).
    if text.count("{") + text.count("(") + text.count("[") <= MAX_DEPTH:
        return None
    depth = 0
    for tok in tokens(text):
        if tok.text in _OPEN and tok.kind in ("open", "other"):
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, tok.start) + 1
                column = tok.start - (text.rfind("\n", 0, tok.start) + 1) + 1
                return (f"the text nests groups or parentheses more than {MAX_DEPTH} levels deep "
                        f"(at {line}:{column}); this server does not parse that")
        elif tok.text in _CLOSE and tok.kind in ("close", "other"):
            depth = max(0, depth - 1)
    return None
