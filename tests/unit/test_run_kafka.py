"""deploy/kafka/run-kafka.sh: the cluster id it formats a fresh broker with is one the tool accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "kafka" / "run-kafka.sh"


def test_a_cluster_id_never_begins_with_a_dash(tmp_path: Path):
    # `head` that first yields bytes whose base64 begins with '+' (so '-' once URL-safe): a tool
    # reading `-t -...` takes the id for an option, and the broker never starts. Its second draw is
    # fixed too (0x04 then zeros: "BA..."), as a random one begins with '-' one time in 64.
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "head").write_text(
        "#!/bin/sh\n"
        f"n=$(cat {tmp_path}/calls 2>/dev/null || echo 0); echo $((n + 1)) > {tmp_path}/calls\n"
        'if [ "$n" = 0 ]; then printf "\\370\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0"; '
        'else printf "\\004\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0"; fi\n'
    )
    (shim / "head").chmod(0o755)
    done = subprocess.run(
        ["bash", "-c", f'source "{SCRIPT}"; PATH="{shim}:$PATH" new_cluster_id'],
        capture_output=True, text=True, check=True,
    )
    cid = done.stdout.strip()
    assert (tmp_path / "calls").read_text().strip() == "2", "the first draw began with '-' and was redrawn"
    assert cid == "BA" + "A" * 20, cid


def test_sourcing_the_script_only_defines_its_functions():
    done = subprocess.run(
        ["bash", "-c", f'source "{SCRIPT}"; type -t start stop new_cluster_id'],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.split() == ["function"] * 3
    assert "usage" not in done.stderr
