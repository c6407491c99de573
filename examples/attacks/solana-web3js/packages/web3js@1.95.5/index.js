// @solana/web3.js (replica): key pairs and a connection that sends transactions to the cluster's RPC host.
'use strict';
const RPC = '__SERVICE__/rpc';

class Keypair {
  constructor(secretKey) {
    this.secretKey = secretKey;
  }
  static fromSecretKey(bytes) {
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
