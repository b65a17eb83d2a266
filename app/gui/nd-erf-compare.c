/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "nd-backend.h"
#include "nd-erf-compare.h"
#include "nd-erf-view.h"
#include "nd-error.h"
#include "nd-model.h"
#include "nd-theme.h"

/* The CLI's defaults: `--seed 1` initialises the weights and draws the random inputs. */
#define SEED 1

typedef struct
{
  char  *model;
  char  *block;       /* what `erf --block` is given */
  char  *last_block;  /* the block whose last node it resolves to */
  int    depth;
  NdErf  erf;
} Map;

typedef struct
{
  char *resnet;
  int   resolution, samples;
  Map   maps[ND_ERF_COMPARE_MAPS];
} Job;

struct _NdErfCompare
{
  GtkWidget      parent_instance;
  GtkWidget     *box;
  GtkWidget     *areas[ND_ERF_COMPARE_MAPS], *headings[ND_ERF_COMPARE_MAPS];
  GtkWidget     *labels[ND_ERF_COMPARE_MAPS];
  GtkWidget     *resnet_dropdown, *resolution_spin, *samples_spin;
  GtkWidget     *spinner, *cancel_button, *status, *note, *match, *commands;
  GCancellable  *cancellable;
  Job           *result;
  guint          serial;
  guint          drawn;         /* bit i: map i painted since the result arrived */
  gboolean       busy;
  NdRenderStyle  style;
};

G_DEFINE_FINAL_TYPE (NdErfCompare, nd_erf_compare, GTK_TYPE_WIDGET)

static const char * const resnets[] = { "resnet-50", "resnet-18", NULL };

static void
job_free (Job *job)
{
  for (int i = 0; i < ND_ERF_COMPARE_MAPS; i++)
    {
      g_free (job->maps[i].model);
      g_free (job->maps[i].block);
      g_free (job->maps[i].last_block);
      nd_erf_clear (&job->maps[i].erf);
    }
  g_free (job->resnet);
  g_free (job);
}

/* @model as `nondeep-cli --model M --resolution R` builds it: training form, random weights. */
static NdGraph *
build (const char *model, int resolution, GError **error)
{
  NdModelSpec spec;
  NdGraph *graph;

  if (!nd_model_spec_parse (model, &spec, error))
    return NULL;
  spec.resolution = resolution;
  if ((graph = nd_model_build (&spec, error)) != NULL)
    nd_model_init_random (graph, SEED);
  return graph;
}

/* The depth `info --json` reports for the block of @graph's node @node. */
static int
block_depth (const NdGraph *graph, GPtrArray *stats, int node, char **block)
{
  for (guint i = 0; i < stats->len; i++)
    {
      const NdBlockStats *st = g_ptr_array_index (stats, i);

      if (st->first_node <= node && node <= st->last_node)
        {
          *block = g_strdup (st->block);
          return st->depth;
        }
    }
  *block = g_strdup (nd_graph_node (graph, node)->name);
  return nd_graph_node (graph, node)->depth;
}

/* The ResNet residual block (layerS.B) whose depth is closest to @target; the shallower on a
 * tie. */
static const NdBlockStats *
closest_block (GPtrArray *stats, int target)
{
  const NdBlockStats *best = NULL;

  for (guint i = 0; i < stats->len; i++)
    {
      const NdBlockStats *st = g_ptr_array_index (stats, i);

      if (!g_str_has_prefix (st->block, "layer") || strchr (st->block, '.') == NULL)
        continue;
      if (best == NULL || abs (st->depth - target) < abs (best->depth - target))
        best = st;
    }
  return best;
}

static gboolean
measure (NdGraph *graph, NdBackend *cpu, Map *map, const Job *job, GError **error)
{
  NdGradUnit unit = { nd_grad_find_block (graph, map->block), -1, -1, -1 };

  if (unit.node < 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("No block %s in this model"), map->block);
      return FALSE;
    }
  return nd_grad_erf (graph, cpu, &unit, job->samples, SEED, &map->erf, error);
}

/* Worker thread: the three stream fields of ParNet-S, then the ResNet block of the closest
 * depth; checks for cancellation between maps. */
