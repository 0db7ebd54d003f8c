"""routing: location to owning community, cases, deadlines and escalation."""
