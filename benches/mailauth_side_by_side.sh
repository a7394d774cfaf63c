#!/bin/sh
# mailsleuth and mailauth 7.1.0 (Node) side by side, each in one process on one core, over the
# bundled samples with the same DNS answers (each sample's .dns.json, which is in mailauth's
# --dns-cache shape) and the same envelopes (the ones mailsleuth reconstructs).
#
# mailauth is installed with npm into ${XDG_CACHE_HOME:-~/.cache}/mailsleuth-bench, outside the
# repository. Without node and npm the script says so and exits 0.
#
#   sh benches/mailauth_side_by_side.sh [ROUNDS]     (default 20 rounds over the samples)
set -eu
cd "$(dirname "$0")/.."
rounds="${1:-20}"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node and npm are needed for the side-by-side run; skipped"
    exit 0
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/mailsleuth-bench"
mkdir -p "$cache"
# mailauth 7.1.0 needs Node 22.19 or later: an older system node gets Node 22 from npm beside it.
packages="mailauth@7.1.0"
node="node"
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
              process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)'; then
    packages="$packages node@22"
    node="$cache/node_modules/.bin/node"
fi
if [ ! -f "$cache/node_modules/mailauth/package.json" ] || ! "$node" --version >/dev/null 2>&1; then
    # One install for all: a later `npm install --no-save` would remove what an earlier one added.
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error $packages
fi

cargo build --release --quiet
pin=""
if command -v taskset >/dev/null 2>&1; then
    pin="taskset -c 0"
fi

# The envelope mailsleuth reconstructs for each sample, for mailauth to check the same identities.
envelopes="$cache/envelopes.json"
first=1
printf '[' >"$envelopes"
for eml in sample-emails/*.eml; do
    dns="${eml%.eml}.dns.json"
    [ -f "$dns" ] || continue
    target/release/mailsleuth report "$eml" --dns-snapshot "$dns" --format json |
        node -e '
            const a = JSON.parse(require("fs").readFileSync(0, "utf-8"));
            const e = a.envelope || {};
            process.stdout.write(JSON.stringify({
                eml: process.argv[1], dns: process.argv[2], ip: e.client_ip, helo: e.helo,
                sender: e.spf_mail_from ?? e.mail_from, mta: e.receiver
            }));
        ' "$eml" "$dns" >"$cache/one.json"
    [ $first -eq 1 ] || printf ',' >>"$envelopes"
    cat "$cache/one.json" >>"$envelopes"
    first=0
done
printf ']' >>"$envelopes"

echo "mailsleuth vs mailauth 7.1.0, one process each${pin:+, pinned to CPU 0}, $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')"
theirs=$($pin "$node" benches/mailauth_side_by_side.mjs "$cache" "$envelopes" "$rounds")
figures=$(MAILSLEUTH_BENCH_COPIES="$rounds" MAILSLEUTH_BENCH_ONE_WORKER=1 $pin cargo bench --quiet --bench throughput 2>/dev/null)
# The library against the library: analyze() in a loop over messages in memory, as mailauth's
# authenticate() runs; then the whole `scan` (reading the mbox, writing a JSON line a message).
library=$(echo "$figures" | awk '/in process/ { print $3, $5 }' | tr -d '(')
ours=$(echo "$figures" | awk '/1 worker thread/ { print $4, $6 }' | tr -d '(')
echo "$theirs" | awk '{ printf "  mailauth (Node %s)      %8.1f messages/s  (%d messages, authenticate() in a loop)\n", "'"$("$node" --version)"'", $1, $2 }'
echo "$library" | awk '{ printf "  mailsleuth analyze()        %8.1f messages/s  (%d messages, in a loop)\n", $1, $2 }'
echo "$ours" | awk '{ printf "  mailsleuth scan             %8.1f messages/s  (%d messages, 1 worker thread, JSONL written)\n", $1, $2 }'
echo "$library $theirs" | awk '{ printf "  analyze() / mailauth        %8.2f×\n", $1 / $3 }'
echo "$ours $theirs" | awk '{ printf "  scan / mailauth             %8.2f×\n", $1 / $3 }'
