/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-secrets"

#include "config.h"

#include "pixverse-secrets.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "pixverse-error.h"

/*
 * The API key lives in the person's keyring, as one item of our own schema.
 * PIXVERSE_API_KEY overrides it, for the command line, tests and offline runs;
 * then the keyring is never asked, so a machine without one still works.
 *
 * The key is a credential: it never appears in a log or an error message, and
 * the copies that pass through here are wiped before they are freed.
 */

#define ENVIRONMENT_VARIABLE "PIXVERSE_API_KEY"
#define KIND_ATTRIBUTE "kind"
#define KIND_API_KEY "api-key"

/* The schema name and attribute find the item again after an upgrade: never
 * change them, or every stored key is lost. */
static const SecretSchema secrets_schema = {
  .name = APP_ID,
  .flags = SECRET_SCHEMA_NONE,
  .attributes = {
    { KIND_ATTRIBUTE, SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static gboolean
is_blank (const char *key)
{
  if (key == NULL)
    return TRUE;

  for (; *key != '\0'; key++)
    {
      if (!g_ascii_isspace (*key))
        return FALSE;
    }

  return TRUE;
}

/* A key pasted from a web page often brings a newline or spaces along, which
 * the service would refuse; NULL when nothing is left. */
static char *
dup_stripped_key (const char *key)
{
  if (is_blank (key))
    return NULL;

  return g_strstrip (g_strdup (key));
}

static void
wipe_key (gpointer key)
{
  if (key == NULL)
    return;

  secret_password_wipe (key);
  g_free (key);
}

/* libsecret's messages never hold the secret; ours say what we were doing. */
static void
return_keyring_error (GTask      *task,
                      GError     *error,
                      const char *doing)
{
  g_assert (G_IS_TASK (task));
  g_assert (error != NULL);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (&error, "%s: ", doing);

  g_task_return_error (task, error);
}

/**
 * pixverse_secrets_from_environment:
 *
 * Whether `PIXVERSE_API_KEY` holds a key. When it does, lookups return it and
 * never ask the keyring, so a key stored meanwhile has no effect.
 *
 * Returns: %TRUE if the key comes from the environment
 */
gboolean
pixverse_secrets_from_environment (void)
{
  return !is_blank (g_getenv (ENVIRONMENT_VARIABLE));
}

static void
lookup_cb (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *stored;
  char *key;

  g_assert (G_IS_TASK (task));

  stored = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      return_keyring_error (task, g_steal_pointer (&error),
                            _("Could not read the API key from the keyring"));
      return;
    }

  /* No item (or an empty one) is "no key yet", not an error. */
  key = dup_stripped_key (stored);
  secret_password_free (stored);
  g_task_return_pointer (task, key, wipe_key);
}

/**
 * pixverse_secrets_lookup_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the key
 * @user_data: data for @callback
 *
 * Looks the API key up: `PIXVERSE_API_KEY` when set, without asking the
 * keyring, else the item stored by pixverse_secrets_store_async(). Surrounding
 * whitespace is removed. @callback always runs in a later main context
 * iteration, never from within this call.
 */
void
pixverse_secrets_lookup_async (GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  char *env_key;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_secrets_lookup_async);

  env_key = dup_stripped_key (g_getenv (ENVIRONMENT_VARIABLE));
  if (env_key != NULL)
    {
      g_task_return_pointer (task, env_key, wipe_key);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  secret_password_lookup (&secrets_schema, cancellable,
                          lookup_cb, g_steal_pointer (&task),
                          KIND_ATTRIBUTE, KIND_API_KEY,
                          NULL);
}

/**
 * pixverse_secrets_lookup_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: the place for an error from the keyring
 *
 * A missing key is no error: the result is %NULL and @error is left unset.
 * Errors come in the keyring's domains (%G_IO_ERROR, %G_DBUS_ERROR,
 * %SECRET_ERROR), cancellation as %G_IO_ERROR_CANCELLED.
 *
 * Returns: (transfer full) (nullable): the key, to be freed with g_free()
 *   (after secret_password_wipe() if it is no longer needed), or %NULL if
 *   there is none or on error
 */
char *
pixverse_secrets_lookup_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pixverse_secrets_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (G_IS_TASK (task));

  if (!secret_password_store_finish (result, &error))
    {
      return_keyring_error (task, g_steal_pointer (&error),
                            _("Could not save the API key in the keyring"));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * pixverse_secrets_store_async:
 * @api_key: the API key
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the key is stored
 * @user_data: data for @callback
 *
 * Stores @api_key, without its surrounding whitespace, in the default
 * collection of the keyring, replacing the key stored before. A key that is
 * empty or only whitespace is refused with %PIXVERSE_ERROR_INVALID_REQUEST.
 *
 * While pixverse_secrets_from_environment() is %TRUE the key is still stored,
 * but lookups keep returning the one from the environment.
 */
void
pixverse_secrets_store_async (const char          *api_key,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  char *key;

  g_return_if_fail (api_key != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_secrets_store_async);

  key = dup_stripped_key (api_key);
  if (key == NULL)
    {
      g_task_return_new_error_literal (task, PIXVERSE_ERROR,
                                       PIXVERSE_ERROR_INVALID_REQUEST,
                                       _("The API key is empty"));
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    {
      wipe_key (key);
      return;
    }

  /* libsecret copies the key into its own SecretValue at once. */
  secret_password_store (&secrets_schema, SECRET_COLLECTION_DEFAULT,
                         _("Pixverse API key"), key, cancellable,
                         store_cb, g_steal_pointer (&task),
                         KIND_ATTRIBUTE, KIND_API_KEY,
                         NULL);
  wipe_key (key);
}

/**
 * pixverse_secrets_store_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: the place for an error
 *
 * Returns: %TRUE if the key is stored
 */
gboolean
pixverse_secrets_store_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pixverse_secrets_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
clear_cb (GObject      *source_object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (G_IS_TASK (task));

  /* FALSE without an error only says there was nothing to remove. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      return_keyring_error (task, g_steal_pointer (&error),
                            _("Could not remove the API key from the keyring"));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * pixverse_secrets_clear_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the key is removed
 * @user_data: data for @callback
 *
 * Removes the stored key from the keyring. Having none is no error. A key in
 * `PIXVERSE_API_KEY` is not touched.
 */
void
pixverse_secrets_clear_async (GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_secrets_clear_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  secret_password_clear (&secrets_schema, cancellable,
                         clear_cb, g_steal_pointer (&task),
                         KIND_ATTRIBUTE, KIND_API_KEY,
                         NULL);
}

/**
 * pixverse_secrets_clear_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: the place for an error
 *
 * Returns: %TRUE if no key is stored any more
 */
gboolean
pixverse_secrets_clear_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        pixverse_secrets_clear_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