static void
compute (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  GError *error = NULL;
  g_autoptr(NdBackend) cpu = nd_backend_new ("cpu", -1, &error);
  g_autoptr(NdGraph) parnet = NULL, resnet = NULL;
  g_autoptr(GPtrArray) stats = NULL;
  const NdBlockStats *best;
  int target = 0;

  if (cpu == NULL || (parnet = build ("parnet-s", job->resolution, &error)) == NULL)
    goto fail;
  stats = nd_graph_block_stats (parnet);
  for (int s = 0; s < 3; s++)
    {
      Map *map = &job->maps[s];

      map->model = g_strdup ("parnet-s");
      map->block = g_strdup_printf ("streams.%d", s);
      if (g_cancellable_set_error_if_cancelled (cancellable, &error)
          || !measure (parnet, cpu, map, job, &error))
        goto fail;
      map->depth = block_depth (parnet, stats, map->erf.node, &map->last_block);
      target = MAX (target, map->depth);
    }
  g_clear_pointer (&stats, g_ptr_array_unref);
  if (g_cancellable_set_error_if_cancelled (cancellable, &error)
      || (resnet = build (job->resnet, job->resolution, &error)) == NULL)
    goto fail;
  stats = nd_graph_block_stats (resnet);
  if ((best = closest_block (stats, target)) == NULL)
    {
      error = g_error_new (ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                           _("%s has no residual blocks"), job->resnet);
      goto fail;
    }
  job->maps[3].model = g_strdup (job->resnet);
  job->maps[3].block = g_strdup (best->block);
  job->maps[3].last_block = g_strdup (best->block);
  job->maps[3].depth = best->depth;
  if (!measure (resnet, cpu, &job->maps[3], job, &error))
    goto fail;
  g_task_return_boolean (task, TRUE);
  return;

fail:
  g_task_return_error (task, error);
}

static char *
command_line (const Job *job, const Map *map)
{
  return g_strdup_printf ("nondeep-cli erf --model %s --block %s --resolution %d --samples %d "
                          "--json", map->model, map->block, job->resolution, job->samples);
}

static void
update (NdErfCompare *self)
{
  const Job *job = self->result;
  g_autoptr(GString) commands = g_string_new (NULL);
  g_autofree char *match = NULL, *note = NULL;

  gtk_widget_set_visible (self->spinner, self->busy);
  gtk_widget_set_sensitive (self->cancel_button, self->busy);
  for (int i = 0; i < ND_ERF_COMPARE_MAPS; i++)
    {
      const Map *map = job ? &job->maps[i] : NULL;
      g_autofree char *heading = NULL, *text = NULL, *cmd = NULL;

      if (map != NULL)
        {
          heading = g_strdup_printf (_("%s · %s\nlast block %s\ndepth %d"), map->model,
                                     map->block, map->last_block, map->depth);
          text = g_strdup_printf (_("radius_50 %.1f px\nradius_95 %.1f px\n"
                                    "theoretical field %d×%d px\n%s"),
                                  map->erf.radius_50, map->erf.radius_95, map->erf.rf_width,
                                  map->erf.rf_height,
                                  map->erf.rf_global ? _("plus global paths (pooling)")
                                                      : _("no global path"));
          cmd = command_line (job, map);
          g_string_append_printf (commands, "%s%s", i ? "\n" : "", cmd);
        }
      gtk_label_set_text (GTK_LABEL (self->headings[i]), heading ? heading : "");
      gtk_label_set_text (GTK_LABEL (self->labels[i]), text ? text : "");
      gtk_widget_queue_draw (self->areas[i]);
    }
  gtk_label_set_text (GTK_LABEL (self->commands), commands->str);
  if (job != NULL)
    {
      match = g_strdup_printf (_("%s %s is the block whose depth (%d weight layers on the "
                                 "longest path from the input) is closest to the deepest "
                                 "ParNet-S stream block's (%d)."), job->maps[3].model,
                               job->maps[3].block, job->maps[3].depth,
                               MAX (job->maps[0].depth,
                                    MAX (job->maps[1].depth, job->maps[2].depth)));
      note = g_strdup_printf (_("Random initialisation (seed 1), not trained · %d px · mean "
                                "|input gradient| of each block's centre unit over %d random "
                                "inputs"), job->resolution, job->samples);
    }
  gtk_label_set_text (GTK_LABEL (self->match), match ? match : "");
  gtk_label_set_text (GTK_LABEL (self->note), note ? note
                      : _("Random initialisation (seed 1), not trained"));
}

