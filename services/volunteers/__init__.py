"""volunteers: the six volunteer roles, elderly pairings and visits, and the points ledger (志愿积分)."""
