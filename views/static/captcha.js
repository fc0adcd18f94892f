// The Sportello's captcha widget: fetches an ALTCHA challenge from Cassa, finds the number n such
// that SHA-256(salt + n) equals the challenge (proof of work, in the browser), and puts the
// solution in the form's hidden "altcha" field. No third party is contacted.
(function () {
  'use strict';
  var box = document.getElementById('altcha');
  if (!box) return;
  var field = document.getElementById('altcha-payload');
  var status = document.getElementById('altcha-status');
  var hex = function (buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  };
  var say = function (text) { status.textContent = text; };
  async function solve(c) {
    var enc = new TextEncoder();
    var max = c.maxnumber || c.maxNumber || 1000000;
    for (var n = 0; n <= max; n++) {
      var h = hex(await crypto.subtle.digest('SHA-256', enc.encode(c.salt + n)));
      if (h === c.challenge) return n;
    }
    return null;
  }
  async function run() {
    say(box.getAttribute('data-working'));
    try {
      var res = await fetch(box.getAttribute('data-challenge-url'), { credentials: 'same-origin', cache: 'no-store' });
      var c = await res.json();
      var started = Date.now();
      var n = await solve(c);
      if (n === null) throw new Error('no solution');
      var payload = { algorithm: c.algorithm, challenge: c.challenge, number: n, salt: c.salt, signature: c.signature, took: Date.now() - started };
      field.value = btoa(JSON.stringify(payload));
      box.setAttribute('data-state', 'verified');
      say(box.getAttribute('data-done'));
    } catch {
      box.setAttribute('data-state', 'error');
      say(box.getAttribute('data-failed'));
    }
  }
  run();
})();
