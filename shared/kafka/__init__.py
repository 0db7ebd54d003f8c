"""Kafka plumbing: brokers, topics, producers and the batch consumer with inbox and dead letters."""
