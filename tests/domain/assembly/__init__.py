"""Tests of document assembly and rendering."""
