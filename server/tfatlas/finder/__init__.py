"""The finder: who helps with which challenge (search, facets), and the coverage overview."""

from .search import (FACETS, LANGUAGES, PAGE_SIZE, Coverage, Facet, FinderInputError, Result, Search,
                     StateCache, StoreState, cached_schemes, coverage, find, fold, load_schemes,
                     parse_search)

__all__ = ["FACETS", "LANGUAGES", "PAGE_SIZE", "Coverage", "Facet", "FinderInputError", "Result", "Search",
           "StateCache", "StoreState", "cached_schemes", "coverage", "find", "fold", "load_schemes",
           "parse_search"]
