/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-knobs.h"

static gboolean
out_of_range (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
out_of_range (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

void
nd_knobs_init (NdKnobs *knobs)
{
  memset (knobs, 0, sizeof *knobs);
}

gboolean
nd_knobs_set_streams (NdKnobs *knobs, gint64 streams, GError **error)
{
  if (streams < 1 || streams > ND_KNOBS_MAX_STREAMS)
    return out_of_range (error, _("--streams must be 1, 2 or 3, not %" PRId64),
                         streams);
  knobs->streams = (int) streams;
  knobs->set |= ND_KNOB_STREAMS;
  return TRUE;
}

gboolean
nd_knobs_set_width (NdKnobs *knobs, double width, GError **error)
{
  /* written so that NaN fails too */
  if (!(width > 0 && width <= ND_KNOBS_MAX_WIDTH))
    return out_of_range (error, _("--width must be greater than 0 and at most %g, not %g"),
                         ND_KNOBS_MAX_WIDTH, width);
  knobs->width = width;
  knobs->set |= ND_KNOB_WIDTH;
  return TRUE;
}

gboolean
nd_knobs_set_blocks (NdKnobs *knobs, const int *blocks, int n_blocks, GError **error)
{
  if (n_blocks < 1 || n_blocks > ND_MAX_STAGES)
    return out_of_range (error, _("--blocks takes 1 to %d comma-separated counts, not %d"),
                         ND_MAX_STAGES, n_blocks);
  for (int i = 0; i < n_blocks; i++)
    if (blocks[i] < 0 || blocks[i] > ND_KNOBS_MAX_BLOCK_COUNT)
      return out_of_range (error, _("--blocks: a block count must be between 0 and %d, not %d"),
                           ND_KNOBS_MAX_BLOCK_COUNT, blocks[i]);
  memset (knobs->blocks, 0, sizeof knobs->blocks);
  memcpy (knobs->blocks, blocks, n_blocks * sizeof (int));
  knobs->n_blocks = n_blocks;
  knobs->set |= ND_KNOB_BLOCKS;
  return TRUE;
}

gboolean
nd_knobs_set_resolution (NdKnobs *knobs, gint64 resolution, GError **error)
{
  if (resolution < ND_KNOBS_MIN_RESOLUTION || resolution > ND_KNOBS_MAX_RESOLUTION)
    return out_of_range (error, _("--resolution must be between %d and %d pixels, not %"
                                  PRId64), ND_KNOBS_MIN_RESOLUTION,
                         ND_KNOBS_MAX_RESOLUTION, resolution);
  knobs->resolution = (int) resolution;
  knobs->set |= ND_KNOB_RESOLUTION;
  return TRUE;
}

gboolean
nd_knobs_set_classes (NdKnobs *knobs, gint64 classes, GError **error)
{
  if (classes < 1 || classes > ND_KNOBS_MAX_CLASSES)
    return out_of_range (error, _("--classes must be between 1 and %d, not %" PRId64),
                         ND_KNOBS_MAX_CLASSES, classes);
  knobs->classes = (int) classes;
  knobs->set |= ND_KNOB_CLASSES;
  return TRUE;
}

gboolean
nd_knobs_set_in_channels (NdKnobs *knobs, gint64 in_channels, GError **error)
{
  if (in_channels < 1 || in_channels > ND_KNOBS_MAX_IN_CHANNELS)
    return out_of_range (error, _("--in-channels must be between 1 and %d, not %"
                                  PRId64), ND_KNOBS_MAX_IN_CHANNELS, in_channels);
  knobs->in_channels = (int) in_channels;
  knobs->set |= ND_KNOB_IN_CHANNELS;
  return TRUE;
}

gboolean
nd_knobs_set_lambda (NdKnobs *knobs, double lambda, GError **error)
{
  if (!(lambda >= 0 && lambda <= 1))
    return out_of_range (error, _("--lambda must be between 0 and 1, not %g"), lambda);
  knobs->lambda = lambda;
  knobs->set |= ND_KNOB_LAMBDA;
  return TRUE;
}

/* A whole-string integer; anything else (empty, "3x", "1e3", beyond 64 bits) is refused. */
static gboolean
parse_int (const char *flag, const char *value, gint64 *out, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (!g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, out, &local))
    return out_of_range (error, _("%s takes a whole number, not “%s”"), flag, value);
  return TRUE;
}

static gboolean
parse_double (const char *flag, const char *value, double *out, GError **error)
{
  char *end = NULL;

  *out = g_ascii_strtod (value, &end);
  if (*value == '\0' || g_ascii_isspace (*value) || end == NULL || *end != '\0'
      || !isfinite (*out))
    return out_of_range (error, _("%s takes a number, not “%s”"), flag, value);
  return TRUE;
}

/* The one parser of a block list ("4,5,5"). */
static gboolean
parse_blocks (NdKnobs *knobs, const char *value, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (value, ",", -1);
  guint n = g_strv_length (parts);
  int blocks[ND_MAX_STAGES] = { 0 };

  if (n == 0 || n > ND_MAX_STAGES)
    return out_of_range (error, _("--blocks takes 1 to %d comma-separated counts, not “%s”"),
                         ND_MAX_STAGES, value);
  for (guint i = 0; i < n; i++)
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0,
                                       ND_KNOBS_MAX_BLOCK_COUNT, &v, NULL))
        return out_of_range (error, _("--blocks: “%s” is not a block count between 0 and %d"),
                             parts[i], ND_KNOBS_MAX_BLOCK_COUNT);
      blocks[i] = (int) v;
    }
  return nd_knobs_set_blocks (knobs, blocks, (int) n, error);
}

