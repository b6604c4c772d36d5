#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""soak-ops.py: the operations of bench/soak.sh, and its check.

  soak-ops.py ops ROOT SECONDS RATE SEED LOG
      Random operations below ROOT (mkdir -p, create, write, chmod, rename
      within the tree, delete, rmdir) at RATE per second for SECONDS; then
      writes LOG: one "exists<TAB>path" or "gone<TAB>path" line per path
      ever touched, what its last change left.  Prints a summary line.

  soak-ops.py check LOG OUTPUT BACKEND
      OUTPUT is `watchfiles --print --format=json-batch`: one batch a line.
      A path is fine when the last batch naming it agrees with LOG: added or
      modified for one that exists, deleted for one that is gone.  A gone
      path that no batch names is a miss too, except with the poll backend,
      where a file can come and go between two scans ("unseen").  Prints the
      counts and up to 20 misses; exits 1 on a miss.
"""
import json
import os
import random
import sys
import time

FILE_NAMES = 120   # names per directory: reused, so paths come back
DIR_NAMES = 6
MAX_DEPTH = 4
MAX_FILES = 4000   # above this, the mix leans towards deleting


class Pool:
    """A list with O(1) random choice, add and remove."""

    def __init__(self):
        self.items = []
        self.index = {}

    def __len__(self):
        return len(self.items)

    def __contains__(self, item):
        return item in self.index

    def add(self, item):
        self.index[item] = len(self.items)
        self.items.append(item)

    def remove(self, item):
        i = self.index.pop(item)
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self.index[last] = i

    def choice(self, rng):
        return rng.choice(self.items)


class Tree:
    def __init__(self, root, rng):
        self.root = root
        self.rng = rng
        self.files = Pool()
        self.dirs = Pool()          # below the root, not the root itself
        self.children = {root: 0}   # entries per directory
        self.last = {}              # path -> "exists" | "gone"
        self.counts = {}

    def depth(self, path):
        return path[len(self.root):].count("/")

    def any_dir(self):
        if len(self.dirs) == 0 or self.rng.random() < 0.1:
            return self.root
        return self.dirs.choice(self.rng)

    def parent(self, path):
        return os.path.dirname(path)

    def _added(self, path, is_dir):
        (self.dirs if is_dir else self.files).add(path)
        if is_dir:
            self.children[path] = 0
        self.children[self.parent(path)] += 1
        self.last[path] = "exists"

    def _removed(self, path, is_dir):
        (self.dirs if is_dir else self.files).remove(path)
        if is_dir:
            del self.children[path]
        self.children[self.parent(path)] -= 1
        self.last[path] = "gone"

    def below(self, path):
        prefix = path + "/"
        return ([d for d in self.dirs.items if d.startswith(prefix)],
                [f for f in self.files.items if f.startswith(prefix)])

    # ---- the operations: each returns False when it had nothing to do ----

    def op_mkdir(self):
        parent = self.any_dir()
        levels = self.rng.choice((1, 1, 2))
        path = parent
        made = []
        for _ in range(levels):
            if self.depth(path) >= MAX_DEPTH:
                break
            path = path + "/d%d" % self.rng.randrange(DIR_NAMES)
            if path in self.files:
                return False
            if path not in self.dirs:
                made.append(path)
        if not made:
            return False
        os.makedirs(path, exist_ok=True)
        for d in made:
            self._added(d, True)
        return True

    def op_create(self):
        path = self.any_dir() + "/f%d" % self.rng.randrange(FILE_NAMES)
        if path in self.files or path in self.dirs:
            return False
        with open(path, "wb"):
            pass
        self._added(path, False)
        return True

    def op_write(self):
        if len(self.files) == 0:
            return False
        path = self.files.choice(self.rng)
        with open(path, "ab") as f:
            f.write(b"soak %d\n" % self.rng.randrange(1 << 30))
        self.last[path] = "exists"
        return True

    def op_chmod(self):
        pool = self.files if len(self.dirs) == 0 or self.rng.random() < 0.8 else self.dirs
        if len(pool) == 0:
            return False
        path = pool.choice(self.rng)
        mode = 0o700 if pool is self.dirs else 0o600
        os.chmod(path, mode if self.rng.random() < 0.5 else mode | 0o044)
        self.last[path] = "exists"
        return True

    def op_rename(self):
        # Mostly files; a directory now and then, its subtree with it.
        if len(self.dirs) > 0 and self.rng.random() < 0.1:
            src = self.dirs.choice(self.rng)
            is_dir = True
        elif len(self.files) > 0:
            src = self.files.choice(self.rng)
            is_dir = False
        else:
            return False
        dest_dir = self.any_dir()
        if is_dir and (dest_dir == src or dest_dir.startswith(src + "/")):
            return False
        if is_dir and self.depth(dest_dir) + 1 + max(
                [self.depth(d) - self.depth(src) for d in self.below(src)[0]] + [0]) > MAX_DEPTH:
            return False
        dest = dest_dir + ("/d%d" % self.rng.randrange(DIR_NAMES) if is_dir
                           else "/f%d" % self.rng.randrange(FILE_NAMES))
        if dest in self.files or dest in self.dirs:
            return False
        sub_dirs, sub_files = self.below(src) if is_dir else ([], [])
        os.rename(src, dest)
        # Deepest first, so each parent still counts its children.
        for f in sub_files:
            self._removed(f, False)
        for d in sorted(sub_dirs, key=self.depth, reverse=True):
            self._removed(d, True)
        self._removed(src, is_dir)
        self._added(dest, is_dir)
        for d in sorted(sub_dirs, key=self.depth):
            self._added(dest + d[len(src):], True)
        for f in sub_files:
            self._added(dest + f[len(src):], False)
        return True

    def op_delete(self):
        if len(self.files) == 0:
            return False
        path = self.files.choice(self.rng)
        os.unlink(path)
        self._removed(path, False)
        return True

    def op_rmdir(self):
        if len(self.dirs) == 0:
            return False
        # A few tries at an empty one.
        for _ in range(8):
            path = self.dirs.choice(self.rng)
            if self.children[path] == 0:
                os.rmdir(path)
                self._removed(path, True)
                return True
        return False


MIX = [("mkdir", 6), ("create", 30), ("write", 25), ("chmod", 8), ("rename", 8), ("delete", 18), ("rmdir", 5)]
MIX_FULL = [("mkdir", 2), ("create", 10), ("write", 20), ("chmod", 8), ("rename", 8), ("delete", 45), ("rmdir", 7)]


def run_ops(root, seconds, rate, seed, log):
    rng = random.Random(seed)
    tree = Tree(root, rng)
    start = time.monotonic()
    done = 0
    deadline = start + seconds
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        due = int((now - start) * rate) + 1
        if done >= due:
            time.sleep(min(deadline - now, (done + 1) / rate - (now - start)))
            continue
        while done < due:
            mix = MIX_FULL if len(tree.files) > MAX_FILES else MIX
            names = [m[0] for m in mix]
            weights = [m[1] for m in mix]
            name = rng.choices(names, weights)[0]
            if getattr(tree, "op_" + name)():
                tree.counts[name] = tree.counts.get(name, 0) + 1
                done += 1
    elapsed = time.monotonic() - start
    with open(log, "w") as f:
        for path, state in tree.last.items():
            f.write("%s\t%s\n" % (state, path))
    print("ops=%d seconds=%.1f rate=%.1f files=%d dirs=%d paths=%d %s" % (
        done, elapsed, done / elapsed, len(tree.files), len(tree.dirs), len(tree.last),
        " ".join("%s=%d" % kv for kv in sorted(tree.counts.items()))))


def check(log, output, backend):
    # path -> (index of the last batch naming it, the changes in it)
    last = {}
    batches = 0
    with open(output, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            for change in json.loads(line):
                entry = last.get(change["path"])
                if entry is None or entry[0] != batches:
                    entry = (batches, set())
                    last[change["path"]] = entry
                entry[1].add(change["change"])
            batches += 1
    misses = []
    unseen = 0
    counts = {"exists": 0, "gone": 0}
    with open(log) as f:
        for line in f:
            state, path = line.rstrip("\n").split("\t", 1)
            counts[state] += 1
            entry = last.get(path)
            if state == "exists":
                if entry is None or not entry[1] & {"added", "modified"}:
                    misses.append("exists, %s: %s" % ("never named" if entry is None
                                                     else "last named " + "+".join(sorted(entry[1])), path))
            elif entry is None:
                if backend == "poll":
                    unseen += 1
                else:
                    misses.append("gone, never named: %s" % path)
            elif "deleted" not in entry[1]:
                misses.append("gone, last named %s: %s" % ("+".join(sorted(entry[1])), path))
    print("batches=%d named=%d exists=%d gone=%d unseen=%d misses=%d" % (
        batches, len(last), counts["exists"], counts["gone"], unseen, len(misses)))
    for m in misses[:20]:
        print("miss: " + m)
    return 1 if misses else 0


def main(argv):
    if len(argv) == 7 and argv[1] == "ops":
        run_ops(argv[2], float(argv[3]), float(argv[4]), int(argv[5]), argv[6])
        return 0
    if len(argv) == 5 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
