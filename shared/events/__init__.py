"""Events: CloudEvents envelope and the catalogue of event bodies."""
