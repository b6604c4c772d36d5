/* SPDX-License-Identifier: MIT */
/* test-vala.vala: the generated VAPI is usable from Vala.
 *
 * Compiled against build/core/watchfiles-1.0.vapi, so a wrong annotation
 * (ownership, array shape, error domain) fails to compile or to run here. */

string make_tmpdir () {
    try {
        return DirUtils.make_tmp ("watchfiles-vala-XXXXXX");
    } catch (FileError e) {
        error ("%s", e.message);
    }
}

/* Plain open-write-close: FileUtils.set_contents would add a temporary name. */
void write_file (string path, string contents) {
    var stream = FileStream.open (path, "w");
    assert (stream != null);
    stream.puts (contents);
}

void remove_tree (string path) {
    Posix.system ("rm -rf '%s'".printf (path));
}

void test_blocking_watch () {
    var dir = make_tmpdir ();
    try {
        var notify = new Watchfiles.Notify ({ dir }, false, false, 300, true, false);
        /* inotify where it is built (meson test says which are). */
        var built = Environment.get_variable ("WF_TEST_BACKENDS") ?? "inotify:poll";
        var native = "inotify" in built.split (":") ? "inotify" : "poll";
        assert (notify.get_backend_name () == native);
        write_file (Path.build_filename (dir, "hello.txt"), "hi");

        GenericArray<Watchfiles.FileChange> changes;
        var result = notify.watch (50, 10, 5000, null, -1, out changes);
        assert (result == Watchfiles.WatchResult.CHANGES);
        assert (changes.length >= 1);
        assert (changes[0].get_change () == Watchfiles.Change.ADDED);
        assert_cmpstr (changes[0].get_path (), CompareOperator.EQ, Path.build_filename (dir, "hello.txt"));

        notify.close ();
        try {
            notify.watch (50, 10, 100, null, -1, out changes);
            assert_not_reached ();
        } catch (Watchfiles.Error e) {
            assert (e is Watchfiles.Error.CLOSED);
        }
    } catch (Error e) {
        error ("%s", e.message);
    } finally {
        remove_tree (dir);
    }
}

void test_missing_path_error () {
    try {
        new Watchfiles.Notify ({ "/nonexistent/watchfiles-vala" }, false, false, 300, true, false);
        assert_not_reached ();
    } catch (IOError.NOT_FOUND e) {
        /* Expected: the GIO error code survives the binding. */
    } catch (Error e) {
        error ("unexpected error %s", e.message);
    }
}

void test_ignore_rules () {
    var dir = make_tmpdir ();
    try {
        var rules = new Watchfiles.IgnoreRules.default ();
        rules.add_glob ("*.log");
        DirUtils.create (Path.build_filename (dir, "node_modules"), 0755);
        var notify = (Watchfiles.Notify) Object.new (typeof (Watchfiles.Notify),
                                                     "paths", new string[] { dir, null },
                                                     "ignore-rules", rules);
        notify.init (null);
        assert (rules.is_sealed ());
        write_file (Path.build_filename (dir, "node_modules", "x.js"), "");
        write_file (Path.build_filename (dir, "debug.log"), "");
        write_file (Path.build_filename (dir, "kept.txt"), "");

        GenericArray<Watchfiles.FileChange> changes;
        var result = notify.watch (50, 10, 5000, null, -1, out changes);
        assert (result == Watchfiles.WatchResult.CHANGES);
        assert (changes.length == 1);
        assert_cmpstr (changes[0].get_path (), CompareOperator.EQ, Path.build_filename (dir, "kept.txt"));
    } catch (Error e) {
        error ("%s", e.message);
    } finally {
        remove_tree (dir);
    }
}

int main (string[] args) {
    Test.init (ref args);
    Test.add_func ("/vala/blocking-watch", test_blocking_watch);
    Test.add_func ("/vala/missing-path-error", test_missing_path_error);
    Test.add_func ("/vala/ignore-rules", test_ignore_rules);
    return Test.run ();
}
