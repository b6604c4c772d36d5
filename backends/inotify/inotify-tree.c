/* SPDX-License-Identifier: MIT */
/* inotify-tree.c: watch nodes, their tables and their paths. */
#include "config.h"

#include <string.h>

#include "inotify-tree.h"

WfWatchNode *
wf_watch_node_new (WfWatchNode *parent, const char *name)
{
  gsize name_size = strlen (name) + 1;
  WfWatchNode *node = g_malloc0 (sizeof (WfWatchNode) + name_size);

  memcpy (node->name, name, name_size);
  node->parent = parent;
  node->wd = -1;
  return node;
}

void
wf_watch_node_free (WfWatchNode *node)
{
  wf_name_set_clear (&node->entries);
  g_free (node);
}

static guint
hash_by_wd (gconstpointer key)
{
  const WfWatchNode *node = key;

  return (guint) node->wd;
}

static gboolean
equal_by_wd (gconstpointer a, gconstpointer b)
{
  return ((const WfWatchNode *) a)->wd == ((const WfWatchNode *) b)->wd;
}

static guint
hash_by_name (gconstpointer key)
{
  const WfWatchNode *node = key;

  return g_str_hash (node->name) ^ (g_direct_hash (node->parent) * 31u);
}

static gboolean
equal_by_name (gconstpointer a, gconstpointer b)
{
  const WfWatchNode *na = a;
  const WfWatchNode *nb = b;

  return na->parent == nb->parent && strcmp (na->name, nb->name) == 0;
}

void
wf_watch_table_init (WfWatchTable *table)
{
  /* Sets (key == value) cost one pointer per slot. */
  table->by_wd = g_hash_table_new (hash_by_wd, equal_by_wd);
  table->by_name = g_hash_table_new (hash_by_name, equal_by_name);
  table->aliases = NULL;
}

void
wf_watch_table_clear (WfWatchTable *table)
{
  GHashTableIter iter;
  gpointer key;

  if (table->by_name != NULL)
    {
      /* Every non-root node, owner or alias, is indexed by its name: a
       * node in neither index is a root or freed on the spot. */
      g_hash_table_iter_init (&iter, table->by_name);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        wf_watch_node_free (key);
    }
  g_clear_pointer (&table->by_wd, g_hash_table_unref);
  g_clear_pointer (&table->by_name, g_hash_table_unref);
  g_clear_pointer (&table->aliases, g_hash_table_unref);
}

void
wf_watch_table_attach (WfWatchTable *table, WfWatchNode *node)
{
  g_assert (node->wd >= 0);
  node->is_alias = FALSE;
  g_hash_table_add (table->by_wd, node);
  if (node->parent != NULL)
    g_hash_table_add (table->by_name, node);
}

void
wf_watch_table_attach_alias (WfWatchTable *table, WfWatchNode *node, int wd)
{
  GPtrArray *aliases;

  g_assert (wd >= 0);
  node->wd = wd;
  node->is_alias = TRUE;
  if (node->parent != NULL)
    g_hash_table_add (table->by_name, node);

  /* Aliases are rare: the index exists only once there is one. */
  if (table->aliases == NULL)
    table->aliases = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  aliases = g_hash_table_lookup (table->aliases, GINT_TO_POINTER (wd));
  if (aliases == NULL)
    {
      aliases = g_ptr_array_new ();
      g_hash_table_insert (table->aliases, GINT_TO_POINTER (wd), aliases);
    }
  g_ptr_array_add (aliases, node);
}

void
wf_watch_table_detach (WfWatchTable *table, WfWatchNode *node)
{
  if (node->is_alias)
    {
      GPtrArray *aliases = wf_watch_table_lookup_aliases (table, node->wd);

      if (aliases != NULL && g_ptr_array_remove_fast (aliases, node) && aliases->len == 0)
        g_hash_table_remove (table->aliases, GINT_TO_POINTER (node->wd));
    }
  else if (node->wd >= 0 && g_hash_table_lookup (table->by_wd, node) == node)
    {
      g_hash_table_remove (table->by_wd, node);
    }
  if (node->parent != NULL && g_hash_table_lookup (table->by_name, node) == node)
    g_hash_table_remove (table->by_name, node);
}

GPtrArray *
wf_watch_table_lookup_aliases (WfWatchTable *table, int wd)
{
  if (table->aliases == NULL)
    return NULL;
  return g_hash_table_lookup (table->aliases, GINT_TO_POINTER (wd));
}

WfWatchNode *
wf_watch_table_lookup_wd (WfWatchTable *table, int wd)
{
  union {
    WfWatchNode node;
    char bytes[sizeof (WfWatchNode)];
  } probe;

  probe.node.wd = wd;
  return g_hash_table_lookup (table->by_wd, &probe.node);
}

WfWatchNode *
wf_watch_table_lookup_child (WfWatchTable *table, WfWatchNode *parent, const char *name)
{
  /* Nodes carry their name inline (no pointer to spend 8 bytes on), so the
   * key to look up is a node-shaped copy on the stack. */
  union {
    WfWatchNode node;
    char bytes[sizeof (WfWatchNode) + NAME_MAX + 1];
  } probe;
  gsize name_size = strlen (name) + 1;

  if (name_size > NAME_MAX + 1)
    return NULL;
  probe.node.parent = parent;
  memcpy (probe.node.name, name, name_size);
  return g_hash_table_lookup (table->by_name, &probe.node);
}

const WfWatchNode *
wf_watch_node_get_root (const WfWatchNode *node)
{
  while (node->parent != NULL)
    node = node->parent;
  return node;
}

void
wf_watch_node_append_path (const WfWatchNode *node, GString *out)
{
  if (node->parent == NULL)
    {
      g_string_append (out, node->name);
      return;
    }
  wf_watch_node_append_path (node->parent, out);
  wf_kit_path_append_name (out, node->name);
}
