"""Tests of landscape: bad_input."""
