/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "nd-compare-private.h"

/* The Side by side page's table: one row per block pair (or unmatched block), every column
 * sortable (a click on its header). Rows are plain GObjects holding copies of the numbers. */

#define ND_TYPE_PAIR_ITEM (nd_pair_item_get_type ())
G_DECLARE_FINAL_TYPE (NdPairItem, nd_pair_item, ND, PAIR_ITEM, GObject)

struct _NdPairItem
{
  GObject parent_instance;
  int     pair;             /* index in NdLabBlockDiff.pairs */
  int     stride, position;
  char   *stage, *block_a, *block_b;
  double  a_ms, b_ms, diff_ms, diff_pct;   /* NAN where a side has no block */
};

G_DEFINE_FINAL_TYPE (NdPairItem, nd_pair_item, G_TYPE_OBJECT)

static void
nd_pair_item_finalize (GObject *object)
{
  NdPairItem *self = ND_PAIR_ITEM (object);

  g_free (self->stage);
  g_free (self->block_a);
  g_free (self->block_b);
  G_OBJECT_CLASS (nd_pair_item_parent_class)->finalize (object);
}

static void
nd_pair_item_class_init (NdPairItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nd_pair_item_finalize;
}

static void
nd_pair_item_init (NdPairItem *self)
{
}

enum { COL_STAGE, COL_BLOCK_A, COL_A_MS, COL_BLOCK_B, COL_B_MS, COL_DIFF_MS, COL_DIFF_PCT,
       N_COLS };

static const char *col_titles[N_COLS] = {
  N_("Stage · #"), N_("Block A"), N_("A ms"), N_("Block B"), N_("B ms"), N_("A − B ms"),
  N_("A − B %"),
};

static double
item_number (const NdPairItem *it, int col)
{
  switch (col)
    {
    case COL_A_MS: return it->a_ms;
    case COL_B_MS: return it->b_ms;
    case COL_DIFF_MS: return it->diff_ms;
    case COL_DIFF_PCT: return it->diff_pct;
    default: return it->stride * 10000.0 + it->position;   /* stage order */
    }
}

char *
_nd_compare_table_cell (gpointer item, int col)
{
  NdPairItem *it = item;
  double v = item_number (it, col);

  switch (col)
    {
    case COL_STAGE: return g_strdup_printf ("%s · %d", it->stage, it->position);
    case COL_BLOCK_A: return g_strdup (it->block_a ? it->block_a : _("(unmatched)"));
    case COL_BLOCK_B: return g_strdup (it->block_b ? it->block_b : _("(unmatched)"));
    case COL_DIFF_MS: return isnan (v) ? g_strdup ("–") : g_strdup_printf ("%+.3f", v);
    case COL_DIFF_PCT: return isnan (v) ? g_strdup ("–") : g_strdup_printf ("%+.1f %%", v);
    default: return isnan (v) ? g_strdup ("–") : g_strdup_printf ("%.3f", v);
    }
}

/* Numbers by value, names by text; a missing value (an unmatched side) counts as the smallest,
 * so a descending sort lists the largest differences first and the unmatched rows last. */
static int
compare_items (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const NdPairItem *a = pa, *b = pb;
  int col = GPOINTER_TO_INT (data);
  double x, y;

  if (col == COL_BLOCK_A || col == COL_BLOCK_B)
    return g_strcmp0 (col == COL_BLOCK_A ? a->block_a : a->block_b,
                      col == COL_BLOCK_A ? b->block_a : b->block_b);
  x = item_number (a, col);
  y = item_number (b, col);
  if (isnan (x) || isnan (y))
    return isnan (y) - isnan (x);
  return (x > y) - (x < y);
}

static void
setup_cell (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  int col = GPOINTER_TO_INT (data);

  gtk_label_set_xalign (GTK_LABEL (label), col == COL_BLOCK_A || col == COL_BLOCK_B
                                           || col == COL_STAGE ? 0 : 1);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (li, label);
}

static void
bind_cell (GtkSignalListItemFactory *f, GtkListItem *li, gpointer data)
{
  g_autofree char *text = _nd_compare_table_cell (gtk_list_item_get_item (li),
                                                  GPOINTER_TO_INT (data));

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (li)), text);
}

