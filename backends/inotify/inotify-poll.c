/* inotify-poll.c: subtrees polled while the watch limit keeps them
 * unwatched (DESIGN rule 3).
 *
 * A directory that cannot be watched once the backend runs (ENOSPC) would
 * otherwise be deaf for good.  It is kept here by path, with a snapshot of
 * everything below it; every poll_delay_ms the reader thread tries to watch
 * it again (watch first, so nothing slips between the scan and the watch),
 * then rescans it and pushes the difference with the snapshot as a resync
 * would.  Once the watch holds, or the subtree is gone, it stops being
 * polled.  No timer runs while no subtree is polled.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "inotify-backend-private.h"

#define POLL_FLAGS WF_RAW_FLAG_RESYNC

/* What a pass compares of one entry. */
typedef struct {
  dev_t dev;
  ino_t ino;
  mode_t mode;
  off_t size;
  struct timespec mtime;
  struct timespec ctime;
} EntryState;

struct _WfPolledTree {
  char *path;       /* absolute */
  char *root;       /* the root it lies below, for the ignore rules */
  GHashTable *snapshot;  /* absolute path -> EntryState*, the tree's own path left out */
};

static void
polled_tree_free (WfPolledTree *tree)
{
  g_free (tree->path);
  g_free (tree->root);
  g_hash_table_unref (tree->snapshot);
  g_free (tree);
}

void
wf_inotify_polled_init (WfBackendInstance *self)
{
  self->polled = g_ptr_array_new_with_free_func ((GDestroyNotify) polled_tree_free);
}

void
wf_inotify_polled_clear (WfBackendInstance *self)
{
  g_clear_pointer (&self->polled, g_ptr_array_unref);
}

static GHashTable *
new_snapshot (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

typedef struct {
  WfBackendInstance *self;
  const char *root;
  GHashTable *snapshot;
  GHashTable *visited;   /* (dev, ino) of directories entered, when following symlinks */
} Scan;

static gboolean
enter_once (Scan *scan, const struct stat *st)
{
  guint64 *key;

  if (scan->visited == NULL)
    return TRUE;
  key = g_new (guint64, 2);
  key[0] = st->st_dev;
  key[1] = st->st_ino;
  if (g_hash_table_contains (scan->visited, key))
    {
      g_free (key);
      return FALSE;
    }
  g_hash_table_add (scan->visited, key);
  return TRUE;
}

static guint
dev_ino_hash (gconstpointer key)
{
  const guint64 *k = key;

  return (guint) (k[0] * 31 + k[1]);
}

static gboolean
dev_ino_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, 2 * sizeof (guint64)) == 0;
}

/* Records everything below the directory @path (recursively unless the
 * backend is not recursive: then it never polls anything). */
static void
scan_directory (Scan *scan, const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *entry = g_build_filename (path, name, NULL);
      EntryState *state;
      struct stat st;
      gboolean descend;

      /* Before the stat: an ignored tree costs nothing (DESIGN rule 5). */
      if (scan->self->ignore_rules != NULL
          && wf_ignore_rules_matches_entry (scan->self->ignore_rules, scan->root, entry))
        continue;
      if (lstat (entry, &st) < 0)
        continue;
      descend = S_ISDIR (st.st_mode);
      if (S_ISLNK (st.st_mode) && scan->self->follow_symlinks)
        {
          struct stat target;

          if (stat (entry, &target) == 0 && S_ISDIR (target.st_mode))
            {
              st = target;
              descend = TRUE;
            }
        }

      state = g_new (EntryState, 1);
      state->dev = st.st_dev;
      state->ino = st.st_ino;
      state->mode = st.st_mode;
      state->size = st.st_size;
      state->mtime = st.st_mtim;
      state->ctime = st.st_ctim;
      g_hash_table_replace (scan->snapshot, g_strdup (entry), state);

      if (descend && enter_once (scan, &st))
        scan_directory (scan, entry);
    }
}

static GHashTable *
take_snapshot (WfBackendInstance *self, const WfPolledTree *tree)
{
  Scan scan = { self, tree->root, new_snapshot (), NULL };
  struct stat st;

  if (stat (tree->path, &st) < 0 || !S_ISDIR (st.st_mode))
    return scan.snapshot;
  if (self->follow_symlinks)
    scan.visited = g_hash_table_new_full (dev_ino_hash, dev_ino_equal, g_free, NULL);
  enter_once (&scan, &st);
  scan_directory (&scan, tree->path);
  g_clear_pointer (&scan.visited, g_hash_table_unref);
  return scan.snapshot;
}

static gboolean
same_time (const struct timespec *a, const struct timespec *b)
{
  return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* A directory's times move with every entry added or removed, and those
 * are reported one by one: only its identity counts. */
static gboolean
entry_changed (const EntryState *old, const EntryState *now)
{
  if (old->dev != now->dev || old->ino != now->ino
      || (old->mode & S_IFMT) != (now->mode & S_IFMT))
    return TRUE;
  if (S_ISDIR (now->mode))
    return FALSE;
  return old->size != now->size || old->mode != now->mode
         || !same_time (&old->mtime, &now->mtime) || !same_time (&old->ctime, &now->ctime);
}

static WfRawFlags
dir_flag (const EntryState *state)
{
  return S_ISDIR (state->mode) ? WF_RAW_FLAG_IS_DIR : 0;
}

/* Pushes how @now differs from @old. */
static void
report_difference (WfBackendInstance *self, GHashTable *old, GHashTable *now)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, old);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (now, key))
      wf_sink_push (self->sink, WF_RAW_DELETED, key, POLL_FLAGS | dir_flag (value));

  g_hash_table_iter_init (&iter, now);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      EntryState *before = g_hash_table_lookup (old, key);

      if (before == NULL)
        wf_sink_push (self->sink, WF_RAW_CREATED, key, POLL_FLAGS | dir_flag (value));
      else if (entry_changed (before, value))
        wf_sink_push (self->sink, WF_RAW_MODIFIED, key, POLL_FLAGS | dir_flag (value));
    }
}

