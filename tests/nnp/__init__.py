"""Tests of landscape: nnp."""