GtkWidget *
_nd_compare_table_new (GListStore **store_out)
{
  GListStore *store = g_list_store_new (ND_TYPE_PAIR_ITEM);
  GtkWidget *view = gtk_column_view_new (NULL);
  GtkSortListModel *sorted;
  GtkSingleSelection *sel;

  for (int c = 0; c < N_COLS; c++)
    {
      GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
      GtkColumnViewColumn *col;

      g_signal_connect (f, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (c));
      g_signal_connect (f, "bind", G_CALLBACK (bind_cell), GINT_TO_POINTER (c));
      col = gtk_column_view_column_new (_(col_titles[c]), f);
      gtk_column_view_column_set_sorter (col, GTK_SORTER (gtk_custom_sorter_new (
                                                compare_items, GINT_TO_POINTER (c), NULL)));
      gtk_column_view_column_set_expand (col, c == COL_BLOCK_A || c == COL_BLOCK_B);
      gtk_column_view_append_column (GTK_COLUMN_VIEW (view), col);
      g_object_unref (col);
    }
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (store)),
                                    g_object_ref (gtk_column_view_get_sorter (
                                      GTK_COLUMN_VIEW (view))));
  sel = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_single_selection_set_autoselect (sel, FALSE);   /* a row is picked, never assumed */
  gtk_single_selection_set_can_unselect (sel, TRUE);
  gtk_single_selection_set_selected (sel, GTK_INVALID_LIST_POSITION);
  gtk_column_view_set_model (GTK_COLUMN_VIEW (view), GTK_SELECTION_MODEL (sel));
  g_object_unref (sel);
  gtk_column_view_set_show_column_separators (GTK_COLUMN_VIEW (view), TRUE);
  *store_out = store;
  return view;
}

void
_nd_compare_table_fill (GListStore *store, const NdLabBlockDiff *d)
{
  g_list_store_remove_all (store);
  for (int i = 0; d != NULL && i < d->n_pairs; i++)
    {
      const NdLabBlockPair *p = &d->pairs[i];
      g_autoptr(NdPairItem) it = g_object_new (ND_TYPE_PAIR_ITEM, NULL);

      it->pair = i;
      it->stride = p->stride;
      it->position = p->position;
      it->stage = nd_lab_stage_name (p->stride);
      it->block_a = p->a >= 0 ? g_strdup (d->side[0].blocks[p->a].block) : NULL;
      it->block_b = p->b >= 0 ? g_strdup (d->side[1].blocks[p->b].block) : NULL;
      it->a_ms = p->a >= 0 ? d->side[0].blocks[p->a].ms : NAN;
      it->b_ms = p->b >= 0 ? d->side[1].blocks[p->b].ms : NAN;
      it->diff_ms = p->diff_ms;
      it->diff_pct = p->diff_pct;
      g_list_store_append (store, it);
    }
}

/* Sorts the table by @col (as a click on its header does). */
void
_nd_compare_table_sort (GtkWidget *view, int col, gboolean descending)
{
  GListModel *cols = gtk_column_view_get_columns (GTK_COLUMN_VIEW (view));
  g_autoptr(GtkColumnViewColumn) c = g_list_model_get_item (cols, col);

  gtk_column_view_sort_by_column (GTK_COLUMN_VIEW (view), c,
                                  descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
}

char *
_nd_compare_table_csv (GListModel *model)
{
  GString *s = g_string_new ("stage,position,block_a,block_b,a_ms,b_ms,diff_ms,diff_pct\n");

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(NdPairItem) it = g_list_model_get_item (model, i);
      const double v[4] = { it->a_ms, it->b_ms, it->diff_ms, it->diff_pct };

      if (it->stride >= ND_LAB_STAGE_HEAD)
        g_string_append (s, "head,");
      else
        g_string_append_printf (s, "%d,", it->stride);
      g_string_append_printf (s, "%d,%s,%s", it->position, it->block_a ? it->block_a : "",
                              it->block_b ? it->block_b : "");
      for (int k = 0; k < 4; k++)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append_printf (s, ",%s", isnan (v[k]) ? ""
                                  : g_ascii_formatd (buf, sizeof buf, "%.4f", v[k]));
        }
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

int
_nd_compare_table_item_pair (gpointer item)
{
  return ND_IS_PAIR_ITEM (item) ? ND_PAIR_ITEM (item)->pair : -1;
}
