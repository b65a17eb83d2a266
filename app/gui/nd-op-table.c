/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-op-table.h"

/* The per-op table of the latency view: the rows `nondeep-cli bench` prints (id and name,
 * kind, block, algorithm, median ms over the plan's last warm runs, GFLOP/s), sortable by
 * any column; refreshed at most once a second so that sorting stays put while reading. */

#define REFRESH_US G_USEC_PER_SEC

/* ---- one row ------------------------------------------------------------------------------ */

#define ND_TYPE_OP_ROW (nd_op_row_get_type ())
G_DECLARE_FINAL_TYPE (NdOpRow, nd_op_row, ND, OP_ROW, GObject)

struct _NdOpRow
{
  GObject parent_instance;
  int     id;
  char   *name, *kind, *block, *algo;
  double  ms, gflops;
};

enum { ROW_PROP_0, ROW_PROP_ID, ROW_PROP_NAME, ROW_PROP_KIND, ROW_PROP_BLOCK, ROW_PROP_ALGO,
       ROW_PROP_MS, ROW_PROP_GFLOPS, ROW_N_PROPS };

G_DEFINE_FINAL_TYPE (NdOpRow, nd_op_row, G_TYPE_OBJECT)

static void
nd_op_row_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  NdOpRow *self = ND_OP_ROW (object);

  switch (id)
    {
    case ROW_PROP_ID: g_value_set_int (value, self->id); break;
    case ROW_PROP_NAME: g_value_set_string (value, self->name); break;
    case ROW_PROP_KIND: g_value_set_string (value, self->kind); break;
    case ROW_PROP_BLOCK: g_value_set_string (value, self->block); break;
    case ROW_PROP_ALGO: g_value_set_string (value, self->algo); break;
    case ROW_PROP_MS: g_value_set_double (value, self->ms); break;
    case ROW_PROP_GFLOPS: g_value_set_double (value, self->gflops); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
nd_op_row_finalize (GObject *object)
{
  NdOpRow *self = ND_OP_ROW (object);

  g_free (self->name);
  g_free (self->kind);
  g_free (self->block);
  g_free (self->algo);
  G_OBJECT_CLASS (nd_op_row_parent_class)->finalize (object);
}

static void
nd_op_row_class_init (NdOpRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  GParamSpec *props[ROW_N_PROPS] = { NULL,
    g_param_spec_int ("id", NULL, NULL, 0, G_MAXINT, 0, f),
    g_param_spec_string ("name", NULL, NULL, NULL, f),
    g_param_spec_string ("kind", NULL, NULL, NULL, f),
    g_param_spec_string ("block", NULL, NULL, NULL, f),
    g_param_spec_string ("algo", NULL, NULL, NULL, f),
    g_param_spec_double ("ms", NULL, NULL, 0, G_MAXDOUBLE, 0, f),
    g_param_spec_double ("gflops", NULL, NULL, 0, G_MAXDOUBLE, 0, f),
  };

  object_class->get_property = nd_op_row_get_property;
  object_class->finalize = nd_op_row_finalize;
  g_object_class_install_properties (object_class, ROW_N_PROPS, props);
}

static void
nd_op_row_init (NdOpRow *self)
{
}

/* ---- the table ---------------------------------------------------------------------------- */

struct _NdOpTable
{
  GtkWidget      parent_instance;
  GtkWidget     *scrolled;
  GtkColumnView *view;
  GListStore    *store;
  gint64         refreshed;
  gpointer       graph;      /* the graph the rows are for (identity only) */
  guint64        generation; /* … and the config generation of their plan */
  GPtrArray     *pending;    /* the newest rows while the table is not on screen */
};

G_DEFINE_FINAL_TYPE (NdOpTable, nd_op_table, GTK_TYPE_WIDGET)

static void
setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer numeric)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  NdOpRow *row = gtk_list_item_get_item (item);
  const char *column = g_object_get_data (G_OBJECT (factory), "column");
  g_autofree char *text = NULL;

  if (g_str_equal (column, "name"))
    text = g_strdup_printf ("%d %s", row->id, row->name);
  else if (g_str_equal (column, "ms"))
    text = g_strdup_printf ("%.3f", row->ms);
  else if (g_str_equal (column, "gflops"))
    text = g_strdup_printf ("%.1f", row->gflops);
  else
    g_object_get (row, column, &text, NULL);
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

static void
add_column (NdOpTable *self, const char *title, const char *property, gboolean numeric,
            gboolean expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;
  GtkExpression *expr = gtk_property_expression_new (ND_TYPE_OP_ROW, NULL,
                                                     g_str_equal (property, "name") ? "id"
                                                                                    : property);
  GtkSorter *sorter;

  g_object_set_data_full (G_OBJECT (factory), "column", g_strdup (property), g_free);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), GINT_TO_POINTER (numeric));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  column = gtk_column_view_column_new (title, factory);
  if (numeric || g_str_equal (property, "name"))
    sorter = GTK_SORTER (gtk_numeric_sorter_new (expr));
  else
    sorter = GTK_SORTER (gtk_string_sorter_new (expr));
  gtk_column_view_column_set_sorter (column, sorter);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_append_column (self->view, column);
  g_object_unref (sorter);
  g_object_unref (column);
}

