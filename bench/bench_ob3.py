"""Sign and verify one Open Badges 3.0 credential (eddsa-rdfc-2022), ours next to Digital
Bazaar's (@digitalbazaar/vc + eddsa-rdfc-2022-cryptosuite, tests/oracles/vc) doing the same.

    .venv/bin/python bench/bench_ob3.py [--rounds 200]

The credential is a typical one of ours, about 2 KB signed, Japanese texts. Same work on
both sides: sign = canonicalise the proof options and the document, hash, Ed25519-sign
(ours also checks that every term is defined, one more canonicalisation); verify = the
proof, the issuer's key looked up in its profile (answered from memory), the dates. Node
times its own loop (no process start-up in its numbers). "full verify" adds what only our
verifier does: JSON schema, recipient hash, and the status list (itself a signed
credential, verified too). Medians; ratio = Digital Bazaar's time / ours (above 1: ours is
faster).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit.openbadges.ob3 import world as w  # noqa: E402
from wallet.openbadges.ob3 import integrity  # noqa: E402
from wallet.openbadges.ob3.verify import verify  # noqa: E402

ORACLE = ROOT / "tests" / "oracles" / "vc"


def median_ms(run: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds

    plain = replace(w.credential(), credential_status=())  # what DB's verify checks too
    unsigned = plain.to_json()
    signed = integrity.sign(unsigned, w.KEY, w.KEY_ID, created=w.SIGNED_AT)
    text = json.dumps(signed, ensure_ascii=False)
    fetcher = w.World().fetcher()
    full_text = json.dumps(w.signed(), ensure_ascii=False)
    assert verify(text, fetcher, now=w.NOW).valid
    assert verify(full_text, fetcher, now=w.NOW, recipients=[w.EMAIL]).valid

    ours_sign = median_ms(lambda: integrity.sign(unsigned, w.KEY, w.KEY_ID), rounds)
    ours_verify = median_ms(lambda: verify(text, fetcher, now=w.NOW), rounds)
    ours_full = median_ms(
        lambda: verify(full_text, fetcher, now=w.NOW, recipients=[w.EMAIL]), rounds
    )

    node = shutil.which("node")
    if node is None or not (ORACLE / "node_modules").is_dir():
        sys.exit("run `npm ci` in tests/oracles/vc first (bin/test does)")
    task = {
        "kind": "bench",
        "credential": unsigned,
        "seedHex": w.KEY.private_bytes_raw().hex(),
        "verificationMethod": w.KEY_ID,
        "documents": {w.ISSUER: w.World().profile()},
        "rounds": rounds,
    }
    done = subprocess.run(
        [node, str(ORACLE / "oracle.mjs")],
        input=json.dumps({"tasks": [task]}, ensure_ascii=False).encode(),
        capture_output=True,
        check=True,
    )
    theirs = json.loads(done.stdout)["results"][0]
    if "signMs" not in theirs:
        sys.exit(f"the Node benchmark failed: {theirs}")

    size = len(text.encode("utf-8"))
    print(f"credential: {size} bytes signed, {rounds} rounds, medians")
    print(f"{'':12} {'ours':>9} {'Digital Bazaar':>15} {'ratio':>7}")
    for name, mine, other in (
        ("sign", ours_sign, theirs["signMs"]),
        ("verify", ours_verify, theirs["verifyMs"]),
    ):
        print(f"{name:12} {mine:8.2f}ms {other:13.2f}ms {other / mine:6.2f}x")
    print(f"{'full verify':12} {ours_full:8.2f}ms {'(no equivalent)':>15}")


if __name__ == "__main__":
    main()
