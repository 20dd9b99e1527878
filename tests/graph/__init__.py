"""Tests of landscape: graph."""
