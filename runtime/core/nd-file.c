/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "nd-error.h"
#include "nd-file.h"

/* ---- inputs ---- */

int
nd_file_open_regular (const char *path, guint64 *size, GError **error)
{
  g_autofree char *shown = nd_escape_for_terminal (path);
  struct stat st;
  int fd, saved;

  g_return_val_if_fail (path != NULL, -1);
  /* O_NONBLOCK: opening a FIFO for reading would wait for a writer forever. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE, _("Cannot open %s: %s"),
                   shown, g_strerror (saved));
      return -1;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("Cannot open %s: not a regular file"), shown);
      return -1;
    }
  /* Reads of a regular file never block; clear the flag for tidiness. */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  if (size != NULL)
    *size = (guint64) st.st_size;
  return fd;
}

gboolean
nd_file_pread (int fd, const char *path, void *buf, gsize n, guint64 offset, GError **error)
{
  gsize done = 0;

  while (done < n)
    {
      ssize_t r = pread (fd, (char *) buf + done, MIN (n - done, (gsize) 1 << 30),
                         (off_t) (offset + done));

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          g_autofree char *shown = nd_escape_for_terminal (path);
          int saved = errno;

          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                       _("Cannot read %s: %s"), shown,
                       r < 0 ? g_strerror (saved) : _("the file got shorter while it was read"));
          return FALSE;
        }
      done += (gsize) r;
    }
  return TRUE;
}

GBytes *
nd_file_read (const char *path, guint64 max_size, GError **error)
{
  guint64 size;
  gpointer buf;
  int fd = nd_file_open_regular (path, &size, error);

  if (fd < 0)
    return NULL;
  if (size > max_size || size > G_MAXSIZE)
    {
      g_autofree char *shown = nd_escape_for_terminal (path);

      close (fd);
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s is %" PRIu64 " bytes, more than the %" PRIu64
                     " byte limit for this kind of file"), shown, size, max_size);
      return NULL;
    }
  buf = g_try_malloc (MAX (size, 1));
  if (buf == NULL)
    {
      g_autofree char *shown = nd_escape_for_terminal (path);

      close (fd);
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                   _("Out of memory reading %s (%" PRIu64 " bytes)"), shown, size);
      return NULL;
    }
  if (!nd_file_pread (fd, path, buf, size, 0, error))
    {
      close (fd);
      g_free (buf);
      return NULL;
    }
  close (fd);
  return g_bytes_new_take (buf, size);
}

/* ---- outputs ---- */

/* Temporary files to remove if SIGINT or SIGTERM ends the process mid-write. A fixed table of
 * fixed buffers: the handler may only call async-signal-safe functions (unlink, sigaction). */
#define MAX_PENDING 8
#define PENDING_PATH 4096
static char pending[MAX_PENDING][PENDING_PATH];
static volatile sig_atomic_t pending_used[MAX_PENDING];
static struct sigaction old_int, old_term;
G_LOCK_DEFINE_STATIC (pending);

static void
on_fatal_signal (int sig)
{
  for (int i = 0; i < MAX_PENDING; i++)
    if (pending_used[i])
      unlink (pending[i]);
  /* Then what would have happened without us: the previous handler, or the default action. */
  sigaction (sig, sig == SIGINT ? &old_int : &old_term, NULL);
  raise (sig);
}

static void
install_handlers (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      struct sigaction sa;

      memset (&sa, 0, sizeof sa);
      sa.sa_handler = on_fatal_signal;
      sigemptyset (&sa.sa_mask);
      sa.sa_flags = SA_RESETHAND;
      sigaction (SIGINT, &sa, &old_int);
      sigaction (SIGTERM, &sa, &old_term);
      /* Leave an ignored SIGINT ignored (nohup, background jobs). */
      if (old_int.sa_handler == SIG_IGN)
        sigaction (SIGINT, &old_int, NULL);
      if (old_term.sa_handler == SIG_IGN)
        sigaction (SIGTERM, &old_term, NULL);
      g_once_init_leave (&once, 1);
    }
}

