// Sends one PagerDuty event with the PagerDuty JS client (@pagerduty/pdjs), as an
// application would: `event({server, data})`. pdjs builds https://<server>/v2/enqueue itself
// (https only); Node trusts the proxy's test CA through NODE_EXTRA_CA_CERTS. With
// `client_cert` and `client_key` (PEM file paths), the request goes through an https.Agent
// presenting that certificate, for a proxy that requires client certificates.
//
// Usage: node send-event.js '{"server": "127.0.0.1:PORT", "data": {...}, "client_cert": ...}'
// Prints {"status": <HTTP status>, "data": <the answer's JSON>}; exits 1 if the request fails.
"use strict";

const fs = require("fs");
const https = require("https");
const { event } = require("@pagerduty/pdjs");

const { client_cert: clientCert, client_key: clientKey, ...request } = JSON.parse(process.argv[2]);
if (clientCert) {
  request.agent = new https.Agent({
    cert: fs.readFileSync(clientCert),
    key: fs.readFileSync(clientKey),
  });
}
event(request)
  .then((response) => {
    process.stdout.write(JSON.stringify({ status: response.status, data: response.data }) + "\n");
  })
  .catch((error) => {
    process.stderr.write(`pdjs: ${error}\n`);
    process.exit(1);
  });
