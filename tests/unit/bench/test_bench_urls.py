"""The bench names its databases on a server URL of either form: TCP, or the embedded server's
Unix-domain socket, whose folder is in the query rather than the host."""

from __future__ import annotations

import pytest

from bench.stack import database_name, with_database

SOCKET = "postgresql://postgres@/nuanxin?host=/work/var/bench-postgres&port=40643"
TCP = "postgresql://postgres@127.0.0.1:40643/nuanxin"


@pytest.mark.parametrize("url", [SOCKET, TCP], ids=["socket", "tcp"])
def test_another_database_on_the_same_server(url):
    other = with_database(url, "bench_20261201t1950z")
    assert database_name(other) == "bench_20261201t1950z"
    assert database_name(url) == "nuanxin"
    assert other.replace("bench_20261201t1950z", "nuanxin") == url


def test_the_socket_folder_stays_in_the_query():
    assert with_database(SOCKET, "postgres") == (
        "postgresql://postgres@/postgres?host=/work/var/bench-postgres&port=40643"
    )
