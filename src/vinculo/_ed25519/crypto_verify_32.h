/* Included by the vendored ed25519_ref10.c, which uses nothing from it. */
