"""Which services' consumers long-poll briefly (a live view waits on them) and which may wait longer."""

from __future__ import annotations

import pytest

from services.notify.main import SPEC as NOTIFY
from services.reports.main import SPEC as REPORTS
from services.routing.main import SPEC as ROUTING
from services.volunteers.main import SPEC as VOLUNTEERS
from shared.settings import PlatformSettings

SETTINGS = PlatformSettings(fetch_max_wait_ms=20, follower_fetch_max_wait_ms=300)


@pytest.mark.parametrize("spec", [ROUTING, NOTIFY], ids=lambda s: s.name)
def test_the_services_on_the_way_to_the_dashboard_poll_the_short_wait(spec):
    # A record reaching routing or notify while it idles waits this long on the embedded broker,
    # once a hop, before the dashboard shows the case.
    assert spec.live
    assert spec.fetch_max_wait_ms(SETTINGS) == 20


@pytest.mark.parametrize("spec", [REPORTS, VOLUNTEERS], ids=lambda s: s.name)
def test_the_followers_poll_the_long_wait(spec):
    assert not spec.live
    assert spec.fetch_max_wait_ms(SETTINGS) == 300


def test_the_follower_wait_defaults_to_200_ms_and_is_bounded(monkeypatch):
    monkeypatch.delenv("NUANXIN_FOLLOWER_FETCH_MAX_WAIT_MS", raising=False)
    assert PlatformSettings().follower_fetch_max_wait_ms == 200
    with pytest.raises(ValueError, match="follower_fetch_max_wait_ms"):
        PlatformSettings(follower_fetch_max_wait_ms=0)