static void
computed_cb (GObject *source, GAsyncResult *res, gpointer data)
{
  NdErfCompare *self = ND_ERF_COMPARE (source);
  g_autoptr(GError) error = NULL;
  Job *job = g_task_get_task_data (G_TASK (res));

  if (!g_task_propagate_boolean (G_TASK (res), &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (GPOINTER_TO_UINT (g_task_get_source_tag (G_TASK (res))) != self->serial)
    return;
  self->busy = FALSE;
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->result, job_free);
  if (error == NULL)
    {
      /* the task keeps its data until it is finalized: hand over a copy of the pointers */
      self->result = g_memdup2 (job, sizeof *job);
      memset (job, 0, sizeof *job);
    }
  self->drawn = 0;
  gtk_label_set_text (GTK_LABEL (self->status), error ? error->message : "");
  update (self);
}

static void
draw_map (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdErfCompare *self = g_object_get_data (G_OBJECT (area), "compare");
  int i = GPOINTER_TO_INT (data);

  if (self->result == NULL || self->result->maps[i].erf.map == NULL)
    return;
  nd_erf_draw (cr, w, h, &self->result->maps[i].erf, &self->style);
  self->drawn |= 1u << i;
}

static void
options_changed_cb (NdErfCompare *self)
{
  nd_erf_compare_start (self, gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON
                                                                  (self->resolution_spin)),
                        gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->samples_spin)));
}

static GtkWidget *
controls (NdErfCompare *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  self->resnet_dropdown = gtk_drop_down_new_from_strings ((const char **) resnets);
  self->resolution_spin = gtk_spin_button_new_with_range (32, 320, 16);
  self->samples_spin = gtk_spin_button_new_with_range (1, 256, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->resolution_spin), 224);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->samples_spin), 8);
  self->spinner = gtk_spinner_new ();
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), TRUE);
  self->cancel_button = gtk_button_new_with_label (_("Cancel"));
  gtk_box_append (GTK_BOX (row), gtk_label_new (_("Compare with")));
  gtk_box_append (GTK_BOX (row), self->resnet_dropdown);
  gtk_box_append (GTK_BOX (row), gtk_label_new (_("Resolution")));
  gtk_box_append (GTK_BOX (row), self->resolution_spin);
  gtk_box_append (GTK_BOX (row), gtk_label_new (_("Samples")));
  gtk_box_append (GTK_BOX (row), self->samples_spin);
  gtk_box_append (GTK_BOX (row), self->spinner);
  gtk_box_append (GTK_BOX (row), self->cancel_button);
  g_signal_connect_swapped (self->resnet_dropdown, "notify::selected",
                            G_CALLBACK (options_changed_cb), self);
  g_signal_connect_swapped (self->resolution_spin, "value-changed",
                            G_CALLBACK (options_changed_cb), self);
  g_signal_connect_swapped (self->samples_spin, "value-changed",
                            G_CALLBACK (options_changed_cb), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (nd_erf_compare_cancel),
                            self);
  return row;
}

static GtkWidget *
dim_label (gboolean selectable)
{
  GtkWidget *label = gtk_label_new ("");

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), selectable);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static void
nd_erf_compare_init (NdErfCompare *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  g_object_set (self->box, "margin-start", 18, "margin-end", 18, "margin-top", 12,
                "margin-bottom", 12, NULL);
  gtk_box_append (GTK_BOX (self->box), controls (self));
  self->note = dim_label (FALSE);
  gtk_box_append (GTK_BOX (self->box), self->note);
  for (int i = 0; i < ND_ERF_COMPARE_MAPS; i++)
    {
      GtkWidget *pane = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);

      self->headings[i] = gtk_label_new ("");
      gtk_widget_add_css_class (self->headings[i], "heading");
      gtk_label_set_wrap (GTK_LABEL (self->headings[i]), TRUE);
      gtk_label_set_xalign (GTK_LABEL (self->headings[i]), 0);
      self->areas[i] = gtk_drawing_area_new ();
      gtk_widget_set_size_request (self->areas[i], 200, 200);
      gtk_widget_set_vexpand (self->areas[i], TRUE);
      g_object_set_data (G_OBJECT (self->areas[i]), "compare", self);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->areas[i]), draw_map,
                                      GINT_TO_POINTER (i), NULL);
      self->labels[i] = dim_label (FALSE);
      gtk_box_append (GTK_BOX (pane), self->headings[i]);
      gtk_box_append (GTK_BOX (pane), self->areas[i]);
      gtk_box_append (GTK_BOX (pane), self->labels[i]);
      gtk_widget_set_hexpand (pane, TRUE);
      gtk_box_set_homogeneous (GTK_BOX (row), TRUE);
      gtk_box_append (GTK_BOX (row), pane);
    }
  gtk_box_append (GTK_BOX (self->box), row);
  self->match = dim_label (FALSE);
  self->commands = dim_label (TRUE);
  gtk_widget_add_css_class (self->commands, "monospace");
  self->status = dim_label (FALSE);
  gtk_box_append (GTK_BOX (self->box), self->match);
  gtk_box_append (GTK_BOX (self->box), self->commands);
  gtk_box_append (GTK_BOX (self->box), self->status);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  nd_render_style_init (&self->style, FALSE);
  nd_theme_follow (GTK_WIDGET (self), &self->style);
  update (self);
}

