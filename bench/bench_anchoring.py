"""Anchoring library: canonicalise and hash a credential; batch tree and proofs; log proofs.

    .venv/bin/python bench/bench_anchoring.py [--number 200] [--leaves 1000000]
        [--jsonld-js /path/to/node_modules]

The credential is a Blockcerts v3 credential of about 2 KB with Japanese texts. With
`--jsonld-js` (a folder holding npm `jsonld`), the same credential is canonicalised by
jsonld.js under Node with the same bundled contexts, for a ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wallet.openbadges import jsonld, merkle2019  # noqa: E402
from wallet.openbadges.translog import LogTree, verify_inclusion  # noqa: E402

ORIGIN = "badges.example.ac.jp/ledger"


def credential() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/blockcerts/v3"],
        "id": "urn:uuid:6c1f0a2e-3b8d-4a7e-9f21-5d0c8e4b7a19",
        "type": ["VerifiableCredential", "BlockcertsCredential"],
        "issuer": {
            "id": "https://badges.example.ac.jp/ob/issuers/1/blockcerts.json",
            "name": "例示大学 教育推進機構",
            "url": "https://www.example.ac.jp/",
            "email": "badges@example.ac.jp",
        },
        "issuanceDate": "2026-04-02T03:00:00Z",
        "expirationDate": "2031-04-01T14:59:59Z",
        "credentialSubject": {
            "id": "mailto:hanako.yamada@example.ac.jp",
            "name": "山田 花子",
            "email": "hanako.yamada@example.ac.jp",
            "claim": {
                "id": "https://badges.example.ac.jp/ob/badges/42",
                "name": "データサイエンス基礎（リテラシーレベル）",
                "description": (
                    "数理・データサイエンス・AI教育プログラムのリテラシーレベルを修了した。"
                    "データの読み方、扱い方、説明の仕方に加え、データ・AIを扱う上での留意事項を"
                    "理解し、身近な課題にデータを用いて取り組むための基礎的な力を身につけている。"
                ),
                "criteria": (
                    "全学共通科目「データサイエンス入門」（2単位）および「AIと社会」（2単位）を"
                    "修得し、最終課題のレポートで評価基準の全項目を満たすこと。授業は全14回、"
                    "演習は全6回で、各回の小テストと演習課題の提出を要する。最終レポートでは、"
                    "公開データを一つ選び、問いの設定、データの前処理、可視化、結果の解釈、"
                    "限界と倫理的な留意点までを一貫して論じる。"
                ),
            },
        },
        "metadata": json.dumps(
            {"classOf": "2026", "faculty": "情報学部", "programme": "MDASH リテラシー"},
            ensure_ascii=False,
        ),
        "display": {
            "contentMediaType": "text/html",
            "content": "<p>データサイエンス基礎（リテラシーレベル）修了 — 山田 花子</p>",
        },
    }


def timed(function: Any, number: int) -> list[float]:
    times = []
    for _ in range(number):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def report(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    print(f"{name}: median {median * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, n={len(times)}")
    return median


NODE_SCRIPT = """
const jsonld = require('jsonld');
const fs = require('fs');
const [docPath, contextsPath, number] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
const contexts = JSON.parse(fs.readFileSync(contextsPath, 'utf8'));
const documentLoader = async url => {
  if (!(url in contexts)) throw new Error('not bundled: ' + url);
  return {contextUrl: null, documentUrl: url, document: contexts[url]};
};
const crypto = require('crypto');
(async () => {
  const times = [];
  let nquads;
  for (let i = 0; i < Number(number); i++) {
    const start = process.hrtime.bigint();
    nquads = await jsonld.canonize(doc, {algorithm: 'URDNA2015', format: 'application/n-quads',
                                          documentLoader, safe: false});
    crypto.createHash('sha256').update(nquads, 'utf8').digest('hex');
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({median: times[Math.floor(times.length / 2)], nquads}));
})();
"""


def jsonld_js(document: dict[str, Any], node_modules: Path, number: int) -> tuple[float, str]:
    contexts = {url: jsonld.load_document(url)["document"] for url in jsonld.context_urls()}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "doc.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
        (base / "contexts.json").write_text(json.dumps(contexts), "utf-8")
        (base / "bench.js").write_text(NODE_SCRIPT, "utf-8")
        node = shutil.which("node") or "node"
        result = subprocess.run(
            [
                node,
                str(base / "bench.js"),
                str(base / "doc.json"),
                str(base / "contexts.json"),
                str(number),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={"NODE_PATH": str(node_modules)},
        )
    answer = json.loads(result.stdout)
    return answer["median"] / 1000, answer["nquads"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--jsonld-js", type=Path, default=None)
    options = parser.parse_args()

    document = credential()
    size = len(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    print(f"credential: {size} bytes of JSON (UTF-8)")
    merkle2019.target_hash(document)  # load the contexts once
    ours = report(
        "canonicalise + SHA-256 (target hash)",
        timed(lambda: merkle2019.target_hash(document), options.number),
    )
    if options.jsonld_js:
        theirs, nquads = jsonld_js(
            jsonld.with_fallback_vocab(document), options.jsonld_js, options.number
        )
        same = nquads == jsonld.canonicalize(jsonld.with_fallback_vocab(document))
        print(f"jsonld.js canonize + SHA-256: median {theirs * 1000:.2f} ms "
              f"(same N-Quads: {same}); ours / jsonld.js = {ours / theirs:.2f}")  # fmt: skip

    leaves = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(options.leaves)]
    start, cpu = time.perf_counter(), time.process_time()
    tree = merkle2019.MerkleTree(leaves)
    built, built_cpu = time.perf_counter() - start, time.process_time() - cpu
    paths = tree.paths()
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"batch tree over {len(leaves):,} leaves: {built:.2f} s ({built_cpu:.2f} s CPU); "
          f"with every path: {total:.2f} s ({total_cpu:.2f} s CPU)")  # fmt: skip
    sample = min(12345, len(leaves) - 1)  # any leaf; a fixed one for comparable runs
    leaf, path = leaves[sample], paths[sample]
    del paths
    report("one MerkleProof2019 path fold", timed(lambda: merkle2019.fold(leaf, path), 2000))
    proof = merkle2019.MerkleProof(tree.root, leaf, path, (merkle2019.tlog_anchor(ORIGIN, 1),))
    proof_value = proof.encode()
    report(f"encode one proofValue ({len(proof_value)} characters)", timed(proof.encode, 500))
    report("decode one proofValue", timed(lambda: merkle2019.MerkleProof.decode(proof_value), 500))

    log = LogTree(leaves)
    hashes, root = log.inclusion_proof(sample), log.root()
    report(
        f"one log inclusion proof check ({len(leaves):,} entries)",
        timed(lambda: verify_inclusion(sample, log.size, leaf, hashes, root), 2000),
    )


if __name__ == "__main__":
    main()
