"""notify: who must hear about what, and the live streams dashboards subscribe to."""
