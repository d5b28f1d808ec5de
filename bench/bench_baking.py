"""Bake + extract a ~100 KB PNG and an SVG: ours vs openbadges-bakery, in one run.

    .venv/bin/python bench/bench_baking.py [--repeat 7] [--number 50]

Prints the best per-operation time of each (min over repeats) and the ratio.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import timeit
import warnings
from collections.abc import Callable

import openbadges_bakery
from PIL import Image

from wallet.openbadges.baking import bake_png, bake_svg, extract

ASSERTION = json.dumps(
    {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://badges.example.ac.jp/ob/assertions/1",
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": "0" * 32,
            "identity": "sha256$" + "a" * 64,
        },
        "badge": "https://badges.example.ac.jp/ob/badges/1",
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2026-04-01T09:30:00+00:00",
    }
)


def noisy_png(target_bytes: int = 100 * 1024) -> bytes:
    """An RGB PNG of random pixels (incompressible) of about `target_bytes`."""
    side = int((target_bytes / 3) ** 0.5)
    pixels = random.Random(4).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def badge_svg(shapes: int = 200) -> bytes:
    rng = random.Random(4)
    circles = "".join(
        f'<circle cx="{rng.randint(0, 512)}" cy="{rng.randint(0, 512)}" r="{rng.randint(2, 40)}" '
        f'fill="#{rng.randrange(0xFFFFFF):06x}"/>'
        for _ in range(shapes)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">'
        f"<title>Data Science Basics</title>{circles}</svg>\n"
    ).encode()


def ours_png(png: bytes) -> str:
    return extract(bake_png(png, ASSERTION))


def ours_svg(svg: bytes) -> str:
    return extract(bake_svg(svg, ASSERTION))


def theirs(image: bytes) -> str:
    baked = openbadges_bakery.bake(io.BytesIO(image), ASSERTION, io.BytesIO())
    baked.seek(0)
    return str(openbadges_bakery.unbake(baked))


def best(function: Callable[[], object], repeat: int, number: int) -> float:
    return min(timeit.repeat(function, repeat=repeat, number=number)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=50)
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)  # openbadges-bakery's rfc3986 use
    png, svg = noisy_png(), badge_svg()
    assert ours_png(png) == theirs(png) == ASSERTION
    assert ours_svg(svg) == ASSERTION
    print(f"PNG {len(png)} bytes, SVG {len(svg)} bytes; bake + extract, best of {args.repeat}")
    print("| image | ours | openbadges-bakery | speed-up |")
    print("|---|---|---|---|")
    for name, image, ours in (("PNG", png, ours_png), ("SVG", svg, ours_svg)):
        mine = best(lambda: ours(image), args.repeat, args.number)  # noqa: B023
        other = best(lambda: theirs(image), args.repeat, args.number)  # noqa: B023
        print(f"| {name} | {mine * 1e3:.3f} ms | {other * 1e3:.3f} ms | {other / mine:.1f}x |")


if __name__ == "__main__":
    main()
