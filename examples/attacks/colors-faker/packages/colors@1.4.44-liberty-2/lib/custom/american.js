// The sabotage (replica of lib/custom/american.js in colors 1.4.44-liberty-2): on load, print
// "LIBERTY LIBERTY LIBERTY" and zalgo-garbled text in an endless loop. The replica stops after 24 lines.
'use strict';
const zalgo = (text) => text.split('').map((c) => c + '\u0336\u0335\u0334').join('');
module.exports = function american() {
  for (let i = 666; i < 666 + 24; i++) {
    process.stdout.write(i % 3 === 0 ? 'LIBERTY LIBERTY LIBERTY\n' : zalgo('testing testing testing') + '\n');
  }
};
