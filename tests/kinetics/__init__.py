"""Tests of landscape: kinetics."""
