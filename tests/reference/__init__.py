"""Tests of landscape: reference."""
