/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-secrets"

#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "pixverse-error.h"
#include "pixverse-secrets.h"

/*
 * These tests talk to a real gnome-keyring on a private session bus: run them
 * through tests/with-keyring.sh (meson test does), never on a desktop session,
 * whose stored key they would remove.
 */

#define KEYRING_MARKER "PIXVERSE_PRIVATE_KEYRING"

/* The schema as the app wrote it in every earlier release: if this test has
 * to change, the keys people stored are lost. */
static const SecretSchema expected_schema = {
  .name = APP_ID,
  .flags = SECRET_SCHEMA_NONE,
  .attributes = {
    { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static void
result_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

/* Each helper finishes the call and checks that the task died with it. */

static char *
lookup (GCancellable  *cancellable,
        GError       **error)
{
  GAsyncResult *result = NULL;
  char *key;

  pixverse_secrets_lookup_async (cancellable, result_cb, &result);
  /* Never from within the call, whatever the source of the key. */
  g_assert_null (result);
  key = pixverse_secrets_lookup_finish (wait_for_result (&result), error);
  g_assert_finalize_object (result);
  return key;
}

static gboolean
store (const char    *api_key,
       GCancellable  *cancellable,
       GError       **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  pixverse_secrets_store_async (api_key, cancellable, result_cb, &result);
  g_assert_null (result);
  ok = pixverse_secrets_store_finish (wait_for_result (&result), error);
  g_assert_finalize_object (result);
  return ok;
}

static gboolean
clear (GCancellable  *cancellable,
       GError       **error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  pixverse_secrets_clear_async (cancellable, result_cb, &result);
  g_assert_null (result);
  ok = pixverse_secrets_clear_finish (wait_for_result (&result), error);
  g_assert_finalize_object (result);
  return ok;
}

static void
assert_lookup (const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  key = lookup (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, expected);
}

static void
assert_store (const char *api_key)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (store (api_key, NULL, &error));
  g_assert_no_error (error);
}

/* What is in the keyring, asked of libsecret directly, not through us. */
static GList *
search_items (void)
{
  g_autoptr(GError) error = NULL;
  GList *items;

  items = secret_password_search_sync (&expected_schema, SECRET_SEARCH_ALL,
                                       NULL, &error, NULL);
  g_assert_no_error (error);
  return items;
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (g_getenv ("PIXVERSE_API_KEY"));
  g_assert_true (clear (NULL, &error));
  g_assert_no_error (error);
}

static void
test_lookup_nothing_stored (void)
{
  g_autolist(GObject) items = NULL;

  setup ();

  items = search_items ();
  g_assert_null (items);
  g_assert_false (pixverse_secrets_from_environment ());
  assert_lookup (NULL);
}

static void
test_store_lookup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = NULL;

  setup ();

  assert_store ("  pk-one-2f9a\n");
  assert_lookup ("pk-one-2f9a");

  /* Stored stripped, under our schema and attribute, where the app's later
   * releases will look for it. */
  raw = secret_password_lookup_sync (&expected_schema, NULL, &error,
                                     "kind", "api-key", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (raw, ==, "pk-one-2f9a");
}

static void
test_store_replaces (void)
{
  g_autolist(GObject) items = NULL;
  SecretRetrievable *item;
  const char *path;
  g_autofree char *label = NULL;

  setup ();

  assert_store ("pk-first");
  assert_store ("pk-second");
  assert_lookup ("pk-second");

  items = search_items ();
  g_assert_cmpuint (g_list_length (items), ==, 1);

  item = items->data;
  label = secret_retrievable_get_label (item);
  g_assert_cmpstr (label, ==, "Pixverse API key");

  /* In the default collection, which with-keyring.sh made the login one. */
  g_assert_true (SECRET_IS_ITEM (item));
  path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (item));
  g_assert_true (g_str_has_prefix (path, "/org/freedesktop/secrets/collection/login/"));
}

static void
test_clear (void)
{
  g_autoptr(GError) error = NULL;
  g_autolist(GObject) items = NULL;

  setup ();

  assert_store ("pk-to-forget");
  g_assert_true (clear (NULL, &error));
  g_assert_no_error (error);
  assert_lookup (NULL);
  items = search_items ();
  g_assert_null (items);

  /* Nothing left to remove is no error. */
  g_assert_true (clear (NULL, &error));
  g_assert_no_error (error);
}

static void
test_store_empty (void)
{
  const char *empty_keys[] = { "", " ", "\t\n  \r\n" };

  setup ();

  assert_store ("pk-kept");

  for (guint i = 0; i < G_N_ELEMENTS (empty_keys); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (store (empty_keys[i], NULL, &error));
      g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
      g_assert_cmpstr (error->message, ==, "The API key is empty");
    }

  /* A refused key leaves the stored one alone. */
  assert_lookup ("pk-kept");
}

/*
 * The environment is given to a subprocess rather than changed here: setenv()
 * is unsafe once libsecret's D-Bus threads are running. The child learns which
 * part it plays from CHILD_CASE.
 */
#define CHILD_CASE "TEST_SECRETS_CHILD"
#define NO_BUS "unix:path=/nonexistent/pixverse-no-bus"

static void
run_child (const char *child_case,
           const char *api_key,
           gboolean    without_bus)
{
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *child_tmpdir = NULL;

  /* The child isolates its directories below ours; left to itself it would
   * use, and then delete, the very directory this test runs in. */
  child_tmpdir = g_build_filename (g_get_home_dir (), child_case, NULL);
  g_assert_no_errno (g_mkdir_with_parents (child_tmpdir, 0700));
  envp = g_environ_setenv (envp, "G_TEST_TMPDIR", child_tmpdir, TRUE);

  envp = g_environ_setenv (envp, CHILD_CASE, child_case, TRUE);
  if (api_key != NULL)
    envp = g_environ_setenv (envp, "PIXVERSE_API_KEY", api_key, TRUE);
  else
    envp = g_environ_unsetenv (envp, "PIXVERSE_API_KEY");
  /* Any D-Bus call fails on this bus, so a key found came without one. */
  if (without_bus)
    envp = g_environ_setenv (envp, "DBUS_SESSION_BUS_ADDRESS", NO_BUS, TRUE);

  g_test_trap_subprocess_with_envp (NULL, (const char * const *) envp, 0,
                                    G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_environment (void)
{
  if (g_test_subprocess ())
    {
      const char *child_case = g_getenv (CHILD_CASE);

      if (g_strcmp0 (child_case, "key") == 0)
        {
          g_autoptr(GCancellable) cancellable = g_cancellable_new ();
          g_autoptr(GError) error = NULL;
          g_autofree char *key = NULL;

          g_assert_true (pixverse_secrets_from_environment ());
          assert_lookup ("pk-from-env");

          /* The environment wins even over a key stored meanwhile; the store
           * still happens, for when the variable is gone. */
          assert_store ("pk-newer");
          assert_lookup ("pk-from-env");

          g_cancellable_cancel (cancellable);
          key = lookup (cancellable, &error);
          g_assert_null (key);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        }
      else if (g_strcmp0 (child_case, "blank") == 0)
        {
          g_assert_false (pixverse_secrets_from_environment ());
          assert_lookup ("pk-newer");
        }
      else
        g_assert_not_reached ();
      return;
    }

  setup ();
  assert_store ("pk-from-keyring");

  run_child ("key", " pk-from-env\n", FALSE);
  assert_lookup ("pk-newer");

  /* Blank is not set. */
  run_child ("blank", "  \n", FALSE);

  g_assert_false (pixverse_secrets_from_environment ());
}

static void
test_environment_without_bus (void)
{
  if (g_test_subprocess ())
    {
      const char *child_case = g_getenv (CHILD_CASE);
      g_autoptr(GError) error = NULL;
      g_autofree char *key = NULL;

      g_assert_cmpstr (g_getenv ("DBUS_SESSION_BUS_ADDRESS"), ==, NO_BUS);
      key = lookup (NULL, &error);
      if (g_strcmp0 (child_case, "key") == 0)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (key, ==, "pk-offline");
        }
      else if (g_strcmp0 (child_case, "control") == 0)
        {
          /* Without the variable the keyring is asked, and there is no bus
           * to ask it on: proof that the case above never tried. */
          g_assert_null (key);
          g_assert_nonnull (error);
        }
      else
        g_assert_not_reached ();
      return;
    }

  run_child ("key", "pk-offline", TRUE);
  run_child ("control", NULL, TRUE);
}

static void
test_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) lookup_error = NULL;
  g_autoptr(GError) store_error = NULL;
  g_autoptr(GError) clear_error = NULL;
  g_autofree char *key = NULL;

  setup ();

  assert_store ("pk-stays");
  g_cancellable_cancel (cancellable);

  key = lookup (cancellable, &lookup_error);
  g_assert_null (key);
  g_assert_error (lookup_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (pixverse_error_is_cancelled (lookup_error));

  g_assert_false (store ("pk-never", cancellable, &store_error));
  g_assert_error (store_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_assert_false (clear (cancellable, &clear_error));
  g_assert_error (clear_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Nothing was stored, nothing removed. */
  assert_lookup ("pk-stays");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  /* Not a skip: a keyring test that silently does not run tests nothing. And
   * never the developer's own session, whose stored key setup() removes.
   * Checked before g_test_init(), whose temporary directory would stay. */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL ||
      g_getenv (KEYRING_MARKER) == NULL)
    {
      g_printerr ("test-secrets needs a private gnome-keyring: "
                  "run it as tests/with-keyring.sh %s\n", argv[0]);
      return 1;
    }

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* A key from the developer's shell would hide the keyring; children get
   * theirs from run_child(). Now, before any thread exists. */
  if (!g_test_subprocess ())
    g_unsetenv ("PIXVERSE_API_KEY");

  g_test_add_func ("/secrets/lookup/nothing-stored", test_lookup_nothing_stored);
  g_test_add_func ("/secrets/store/lookup", test_store_lookup);
  g_test_add_func ("/secrets/store/replaces", test_store_replaces);
  g_test_add_func ("/secrets/store/empty", test_store_empty);
  g_test_add_func ("/secrets/clear", test_clear);
  g_test_add_func ("/secrets/environment/override", test_environment);
  g_test_add_func ("/secrets/environment/no-bus", test_environment_without_bus);
  g_test_add_func ("/secrets/cancelled", test_cancelled);

  ret = g_test_run ();

  secret_service_disconnect ();

  return ret;
}
