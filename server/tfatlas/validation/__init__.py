"""Checking data: SHACL validation (files, one entry against a store, a whole store) and OWL reasoning."""

from .shacl import (Report, Workspace, add_neighbourhood, context_files, is_context_file, load_context,
                    parse_file, validate_entry, validate_files, validate_store)

__all__ = ["Report", "Workspace", "add_neighbourhood", "context_files", "is_context_file", "load_context",
           "parse_file", "validate_entry", "validate_files", "validate_store"]
