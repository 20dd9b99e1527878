"""Tests of landscape: study."""
