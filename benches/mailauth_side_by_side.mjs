// mailauth's library (Node) in one process over the bundled samples, with the DNS answers of
// each sample's snapshot: messages per second. Run by mailauth_side_by_side.sh, which installs
// mailauth outside the repository and passes where it is.
//
//   node benches/mailauth_side_by_side.mjs CACHE_DIR ENVELOPES_JSON ROUNDS
//
// ENVELOPES_JSON: [{eml, dns, ip, helo, sender, mta}] — the envelope mailsleuth reconstructed
// for each sample, so both tools check the same identities.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [cacheDir, envelopesPath, roundsText] = process.argv.slice(2);
const require = createRequire(join(cacheDir, 'package.json'));
const { authenticate } = require('mailauth');

// mailauth's own `--dns-cache` reader (lib/commands/report.js), as it is.
const cacheResolver = dnsCache => async (name, rr) => {
    const match = dnsCache?.[name]?.[rr];
    if (!match) {
        const err = new Error('Error');
        err.code = 'ENOTFOUND';
        throw err;
    }
    return match;
};

const samples = JSON.parse(readFileSync(envelopesPath, 'utf-8')).map(s => ({
    message: readFileSync(s.eml),
    opts: {
        ip: s.ip || undefined,
        helo: s.helo || undefined,
        sender: s.sender || undefined,
        mta: s.mta || 'mx.example.net',
        // mailsleuth does not check BIMI.
        disableBimi: true,
        resolver: cacheResolver(JSON.parse(readFileSync(s.dns, 'utf-8')))
    }
}));

const rounds = Number(roundsText) || 20;
const run = async n => {
    for (let i = 0; i < n; i++) {
        for (const s of samples) {
            await authenticate(s.message, s.opts);
        }
    }
};
await run(2); // warm-up (JIT)
const started = process.hrtime.bigint();
await run(rounds);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const messages = rounds * samples.length;
console.log(`${(messages / seconds).toFixed(1)} ${messages}`);
