"""Traces, logs and metrics: set up once per process, shared by every service."""
