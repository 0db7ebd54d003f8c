"""reports: intake of everything workers send, published as events."""
