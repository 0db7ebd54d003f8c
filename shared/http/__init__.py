"""HTTP plumbing shared by every service: auth dependency, errors, server spans."""
