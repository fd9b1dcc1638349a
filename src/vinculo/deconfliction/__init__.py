"""Deconfliction: find records two agencies share without showing each other the rest.

* ``selectors``: canonical keys (``Selector``) from record bodies; ``selectors_for`` is the entry
  point, the ``normalise_*`` modules hold the rules per kind of value.
* ``psi``: ECDH private set intersection over ristretto255 (``PsiClient``/``PsiServer`` one-way,
  ``PsiPeer`` mutual) as pure message-passing objects; ``psi_messages`` is the wire format,
  ``group`` the batched libsodium calls.
"""
