// axios (replica): GET and POST over fetch, answering { status, data }.
'use strict';
async function request(method, url, data) {
  const res = await fetch(url, { method, body: data === undefined ? undefined : JSON.stringify(data) });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch (e) {}
  return { status: res.status, data: parsed };
}
module.exports = { get: (url) => request('GET', url), post: (url, data) => request('POST', url, data) };
