/** Environment variables witchery reads besides the action's inputs, for the CLI and the action. */

/** Where the command line (and a workflow's `env:`) gives `repository-auth` lines. */
export const REPOSITORY_AUTH_VARIABLE = 'WITCHERY_REPOSITORY_AUTH'

/** Where Alpine's keys are fetched from instead of alpinelinux.org (the pins still apply). */
export const ALPINE_KEYS_URL_VARIABLE = 'WITCHERY_ALPINE_KEYS_URL'