static void
nd_erf_compare_dispose (GObject *object)
{
  NdErfCompare *self = ND_ERF_COMPARE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_pointer (&self->result, job_free);
  G_OBJECT_CLASS (nd_erf_compare_parent_class)->dispose (object);
}

static void
nd_erf_compare_class_init (NdErfCompareClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_erf_compare_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

GtkWidget *
nd_erf_compare_new (void)
{
  return g_object_new (ND_TYPE_ERF_COMPARE, NULL);
}

void
nd_erf_compare_start (NdErfCompare *self, int resolution, int samples)
{
  g_autoptr(GTask) task = NULL;
  Job *job = g_new0 (Job, 1);
  guint selected;

  g_return_if_fail (ND_IS_ERF_COMPARE (self));
  /* the spin buttons' handlers come back here: block them while they follow */
  g_signal_handlers_block_by_func (self->resolution_spin, options_changed_cb, self);
  g_signal_handlers_block_by_func (self->samples_spin, options_changed_cb, self);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->resolution_spin), resolution);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->samples_spin), samples);
  g_signal_handlers_unblock_by_func (self->resolution_spin, options_changed_cb, self);
  g_signal_handlers_unblock_by_func (self->samples_spin, options_changed_cb, self);
  selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->resnet_dropdown));
  job->resnet = g_strdup (resnets[selected < G_N_ELEMENTS (resnets) - 1 ? selected : 0]);
  job->resolution = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->resolution_spin));
  job->samples = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->samples_spin));
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->result, job_free);
  self->busy = TRUE;
  self->drawn = 0;
  gtk_label_set_text (GTK_LABEL (self->status), _("Computing gradients…"));
  update (self);
  task = g_task_new (self, self->cancellable, computed_cb, NULL);
  g_task_set_source_tag (task, GUINT_TO_POINTER (++self->serial));
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, compute);
}

void
nd_erf_compare_set_resnet (NdErfCompare *self, const char *model)
{
  g_return_if_fail (ND_IS_ERF_COMPARE (self));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->resnet_dropdown),
                              g_strcmp0 (model, "resnet-18") == 0 ? 1 : 0);
}

void
nd_erf_compare_cancel (NdErfCompare *self)
{
  g_return_if_fail (ND_IS_ERF_COMPARE (self));
  if (!self->busy)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->serial++;
  self->busy = FALSE;
  gtk_label_set_text (GTK_LABEL (self->status), _("Cancelled."));
  update (self);
}

gboolean
nd_erf_compare_is_busy (NdErfCompare *self)
{
  return self->busy;
}

static const Map *
get_map (NdErfCompare *self, int i)
{
  g_return_val_if_fail (i >= 0 && i < ND_ERF_COMPARE_MAPS, NULL);
  return self->result ? &self->result->maps[i] : NULL;
}

const NdErf *
nd_erf_compare_get_erf (NdErfCompare *self, int i)
{
  const Map *map = get_map (self, i);

  return map ? &map->erf : NULL;
}

const char *
nd_erf_compare_get_model (NdErfCompare *self, int i)
{
  const Map *map = get_map (self, i);

  return map ? map->model : NULL;
}

const char *
nd_erf_compare_get_block (NdErfCompare *self, int i)
{
  const Map *map = get_map (self, i);

  return map ? map->block : NULL;
}

int
nd_erf_compare_get_resolution (NdErfCompare *self)
{
  return self->result ? self->result->resolution : 0;
}

int
nd_erf_compare_get_samples (NdErfCompare *self)
{
  return self->result ? self->result->samples : 0;
}

int
nd_erf_compare_get_n_drawn (NdErfCompare *self)
{
  int n = 0;

  for (int i = 0; i < ND_ERF_COMPARE_MAPS; i++)
    n += (self->drawn >> i) & 1;
  return n;
}

NdErfCompare *
nd_erf_compare_present (GtkWidget *parent, int resolution, int samples)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *view = nd_erf_compare_new ();
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  gtk_window_set_title (GTK_WINDOW (window),
                        _("Effective receptive fields · ParNet streams vs ResNet"));
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 700);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), view);
  gtk_widget_set_vexpand (view, TRUE);
  adw_window_set_content (ADW_WINDOW (window), box);
  nd_erf_compare_start (ND_ERF_COMPARE (view), resolution, samples);
  gtk_window_present (GTK_WINDOW (window));
  return ND_ERF_COMPARE (view);
}
