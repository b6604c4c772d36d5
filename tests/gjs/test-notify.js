// SPDX-License-Identifier: MIT
// test-notify.js: Watchfiles from GJS, through the GIR only: the "changes"
// signal (start/stop) and watch_async()/watch_finish() each receive the
// batch of a file created in a temporary directory.  Prints TAP; exits
// non-zero on any failure, or after a 10 s safety timeout.  The status is
// read through the GIR too.
imports.gi.versions.Watchfiles = '1.0';
const {GLib, Gio, Watchfiles} = imports.gi;
const System = imports.system;

const loop = new GLib.MainLoop(null, false);
const dir = GLib.dir_make_tmp('watchfiles-gjs-XXXXXX');
let failed = false;
let n_tests = 0;

function ok(condition, name) {
    n_tests++;
    print(`${condition ? 'ok' : 'not ok'} ${n_tests} - ${name}`);
    if (!condition)
        failed = true;
}

// An exception in a callback is only logged by GJS: make it fail the test.
function guarded(func) {
    return (...args) => {
        try {
            return func(...args);
        } catch (e) {
            print(`# ${e}\n# ${e.stack}`);
            failed = true;
            loop.quit();
            return undefined;
        }
    };
}

// An empty new file: one (added, path) change with every backend.
function create(name) {
    const path = GLib.build_filenamev([dir, name]);
    Gio.File.new_for_path(path).create(Gio.FileCreateFlags.NONE, null).close(null);
    return path;
}

function describe(changes) {
    return changes.map(c => `(${c.get_change()}, ${c.get_path()})`).join(' ');
}

function sees(changes, path) {
    return changes.some(c => c.get_change() === Watchfiles.Change.ADDED && c.get_path() === path);
}

function removeTree(path) {
    const file = Gio.File.new_for_path(path);
    const children = file.enumerate_children('standard::name', Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    let info;
    while ((info = children.next_file(null)) !== null)
        file.get_child(info.get_name()).delete(null);
    children.close(null);
    file.delete(null);
}

print('1..4');
// RustNotify's six arguments: paths, debug, force_polling, poll_delay_ms,
// recursive, ignore_permission_denied.
const notify = Watchfiles.Notify.new([dir], false, false, 300, true, false);
ok(notify instanceof Watchfiles.Notify, `a watcher on ${dir} (backend ${notify.get_backend_name()})`);
const status = notify.get_status();
ok(status.get_backend_name() === notify.get_backend_name() && status.get_roots().length === 1 &&
    status.get_roots()[0] === dir && status.get_n_directories() === 1 &&
    status.get_polled_subtrees().length === 0 && status.get_n_rescans() === 0,
`the status: ${status.get_n_directories()} directory, nothing polled`);

function watchAsync(path) {
    notify.watch_async(1600, 50, 5000, null, null, guarded((source, result) => {
        const [how, changes] = notify.watch_finish(result);
        ok(how === Watchfiles.WatchResult.CHANGES && sees(changes, path),
            `watch_async: ${describe(changes ?? [])}`);
        loop.quit();
    }));
}

let signalPath = null;
const handler = notify.connect('changes', guarded((source, changes) => {
    print(`# changes: ${describe(changes)}`);
    if (!sees(changes, signalPath))
        return;
    ok(true, `"changes" signal: ${describe(changes)}`);
    notify.disconnect(handler);
    notify.stop();
    // watch_async() refuses to run while the signal is started.
    watchAsync(create('async.txt'));
}));

GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 10, () => {
    print('# safety timeout: no batch within 10 s');
    failed = true;
    loop.quit();
    return GLib.SOURCE_REMOVE;
});

notify.start(1600, 50);
signalPath = create('signal.txt');
loop.run();

notify.close();
removeTree(dir);
if (n_tests !== 4)
    failed = true;
System.exit(failed ? 1 : 0);
