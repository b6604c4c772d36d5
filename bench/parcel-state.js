// SPDX-License-Identifier: MIT
// parcel-state.js TREE SNAPSHOT RUNS: @parcel/watcher's writeSnapshot() and
// getEventsSince() on the same tree, warm, RUNS times each (alternating),
// for bench/run-state.sh.  Needs @parcel/watcher on NODE_PATH (npm install
// @parcel/watcher in any directory, then NODE_PATH=that/node_modules).
// Ends with a RESULT line: medians in ms, the snapshot's size, and how many
// events getEventsSince() returned after every 100th file was modified.
'use strict';
const fs = require('fs');
const path = require('path');
const watcher = require('@parcel/watcher');

const [tree, snapshot, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function touchEvery(dir, step, counter) {
    let n = 0;
    for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
        const child = path.join(dir, entry.name);
        if (entry.isDirectory())
            n += touchEvery(child, step, counter);
        else if (counter.n++ % step === 0) {
            fs.appendFileSync(child, 'x');
            n++;
        }
    }
    return n;
}

async function main() {
    const write = [], since = [];
    await watcher.writeSnapshot(tree, snapshot);  // warm
    for (let i = 0; i < runs; i++) {
        let t0 = process.hrtime.bigint();
        await watcher.writeSnapshot(tree, snapshot);
        write.push(Number(process.hrtime.bigint() - t0) / 1e6);
        t0 = process.hrtime.bigint();
        const events = await watcher.getEventsSince(tree, snapshot);
        since.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (events.length !== 0)
            console.error(`parcel-state: ${events.length} events in an unchanged tree`);
    }
    const bytes = fs.statSync(snapshot).size;
    const changed = touchEvery(tree, 100, {n: 0});
    const events = await watcher.getEventsSince(tree, snapshot);
    const updates = events.filter(e => e.type === 'update').length;
    console.log(`writeSnapshot    ${median(write).toFixed(1)} ms (median of ${runs})`);
    console.log(`getEventsSince   ${median(since).toFixed(1)} ms (nothing changed)`);
    console.log(`snapshot         ${bytes} bytes`);
    console.log(`${changed} files modified: ${updates} update events of ${events.length}`);
    console.log(`RESULT write_ms=${median(write).toFixed(1)} since_ms=${median(since).toFixed(1)} ` +
                `snapshot_bytes=${bytes} changed=${changed} reported=${updates}`);
}

main().catch(e => {
    console.error(e);
    process.exit(1);
});