static void nd_op_table_map (GtkWidget *widget);

static void
nd_op_table_dispose (GObject *object)
{
  NdOpTable *self = ND_OP_TABLE (object);

  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  g_clear_object (&self->store);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  G_OBJECT_CLASS (nd_op_table_parent_class)->dispose (object);
}

static void
nd_op_table_class_init (NdOpTableClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_op_table_dispose;
  GTK_WIDGET_CLASS (klass)->map = nd_op_table_map;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
nd_op_table_init (NdOpTable *self)
{
  GtkSortListModel *sorted;
  GtkSelectionModel *selection;

  self->store = g_list_store_new (ND_TYPE_OP_ROW);
  self->view = GTK_COLUMN_VIEW (gtk_column_view_new (NULL));
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                    g_object_ref (gtk_column_view_get_sorter (self->view)));
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (sorted)));
  gtk_column_view_set_model (self->view, selection);
  g_object_unref (selection);
  gtk_column_view_set_show_column_separators (self->view, TRUE);
  add_column (self, _("op"), "name", FALSE, TRUE);
  add_column (self, _("kind"), "kind", FALSE, FALSE);
  add_column (self, _("block"), "block", FALSE, FALSE);
  add_column (self, _("algorithm"), "algo", FALSE, FALSE);
  add_column (self, _("median ms"), "ms", TRUE, FALSE);
  add_column (self, "GFLOP/s", "gflops", TRUE, FALSE);
  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), GTK_WIDGET (self->view));
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));
}

GtkWidget *
nd_op_table_new (void)
{
  return g_object_new (ND_TYPE_OP_TABLE, NULL);
}

/* The rows of @r (not the result itself: it holds every captured map and the graph its
 * weights, which must be free to go when the model changes). */
static GPtrArray *
make_rows (const NdInferenceResult *r)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);

  for (int k = 1; k < r->n_nodes; k++)
    {
      const NdNode *node = nd_graph_node (r->graph, k);
      NdOpRow *row = g_object_new (ND_TYPE_OP_ROW, NULL);
      double ms = r->op_median_ms[k];

      row->id = k;
      row->name = g_strdup (node->name ? node->name : node->block ? node->block : "");
      row->kind = g_strdup (nd_op_name (node->op));
      row->block = g_strdup (node->block ? node->block : "");
      /* a tuned kernel (Tune Kernels, bench --tune) says which variant it runs */
      if (r->op_variant != NULL && r->op_variant[k][0] != '\0')
        row->algo = g_strdup_printf ("%s · %s", r->op_algo[k], r->op_variant[k]);
      else
        row->algo = g_strdup (r->op_algo && r->op_algo[k] ? r->op_algo[k] : "");
      row->ms = ms;
      row->gflops = ms > 0 ? 2.0 * nd_node_macs (r->graph, node) / (ms * 1e6) : 0;
      g_ptr_array_add (rows, row);
    }
  return rows;
}

static void
flush (NdOpTable *self)
{
  g_autoptr(GPtrArray) rows = g_steal_pointer (&self->pending);

  if (rows != NULL)
    g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                         rows->pdata, rows->len);
}

/* A new model at once, the same one's times once a second. Off screen the rows wait: changing
 * a list model makes even a hidden GtkColumnView measure its rows again, which cost the whole
 * window its frame rate. A new plan (another model, backend or storage: its generation) that
 * has no per-op times yet empties the table, so that no row of the plan before stays under
 * it (a backend switch keeps the same graph). */
void
nd_op_table_set_result (NdOpTable *self, NdInferenceResult *r)
{
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (ND_IS_OP_TABLE (self));
  if (r == NULL)
    return;
  if (r->op_median_ms == NULL)
    {
      if (r->generation != self->generation)
        {
          self->generation = r->generation;
          self->graph = NULL;
          g_clear_pointer (&self->pending, g_ptr_array_unref);
          self->pending = g_ptr_array_new ();
          if (gtk_widget_get_mapped (GTK_WIDGET (self)))
            flush (self);
        }
      return;
    }
  if ((gpointer) r->graph == self->graph && r->generation == self->generation
      && now - self->refreshed < REFRESH_US)
    return;
  self->graph = r->graph;
  self->generation = r->generation;
  self->refreshed = now;
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  self->pending = make_rows (r);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    flush (self);
}

static void
nd_op_table_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (nd_op_table_parent_class)->map (widget);
  flush (ND_OP_TABLE (widget));
}

guint
nd_op_table_get_n_rows (NdOpTable *self)
{
  g_return_val_if_fail (ND_IS_OP_TABLE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

void
nd_op_table_to_json (NdOpTable *self, GString *out)
{
  guint n;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_if_fail (ND_IS_OP_TABLE (self));
  flush (self);
  n = nd_op_table_get_n_rows (self);
  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(NdOpRow) row = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      g_autofree char *name = g_strescape (row->name, NULL);

      g_string_append_printf (out, "%s[%d, \"%s\", \"%s\", %s]", i ? ", " : "", row->id, name,
                              row->kind, g_ascii_formatd (buf, sizeof buf, "%.4g", row->ms));
    }
  g_string_append_c (out, ']');
}
