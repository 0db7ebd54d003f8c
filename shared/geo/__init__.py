"""Geography shared by services: coordinate systems (WGS84 inside, GCJ-02 at the edges)."""
