"""stations: the warm map (暖新地图) — rest stations, canteens, health centres and friendly merchants."""
