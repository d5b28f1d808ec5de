// The local chain of tests/anchoring: Hardhat's node with Sepolia's chain id, so that anchors
// read `blink:eth:sepolia:` as Blockcerts writes them, and the test keys funded at genesis
// (WALLET_TEST_CHAIN_KEYS: private keys, comma-separated). Each transaction is mined at once.
const keys = (process.env.WALLET_TEST_CHAIN_KEYS || '').split(',').filter(Boolean);

module.exports = {
  networks: {
    hardhat: {
      chainId: 11155111,
      accounts: keys.map(privateKey => ({ privateKey, balance: '1000000000000000000000' })),
      mining: { auto: true }
    }
  }
};
