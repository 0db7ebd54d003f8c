"""Test support: real infrastructure fixtures and an in-process system runner."""
