"""Tests of landscape: samples."""