static int
pending_add (const char *tmp)
{
  int slot = -1;

  if (strlen (tmp) >= PENDING_PATH)
    return -1;
  install_handlers ();
  G_LOCK (pending);
  for (int i = 0; i < MAX_PENDING && slot < 0; i++)
    if (!pending_used[i])
      {
        strcpy (pending[i], tmp);
        pending_used[i] = 1;
        slot = i;
      }
  G_UNLOCK (pending);
  return slot;
}

static void
pending_remove (int slot)
{
  if (slot < 0)
    return;
  G_LOCK (pending);
  pending_used[slot] = 0;
  G_UNLOCK (pending);
}

struct _NdAtomicFile
{
  char    *path, *tmp;
  int      fd, slot;
  gboolean committed;
};

static gboolean
write_failed (GError **error, const char *path, int err)
{
  g_autofree char *shown = nd_escape_for_terminal (path);

  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_FAILED, _("Cannot write %s: %s"), shown,
               g_strerror (err));
  return FALSE;
}

NdAtomicFile *
nd_atomic_file_new (const char *path, GError **error)
{
  g_autoptr(NdAtomicFile) f = g_new0 (NdAtomicFile, 1);
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);
  f->fd = -1;
  f->slot = -1;
  f->path = g_strdup (path);
  if (g_lstat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_autofree char *shown = nd_escape_for_terminal (path);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Will not replace %s: it is not a regular file (a symbolic link, FIFO, "
                     "device or directory)"), shown);
      return NULL;
    }
  /* g_mkstemp() would create the file 0600; our outputs are ordinary data (umask applies) */
  f->tmp = g_strdup_printf ("%s.tmp-%08x%08x", path, g_random_int (), g_random_int ());
  f->fd = g_open (f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (f->fd < 0)
    {
      write_failed (error, path, errno);
      return NULL;
    }
  f->slot = pending_add (f->tmp);
  return g_steal_pointer (&f);
}

gboolean
nd_atomic_file_write (NdAtomicFile *f, const void *data, gsize n, GError **error)
{
  gsize done = 0;

  while (done < n)
    {
      ssize_t w = write (f->fd, (const char *) data + done, MIN (n - done, (gsize) 1 << 30));

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return write_failed (error, f->path, w < 0 ? errno : ENOSPC);
      done += (gsize) w;
    }
  return TRUE;
}

static void
fsync_dir (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  /* Best effort: some file systems refuse fsync on a directory; the data is already synced. */
  if (fd >= 0)
    {
      (void) fsync (fd);
      close (fd);
    }
}

gboolean
nd_atomic_file_commit (NdAtomicFile *f, GError **error)
{
  struct stat st;
  int fd = f->fd;

  f->fd = -1;
  if (fsync (fd) != 0)
    {
      int saved = errno;

      close (fd);
      return write_failed (error, f->path, saved);
    }
  if (close (fd) != 0)
    return write_failed (error, f->path, errno);
  /* Checked again: the target may have become a link or FIFO while we wrote. */
  if (g_lstat (f->path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      g_autofree char *shown = nd_escape_for_terminal (f->path);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Will not replace %s: it is not a regular file (a symbolic link, FIFO, "
                     "device or directory)"), shown);
      return FALSE;
    }
  if (g_rename (f->tmp, f->path) != 0)
    return write_failed (error, f->path, errno);
  f->committed = TRUE;
  pending_remove (f->slot);
  f->slot = -1;
  fsync_dir (f->path);
  return TRUE;
}

void
nd_atomic_file_free (NdAtomicFile *f)
{
  if (f == NULL)
    return;
  if (f->fd >= 0)
    close (f->fd);
  if (!f->committed && f->tmp != NULL)
    g_unlink (f->tmp);
  pending_remove (f->slot);
  g_free (f->tmp);
  g_free (f->path);
  g_free (f);
}

gboolean
nd_file_replace (const char *path, const void *data, gsize n, GError **error)
{
  g_autoptr(NdAtomicFile) f = nd_atomic_file_new (path, error);

  return f != NULL && nd_atomic_file_write (f, data, n, error) && nd_atomic_file_commit (f, error);
}

/* ---- printing ---- */

char *
nd_escape_for_terminal (const char *text)
{
  GString *out;
  const char *p, *end;

  if (text == NULL)
    return g_strdup ("(null)");
  out = g_string_sized_new (strlen (text));
  p = text;
  end = text + strlen (text);
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (c >= 0x80 && c < 0xa0)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}