static guint
knob_flag (const char *name)
{
  static const struct { const char *name; guint flag; } table[] = {
    { "streams", ND_KNOB_STREAMS }, { "width", ND_KNOB_WIDTH }, { "blocks", ND_KNOB_BLOCKS },
    { "resolution", ND_KNOB_RESOLUTION }, { "classes", ND_KNOB_CLASSES },
    { "in-channels", ND_KNOB_IN_CHANNELS }, { "lambda", ND_KNOB_LAMBDA },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (name, table[i].name))
      return table[i].flag;
  return 0;
}

gboolean
nd_knobs_set_from_string (NdKnobs *knobs, const char *name, const char *value, GError **error)
{
  g_autofree char *flag = NULL;
  gint64 i;
  double d;

  g_return_val_if_fail (knobs != NULL && name != NULL, FALSE);
  if (g_str_has_prefix (name, "--"))
    name += 2;
  flag = g_strconcat ("--", name, NULL);
  if (knob_flag (name) == 0)
    return out_of_range (error, _("Unknown knob “%s” (known: --streams, --width, --blocks, "
                                  "--resolution, --classes, --in-channels, --lambda)"), flag);
  if (value == NULL)
    return out_of_range (error, _("%s needs a value"), flag);

  if (g_str_equal (name, "streams"))
    return parse_int (flag, value, &i, error) && nd_knobs_set_streams (knobs, i, error);
  if (g_str_equal (name, "width"))
    return parse_double (flag, value, &d, error) && nd_knobs_set_width (knobs, d, error);
  if (g_str_equal (name, "blocks"))
    return parse_blocks (knobs, value, error);
  if (g_str_equal (name, "resolution"))
    return parse_int (flag, value, &i, error) && nd_knobs_set_resolution (knobs, i, error);
  if (g_str_equal (name, "classes"))
    return parse_int (flag, value, &i, error) && nd_knobs_set_classes (knobs, i, error);
  if (g_str_equal (name, "in-channels"))
    return parse_int (flag, value, &i, error) && nd_knobs_set_in_channels (knobs, i, error);
  if (g_str_equal (name, "lambda"))
    return parse_double (flag, value, &d, error) && nd_knobs_set_lambda (knobs, d, error);
  g_return_val_if_reached (FALSE);
}

gboolean
nd_knobs_parse (const char *text, NdKnobs *knobs, GError **error)
{
  g_auto(GStrv) words = NULL;
  NdKnobs k = *knobs;
  guint seen = 0;

  g_return_val_if_fail (knobs != NULL, FALSE);
  if (text == NULL)
    return TRUE;
  /* plain whitespace-separated words: no quoting, so nothing a shell would expand */
  words = g_strsplit_set (text, " \t\n", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      const char *word = words[i], *value, *eq;
      guint flag;

      if (*word == '\0')
        continue;
      if (!g_str_has_prefix (word, "--"))
        return out_of_range (error, _("Knobs “%s”: “%s” is not a --flag"), text, word);
      eq = strchr (word, '=');
      if (eq != NULL)
        {
          name = g_strndup (word + 2, eq - word - 2);
          value = eq + 1;
        }
      else
        {
          name = g_strdup (word + 2);
          value = words[i + 1];
          if (value != NULL)
            i++;
        }
      flag = knob_flag (name);
      if (flag != 0 && (seen & flag) != 0)
        return out_of_range (error, _("Knobs “%s”: --%s is given twice"), text, name);
      seen |= flag;
      if (!nd_knobs_set_from_string (&k, name, value, error))
        return FALSE;
    }
  *knobs = k;
  return TRUE;
}

