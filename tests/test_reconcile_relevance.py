"""The reconciliation bench's figure on the seed data: organisation names as other registries
write them (short names, old and new names, umlaut and ß spellings, typos) find the right body."""

from __future__ import annotations

import json
import subprocess
import sys

from support.paths import REPO


def test_hit_at_1_is_at_least_0_9_and_no_match_is_wrong():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "reconcile.py"), "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["names"] >= 40
    assert figures["hit@1"] >= 0.9, figures["misses"]
    # a wrong automatic match would become a wrong link
    assert figures["wrong_matches"] == 0, figures