static WfPolledTree *
find_polled (WfBackendInstance *self, const char *path)
{
  for (guint i = 0; i < self->polled->len; i++)
    {
      WfPolledTree *tree = self->polled->pdata[i];

      if (strcmp (tree->path, path) == 0)
        return tree;
    }
  return NULL;
}

void
wf_inotify_poll_subtree (WfBackendInstance *self, const WfWatchNode *parent, const char *path,
                         gboolean report_existing)
{
  WfPolledTree *tree;

  /* A pass trying to watch it again failed once more: still polled. */
  if (find_polled (self, path) != NULL)
    return;

  tree = g_new0 (WfPolledTree, 1);
  tree->path = g_strdup (path);
  tree->root = g_strdup (wf_watch_node_get_root (parent)->name);
  tree->snapshot = take_snapshot (self, tree);
  if (self->polled->len == 0)
    self->next_poll = g_get_monotonic_time () + (gint64) self->poll_delay_ms * 1000;
  g_ptr_array_add (self->polled, tree);

  /* A new directory's entries are new (DESIGN rule 1), watched or not. */
  if (report_existing)
    {
      g_autoptr (GHashTable) nothing = new_snapshot ();

      report_difference (self, nothing, tree->snapshot);
    }
  wf_sink_debug (self->sink, "inotify: watch limit reached, polling %s every %u ms instead "
                 "(%u subtree(s) polled)", path, self->poll_delay_ms, self->polled->len);
}

void
wf_inotify_unpoll_root (WfBackendInstance *self, const char *root)
{
  for (guint i = self->polled->len; i-- > 0;)
    {
      WfPolledTree *tree = self->polled->pdata[i];

      if (strcmp (tree->root, root) == 0)
        g_ptr_array_remove_index (self->polled, i);
    }
}

/* The watched directory whose path is @path, or NULL. */
static WfWatchNode *
find_directory (WfBackendInstance *self, const char *path)
{
  for (guint i = 0; i < self->roots->len; i++)
    {
      WfWatchNode *node = self->roots->pdata[i];
      gsize root_len = strlen (node->name);
      g_auto (GStrv) names = NULL;

      if (node->wd < 0 || node->is_file || node->is_alias || strncmp (path, node->name, root_len) != 0)
        continue;
      if (path[root_len] == '\0')
        return node;
      if (path[root_len] != '/' && root_len > 0 && node->name[root_len - 1] != '/')
        continue;

      names = g_strsplit (path + root_len, "/", -1);
      for (guint n = 0; node != NULL && names[n] != NULL; n++)
        if (names[n][0] != '\0')
          node = wf_watch_table_lookup_child (&self->table, node, names[n]);
      if (node != NULL && !node->is_alias)
        return node;
    }
  return NULL;
}

typedef enum {
  TREE_POLLED,
  TREE_WATCHED,
  TREE_GONE,     /* gone, or its parent is no longer watched */
} TreeState;

/* Tries to watch @tree again. */
static TreeState
try_watch (WfBackendInstance *self, WfPolledTree *tree)
{
  g_autofree char *parent_path = g_path_get_dirname (tree->path);
  g_autofree char *name = g_path_get_basename (tree->path);
  WfWatchNode *parent = find_directory (self, parent_path);
  struct stat st;

  if (parent == NULL)
    return TREE_GONE;
  /* Watched already, by a resync that found a watch free. */
  if (wf_watch_table_lookup_child (&self->table, parent, name) != NULL)
    return TREE_WATCHED;
  if (stat (tree->path, &st) < 0 || !S_ISDIR (st.st_mode))
    return TREE_GONE;
  wf_inotify_walk_polled (self, parent, name);
  return wf_watch_table_lookup_child (&self->table, parent, name) != NULL ? TREE_WATCHED : TREE_POLLED;
}

void
wf_inotify_poll_pass (WfBackendInstance *self)
{
  guint n = self->polled->len;
  gboolean any_watched = FALSE;
  gboolean *done;

  if (n == 0)
    return;
  done = g_new0 (gboolean, n);
  for (guint i = 0; i < n; i++)
    {
      WfPolledTree *tree = self->polled->pdata[i];
      TreeState state = try_watch (self, tree);
      GHashTable *now = take_snapshot (self, tree);

      /* After the watch: whatever changes from now on is an event too. */
      report_difference (self, tree->snapshot, now);
      g_hash_table_unref (tree->snapshot);
      tree->snapshot = now;

      if (state == TREE_WATCHED)
        any_watched = TRUE;
      if (state != TREE_POLLED)
        {
          done[i] = TRUE;
          wf_sink_debug (self->sink, "inotify: %s is %s, no longer polled", tree->path,
                         state == TREE_WATCHED ? "watched again" : "gone");
        }
    }

  /* Backwards: the walks may have appended trees after the first n. */
  for (guint i = n; i-- > 0;)
    if (done[i])
      g_ptr_array_remove_index (self->polled, i);
  g_free (done);
  /* A walk may have given watches up (a path through a symlink demoted). */
  if (any_watched)
    wf_inotify_settle (self);
  if (self->polled->len == 0)
    wf_sink_debug (self->sink, "inotify: no subtree is polled any more");
}