void
nd_knobs_merge (NdKnobs *dst, const NdKnobs *src)
{
  if (src->set & ND_KNOB_STREAMS)
    dst->streams = src->streams;
  if (src->set & ND_KNOB_WIDTH)
    dst->width = src->width;
  if (src->set & ND_KNOB_BLOCKS)
    {
      dst->n_blocks = src->n_blocks;
      memcpy (dst->blocks, src->blocks, sizeof dst->blocks);
    }
  if (src->set & ND_KNOB_RESOLUTION)
    dst->resolution = src->resolution;
  if (src->set & ND_KNOB_CLASSES)
    dst->classes = src->classes;
  if (src->set & ND_KNOB_IN_CHANNELS)
    dst->in_channels = src->in_channels;
  if (src->set & ND_KNOB_LAMBDA)
    dst->lambda = src->lambda;
  dst->set |= src->set;
}

void
nd_knobs_apply (const NdKnobs *k, NdModelSpec *spec)
{
  if (k->set & ND_KNOB_STREAMS)
    spec->streams = k->streams;
  if (k->set & ND_KNOB_WIDTH)
    spec->width = k->width;
  if (k->set & ND_KNOB_BLOCKS)
    {
      spec->n_blocks = k->n_blocks;
      memcpy (spec->blocks, k->blocks, sizeof spec->blocks);
    }
  if (k->set & ND_KNOB_RESOLUTION)
    spec->resolution = k->resolution;
  if (k->set & ND_KNOB_CLASSES)
    spec->classes = k->classes;
  if (k->set & ND_KNOB_IN_CHANNELS)
    spec->in_channels = k->in_channels;
  if (k->set & ND_KNOB_LAMBDA)
    spec->lambda = k->lambda;
}

void
nd_knobs_from_spec (NdKnobs *k, const NdModelSpec *spec)
{
  nd_knobs_init (k);
  k->resolution = spec->resolution;
  k->classes = spec->classes;
  k->in_channels = spec->in_channels;
  k->set = ND_KNOB_RESOLUTION | ND_KNOB_CLASSES | ND_KNOB_IN_CHANNELS;
  if (spec->width != 1.0)
    {
      k->width = spec->width;
      k->set |= ND_KNOB_WIDTH;
    }
  if (spec->family == ND_FAMILY_PARNET)
    {
      k->streams = spec->streams;
      k->set |= ND_KNOB_STREAMS;
    }
  if (spec->family == ND_FAMILY_VANILLANET)
    {
      k->lambda = spec->lambda;
      k->set |= ND_KNOB_LAMBDA;
    }
  if (spec->n_blocks > 0 && spec->family != ND_FAMILY_VANILLANET && spec->family != ND_FAMILY_VGG)
    {
      k->n_blocks = MIN (spec->n_blocks, ND_MAX_STAGES);
      memcpy (k->blocks, spec->blocks, sizeof k->blocks);
      k->set |= ND_KNOB_BLOCKS;
    }
}

char *
nd_knobs_blocks_to_string (const int *blocks, int n_blocks)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < n_blocks; i++)
    g_string_append_printf (s, "%s%d", i ? "," : "", blocks[i]);
  return g_string_free (s, FALSE);
}

/* The order nondeep-cli fuse has always written, so existing files compare equal. */
char *
nd_knobs_to_string (const NdKnobs *k)
{
  GString *s = g_string_new (NULL);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

#define SEP (s->len ? " " : "")
  if (k->set & ND_KNOB_RESOLUTION)
    g_string_append_printf (s, "%s--resolution %d", SEP, k->resolution);
  if (k->set & ND_KNOB_CLASSES)
    g_string_append_printf (s, "%s--classes %d", SEP, k->classes);
  if (k->set & ND_KNOB_IN_CHANNELS)
    g_string_append_printf (s, "%s--in-channels %d", SEP, k->in_channels);
  if (k->set & ND_KNOB_WIDTH)
    g_string_append_printf (s, "%s--width %s", SEP, g_ascii_dtostr (buf, sizeof buf, k->width));
  if (k->set & ND_KNOB_STREAMS)
    g_string_append_printf (s, "%s--streams %d", SEP, k->streams);
  if (k->set & ND_KNOB_LAMBDA)
    g_string_append_printf (s, "%s--lambda %s", SEP,
                            g_ascii_dtostr (buf, sizeof buf, k->lambda));
  if (k->set & ND_KNOB_BLOCKS)
    {
      g_autofree char *b = nd_knobs_blocks_to_string (k->blocks, k->n_blocks);

      g_string_append_printf (s, "%s--blocks %s", SEP, b);
    }
#undef SEP
  return g_string_free (s, FALSE);
}
