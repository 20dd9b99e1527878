"""Tests of landscape (a package, so that the helpers import as tests.helpers)."""
