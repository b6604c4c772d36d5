// SPDX-License-Identifier: MIT
// test-state.js: state files from GJS, through the GIR only:
// Watchfiles.state_save() and state_changes_since() see a file created
// and one deleted between them, a damaged state is a GLib.Error of
// Watchfiles.Error.STATE_INVALID, and a watcher's state-file property
// reports what changed while no watcher ran.  Prints TAP.
imports.gi.versions.Watchfiles = '1.0';
const {GLib, Gio, Watchfiles} = imports.gi;
const System = imports.system;

const dir = GLib.dir_make_tmp('watchfiles-gjs-state-XXXXXX');
const tree = GLib.build_filenamev([dir, 'tree']);
const state = GLib.build_filenamev([dir, 'state']);
let failed = false;
let n_tests = 0;

function ok(condition, name) {
    n_tests++;
    print(`${condition ? 'ok' : 'not ok'} ${n_tests} - ${name}`);
    if (!condition)
        failed = true;
}

function write(path, text) {
    GLib.file_set_contents(path, text);
}

function describe(changes) {
    return changes.map(c => `${c.get_change()}:${c.get_path()}`).sort().join(' ');
}

GLib.mkdir_with_parents(tree, 0o755);
write(GLib.build_filenamev([tree, 'old.txt']), 'old');

try {
    ok(Watchfiles.state_save(state, [tree], Watchfiles.StateFlags.NONE, null), 'state_save() writes the state');
    write(GLib.build_filenamev([tree, 'new.txt']), 'new');
    GLib.unlink(GLib.build_filenamev([tree, 'old.txt']));
    const changes = Watchfiles.state_changes_since(state, [tree], Watchfiles.StateFlags.UPDATE, null);
    const want = `1:${tree}/new.txt 3:${tree}/old.txt`;
    ok(describe(changes) === want, `state_changes_since() sees what changed: ${describe(changes)}`);
    const again = Watchfiles.state_changes_since(state, [tree], Watchfiles.StateFlags.NONE, null);
    ok(again.length === 0, 'UPDATE wrote the state anew');

    write(state, 'not a state');
    let code = null;
    try {
        Watchfiles.state_changes_since(state, [tree], Watchfiles.StateFlags.NONE, null);
    } catch (e) {
        code = e.matches(Watchfiles.Error, Watchfiles.Error.STATE_INVALID) ? 'invalid' : `${e}`;
    }
    ok(code === 'invalid', `a damaged state is Watchfiles.Error.STATE_INVALID (${code})`);

    // A watcher keeping the state: a first run writes it, a second one
    // gets what changed in between as pending changes.
    GLib.unlink(state);
    let notify = new Watchfiles.Notify({paths: [tree], state_file: state});
    notify.init(null);
    notify.close();
    write(GLib.build_filenamev([tree, 'while-down.txt']), 'x');
    notify = new Watchfiles.Notify({paths: [tree], state_file: state});
    notify.init(null);
    const [result, batch] = notify.watch(50, 10, 2000, null, -1);
    ok(result === Watchfiles.WatchResult.CHANGES &&
       describe(batch) === `1:${tree}/while-down.txt`,
       `the state-file property reports what changed while down: ${describe(batch || [])}`);
    notify.close();
} catch (e) {
    print(`# ${e}\n# ${e.stack}`);
    failed = true;
}

for (const name of ['new.txt', 'while-down.txt'])
    GLib.unlink(GLib.build_filenamev([tree, name]));
GLib.rmdir(tree);
GLib.unlink(state);
GLib.rmdir(dir);
print(`1..${n_tests}`);
System.exit(failed ? 1 : 0);
