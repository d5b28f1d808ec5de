// An independent implementation for the wallet's Open Badges 3.0 tests: Digital Bazaar's
// vc / data-integrity / eddsa-rdfc-2022 libraries and panva's jose.
//
// Reads one JSON batch {"tasks": [...]} on stdin, writes {"results": [...]} on stdout, one
// result per task, in order. JSON-LD contexts come ONLY from the wallet's bundled contexts
// (wallet/openbadges/contexts/manifest.json) plus the documents a task hands in (issuer
// profiles, verification methods); any other URL is refused, never fetched.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as jose from 'jose';

const here = dirname(fileURLToPath(import.meta.url));
const contextsDir = join(here, '..', '..', '..', 'wallet', 'openbadges', 'contexts');
const manifest = JSON.parse(readFileSync(join(contextsDir, 'manifest.json'), 'utf8'));
const CONTEXTS = new Map();
for(const entry of manifest.contexts) {
  const document = JSON.parse(readFileSync(join(contextsDir, entry.file), 'utf8'));
  for(const url of entry.urls) {
    CONTEXTS.set(url, document);
  }
}
const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

function loaderFor(documents = {}) {
  return async url => {
    if(CONTEXTS.has(url)) {
      return {contextUrl: null, documentUrl: url, document: CONTEXTS.get(url)};
    }
    if(documents[url]) {
      return {contextUrl: null, documentUrl: url, document: documents[url]};
    }
    const [base] = url.split('#');
    const controller = documents[base];
    for(const method of controller?.verificationMethod ?? []) {
      if(typeof method === 'object' && method.id === url) {
        return {
          contextUrl: null,
          documentUrl: url,
          document: {'@context': MULTIKEY_CONTEXT, ...method}
        };
      }
    }
    throw new Error(`refused to load ${url}`);
  };
}

const suiteToVerify = () => new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const checkStatus = async () => ({verified: true});

async function keyPair({seedHex, id, controller}) {
  return Ed25519Multikey.generate({
    id, controller, seed: Uint8Array.from(Buffer.from(seedHex, 'hex'))
  });
}

async function verifyDi({credential, documents, now}) {
  const result = await vc.verifyCredential({
    credential,
    suite: suiteToVerify(),
    documentLoader: loaderFor(documents),
    checkStatus,
    now: now ? new Date(now) : undefined
  });
  const errors = [];
  const collect = error => {
    if(!error) {
      return;
    }
    for(const item of [error].flat()) {
      errors.push(String(item.message || item));
      collect(item.errors);
    }
  };
  collect(result.error);
  for(const item of result.results ?? []) {
    collect(item.error);
  }
  return {verified: result.verified, errors};
}

async function signDi({credential, seedHex, verificationMethod, controller}) {
  const key = await keyPair({seedHex, id: verificationMethod, controller});
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022});
  const signed = await vc.issue({credential, suite, documentLoader: loaderFor()});
  return {signed, publicKeyMultibase: key.publicKeyMultibase};
}

async function verifyJwt({token, jwk, alg}) {
  try {
    const key = await jose.importJWK(jwk, alg);
    const {payload, protectedHeader} = await jose.compactVerify(token, key, {algorithms: [alg]});
    return {
      verified: true,
      header: protectedHeader,
      payloadBase64: Buffer.from(payload).toString('base64')
    };
  } catch(error) {
    return {verified: false, errors: [String(error.message || error)]};
  }
}

async function signJwt({payload, jwk, alg, kid}) {
  const key = await jose.importJWK(jwk, alg);
  const token = await new jose.CompactSign(new TextEncoder().encode(payload))
    .setProtectedHeader({alg, kid, typ: 'JWT'})
    .sign(key);
  return {token};
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// The same work bench/bench_ob3.py times on our side: sign one credential, verify it.
async function bench({credential, seedHex, verificationMethod, documents, rounds}) {
  const key = await keyPair({
    seedHex, id: verificationMethod, controller: verificationMethod.split('#')[0]
  });
  const documentLoader = loaderFor(documents);
  const signTimes = [];
  const verifyTimes = [];
  let signed;
  for(let i = 0; i < rounds; i++) {
    const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022});
    let start = performance.now();
    signed = await vc.issue({credential: structuredClone(credential), suite, documentLoader});
    signTimes.push(performance.now() - start);
    start = performance.now();
    const result = await vc.verifyCredential({
      credential: signed, suite: suiteToVerify(), documentLoader, checkStatus
    });
    verifyTimes.push(performance.now() - start);
    if(!result.verified) {
      throw new Error('bench credential did not verify');
    }
  }
  return {signMs: median(signTimes), verifyMs: median(verifyTimes), rounds};
}

const TASKS = {verifyDi, signDi, verifyJwt, signJwt, bench};

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for(const task of input.tasks) {
  try {
    results.push(await TASKS[task.kind](task));
  } catch(error) {
    results.push({verified: false, failed: true, errors: [String(error.stack || error)]});
  }
}
process.stdout.write(JSON.stringify({results}));
