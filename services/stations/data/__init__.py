"""Shipped data of the stations service: the synthetic demo set and its generator."""
