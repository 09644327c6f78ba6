"""Helpers the tests share (not tests themselves): servers, stores, the W3C suites' readers."""
