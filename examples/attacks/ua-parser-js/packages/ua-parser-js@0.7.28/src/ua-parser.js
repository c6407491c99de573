// ua-parser-js (replica): names the browser in a User-Agent string.
'use strict';
const BROWSERS = [['Firefox', /Firefox\/([\d.]+)/], ['Chrome', /Chrome\/([\d.]+)/], ['Safari', /Version\/([\d.]+).*Safari/]];
function UAParser(ua) {
  if (!(this instanceof UAParser)) return new UAParser(ua);
  this.ua = String(ua || '');
}
UAParser.prototype.getBrowser = function () {
  for (const [name, re] of BROWSERS) {
    const m = re.exec(this.ua);
    if (m) return { name, version: m[1] };
  }
  return { name: undefined, version: undefined };
};
module.exports = UAParser;
