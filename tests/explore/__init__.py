"""Tests of landscape: explore."""
