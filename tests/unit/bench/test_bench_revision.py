"""Which code a benchmark or a fault-suite result was measured on."""

from __future__ import annotations

import subprocess

from bench.revision import revision


def _git(repo, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout.strip()


def test_the_short_commit_and_whether_tracked_files_changed_since(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = _git(tmp_path, "rev-parse", "--short", "HEAD")

    assert revision(tmp_path) == head
    (tmp_path / "untracked.txt").write_text("not part of the code\n")
    assert revision(tmp_path) == head
    (tmp_path / "a.txt").write_text("two\n")
    assert revision(tmp_path) == f"{head}+changes"


def test_outside_a_checkout_there_is_no_revision(tmp_path):
    assert revision(tmp_path) is None
