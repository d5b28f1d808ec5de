// Verifies Blockcerts credentials with Blockcerts' own verifier, @blockcerts/cert-verifier-js,
// reading the anchoring transactions from a local Ethereum node instead of a public explorer.
//
//   node verify.mjs --rpc http://127.0.0.1:8545 credential.json [more.json ...]
//
// Prints one JSON array on stdout: per credential {file, status, message, steps, blocked},
// status "success" or "failure" (cert-verifier-js's final status, or "failure" when it could
// not even read the credential, with `error`). Everything the library logs goes to stderr.
//
// Only loopback is reachable from here: any connection elsewhere (a public explorer, a
// context or DID resolver the library would fetch) is refused and listed in `blocked`.
// Issuer profiles are fetched over HTTPS (the library upgrades http:// URLs): the caller
// serves them on loopback and names its certificate in NODE_EXTRA_CA_CERTS.

import net from 'node:net';
import { readFile } from 'node:fs/promises';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);
const blocked = [];

// Every TCP connection (fetch, http, https) goes through net.Socket#connect.
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect (...args) {
  let options = args[0];
  if (Array.isArray(options)) {
    options = options[0];
  }
  const host = typeof options === 'object' && options !== null
    ? (options.path ? 'localhost' : (options.host ?? 'localhost'))
    : (typeof args[1] === 'string' ? args[1] : 'localhost');
  if (!LOOPBACK.has(host)) {
    blocked.push(host);
    throw new Error(`refused a connection to ${host}: the oracle reaches loopback only`);
  }
  return connect.apply(this, args);
};

// Logging would corrupt the JSON on stdout.
for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  console[name] = (...parts) => process.stderr.write(parts.map(String).join(' ') + '\n');
}

function parseArgs (argv) {
  const files = [];
  let rpc = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rpc') {
      rpc = argv[++i];
    } else {
      files.push(argv[i]);
    }
  }
  if (!rpc || files.length === 0) {
    process.stderr.write('usage: node verify.mjs --rpc <json-rpc url> <credential.json> ...\n');
    process.exit(2);
  }
  return { rpc, files };
}

async function rpcCall (url, method, params) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
  });
  const body = await response.json();
  if (body.error) {
    throw new Error(`${method}: ${body.error.message}`);
  }
  return body.result;
}

// cert-verifier-js's explorer lookup, answered by the node's JSON-RPC: it wants the
// transaction's data (the Merkle root, hex without 0x), its sender and its block's time.
// (The library's built-in RPC explorer reads a `serviceUrl` key that its options never
// set, and puts a second 0x before Blockcerts' 0x-prefixed transaction ids.)
function localExplorer (rpcUrl) {
  return {
    serviceURL: rpcUrl,
    priority: 0,
    apiType: 'rpc',
    parsingFunction: async ({ transactionId }) => {
      const hash = transactionId.startsWith('0x') ? transactionId : `0x${transactionId}`;
      const tx = await rpcCall(rpcUrl, 'eth_getTransactionByHash', [hash]);
      if (!tx || !tx.blockNumber) {
        throw new Error(`transaction ${hash} is not mined`);
      }
      const block = await rpcCall(rpcUrl, 'eth_getBlockByNumber', [tx.blockNumber, false]);
      return {
        remoteHash: tx.input.replace(/^0x/, ''),
        issuingAddress: tx.from,
        time: new Date(parseInt(block.timestamp, 16) * 1000),
        revokedAddresses: []
      };
    }
  };
}

async function verifyOne (Certificate, file, rpc) {
  const steps = [];
  const seen = blocked.length;
  const result = { file, steps };
  try {
    const definition = JSON.parse(await readFile(file, 'utf8'));
    const certificate = new Certificate(definition, { locale: 'en-US', explorerAPIs: [localExplorer(rpc)] });
    await certificate.init();
    const final = await certificate.verify(({ code, status, errorMessage, parentStep }) => {
      if (status !== 'starting') {
        steps.push({ code, status, parentStep, ...(errorMessage ? { errorMessage } : {}) });
      }
    });
    result.status = final.status;
    result.message = final.message;
  } catch (error) {
    result.status = 'failure';
    result.error = String(error?.message ?? error);
  }
  result.blocked = blocked.slice(seen);
  return result;
}

const { rpc, files } = parseArgs(process.argv.slice(2));
const { Certificate } = await import('@blockcerts/cert-verifier-js/dist/verifier-node/index.js');
const results = [];
for (const file of files) {
  results.push(await verifyOne(Certificate, file, rpc));
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
