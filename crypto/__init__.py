"""Reporter-identity vault: keyring, envelope encryption, blind index, human codes, receipts.

A pure library: no HTTP, no database, nothing from the rest of the project.
"""

from crypto.blind_index import blind_index, blind_indexes, normalise_phone
from crypto.codes import (
    new_one_time_password,
    new_pseudonym,
    new_receipt_code,
    new_reference,
    normalise_receipt_code,
    normalise_reference,
)
from crypto.derivation import derived_key
from crypto.envelope import (
    key_id_of,
    open_sealed,
    open_text,
    reseal,
    seal,
    seal_text,
    sealed_prefix,
)
from crypto.errors import (
    CryptoError,
    DecryptionError,
    InvalidPhoneNumber,
    KeyringError,
    UnknownKeyError,
)
from crypto.keyring import (
    Key,
    Keyring,
    Purpose,
    complete_keyring_file,
    load_keyring,
    load_or_create_keyring,
    save_keyring,
)
from crypto.provider_ids import provider_id_hash, provider_id_hashes, provider_reference
from crypto.receipts import (
    configure_for_production,
    configure_for_tests,
    hash_receipt_code,
    receipt_hash_needs_update,
    verify_receipt_code,
)

__all__ = [
    "CryptoError",
    "DecryptionError",
    "InvalidPhoneNumber",
    "Key",
    "Keyring",
    "KeyringError",
    "Purpose",
    "UnknownKeyError",
    "blind_index",
    "blind_indexes",
    "complete_keyring_file",
    "configure_for_production",
    "configure_for_tests",
    "derived_key",
    "hash_receipt_code",
    "key_id_of",
    "load_keyring",
    "load_or_create_keyring",
    "new_one_time_password",
    "new_pseudonym",
    "new_receipt_code",
    "new_reference",
    "normalise_phone",
    "normalise_receipt_code",
    "normalise_reference",
    "open_sealed",
    "open_text",
    "provider_id_hash",
    "provider_id_hashes",
    "provider_reference",
    "receipt_hash_needs_update",
    "reseal",
    "save_keyring",
    "seal",
    "seal_text",
    "sealed_prefix",
    "verify_receipt_code",
]
