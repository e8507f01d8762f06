#!/usr/bin/env python3
"""Independent check of the known-answer vectors in docs/PROTOCOL.md part II.

Recomputes every vector from its fixed inputs with Python's hashlib (BLAKE2b with
key, salt and personalisation) and, when PyNaCl is installed (Debian: python3-nacl),
X25519, Ed25519, XChaCha20-Poly1305-IETF, sodium_pad and Argon2id. Without PyNaCl
the BLAKE2b-only parts still run, taking the public keys from the document.

Not part of the build or of CTest: the C++ suite (client/tests/known_answer_test.cpp)
checks the same values; this script shows that a second implementation agrees.
Run: python3 client/tests/client_crypto_vectors.py
"""
import hashlib
import struct
import pathlib
import re
import sys

try:
    import nacl.bindings as sodium
except ImportError:  # the BLAKE2b parts need only the standard library
    sodium = None

EXPECTED = {
    "kdf_sas": "86e9142acfff491c5b2703344c051c1e4e4c3cc772a2794a1b14945422912d6a",
    "kdf_msg": "695e98c1c29fb7c1ad00d608429b0f5a627c3b1445aa2008b00d4a071f093402",
    "header": "0a1011111111111111111111111111111111121022222222222222222222222222222222"
              "18072001280132103333333333333333333333333333333338800242204444444444444444"
              "4444444444444444444444444444444444444444444444444801",
    "message_key": "ae024e148a1e61da6e3b320761a6fd8f037ae9a99201606ce5e65b8070f91984",
    "ciphertext_sha": None,  # filled below from the full hex
    "envelope_hash": "9b3fb2ea04f6418af6fd1e355a2c4a02300e38b04eb54f9d590b5a239f5e4c58",
    "ik_a": "7776e870b93354f2a0b24c23f2a36cc4e80e223218c1b97926fdd018396a2b9b",
    "ik_b": "8bb04e1c1b83dddf311f5bcddf7c50ede3c0802f47ec796e2a131cf41298d9f3",
    "commitment": "2053ab0b8bce7576958a24b93fd4b9f8f3b735a178fb02b68b0666523cb23154",
    "epk_a": "392d174a38b3b1beafaf1fe824870841c5fa531bc6eafdb6402c124664488c1c",
    "epk_b": "23b7bb8c91ae008711fb12846780bcdf1e065f821bdfec49f57e7c7dcd4c4823",
    "T": "f99ba02eebe259b82bda6926c6dd539931e80e147a1781ffc007b305ab6188e0",
    "S": "006c14a7f1faeb7d6a36a8bfa03008a8e09a98639dea63b71b325b11fe38cb0f",
    "K": "17c8e2b22fb145292812f58af19bf983d50f24ebfefc114959a4c3185f77c43b",
    "sas_key": "0ff85ccfad44da307ed1f87b8141e9e8e658797c1d0f4c73c80dd325ab32446d",
    "sas_words": "balcony yacht granola sled pollen",
    "sas_digits": "41485 87409 57993",
    "confirmation_key": "3bbb1d3e885bc3fb7067bf3f58ea50798859e062f5d34769e736a82118d214a7",
    "pair_root_key": "009e0976210d7a2c8d1c1cbbe1941ccc0d186a531e80509e7a634446ba26ea7d",
    "in_person_K": "bb24d59dda2237aaba92823e1d08a3d4e96e499dcd9ea6bd817d9ef2869f8299",
    "in_person_confirmation_key": "84eed3556a575c80ef323b88f07665d37c75cd8d18f5e7d38c93fc49b6498034",
    "in_person_pair_root_key": "999cdc274dfdca0e8fb2e583b73444c59955204ca5833f44b5190290bd4af20b",
    "safety_number": "03806 15321 88038 51182 78633 17941 00790 30709 08099 89142 75930 54871",
    "keystore_file_key": "a095319922c92fa03742f7021875ef59872bbf0832d5cc9fa63d0a65c3acc09e",
    "keystore_check": "18209e5f13bb367252dbd7f205abd957",
    "recovery_checksum": "c7cb",
    "recovery_words": "abacus acrobat admiral airship alcove almond alpaca anvil apron arcade "
                      "armada attic avocado axle baker balcony sausage sesame",
    "recovery_salt": "093db984ea0401282186fcf193a78011",
    "backup_id": "182352aeb6a27cad2c7d25d2fd1d9f4a693df8982f1b2f818446b97c40f9a6c1",
    "backup_wrapping_key": "3bf748671580f85162dfffb02116a1b61be19b59bb13746b7e544796381f6576",
    "backup_blob": "01404142434445464748494a4b4c4d4e4f505152535455565778187b0125b547"
                   "e94e1eeb5217450508f068fddad58283ebd3e5553badd5eabb46ad1009ac75b9"
                   "ab221910bc6a1718153923696e541276faf4e3582fc86f538e86eb965e5ac9a1"
                   "b99b7c465670a032e3c01de04639d25f1cd7ca3cdb44110227485149447726a9"
                   "6ff9134795fe782cdcfe539b2685bfac41e6f60b6a6ddc0bfa",
}
CIPHERTEXT = (
    "000102030405060708090a0b0c0d0e0f1011121314151617e2b55a201ee4d24449f285e339337e7f"
    "c12da810e5b2fb8d7f876e886a43e505b7690ea9494a258834d1ed5c2ee6b9a5374f70dc66e8d144"
    "1182dd730dc7953582c8fbb56f2a025f6cc59b65b58d388a8d4fd1cb221d581863690a4d388511e1"
    "8433f9af90ded15b13d84552b333838cff01db03848ecadf929c5095ba3a330e4e33d4eed4ed7d6f"
    "8c18271ab406fd2f46dcd2895fb9a7c984672ea46427cc550968cea7ba5a7a544fdc0eb42dd0229c"
    "fd9679bcd25e7fe6d4c1f15d8529a0e331d07b34217de7983d39aa2f45bf2e266cfcf2593e5f6e56"
    "1f36af95fa438370d121f56b9910177353e192cc499581135d975029c71f1884797ea9d762d7b5a3"
    "45a5618ff71073b320266a9867909c11"
)

failures = 0


def check(name, got):
    global failures
    want = EXPECTED[name] if name in EXPECTED else None
    ok = got == want
    failures += not ok
    print(("ok      " if ok else "MISMATCH"), name, "" if ok else f"\n  got  {got}\n  want {want}")


def seq(first, n):
    return bytes((first + i) % 256 for i in range(n))


def kdf(key, subkey_id, context, length=32):
    """crypto_kdf_derive_from_key, as BLAKE2b with salt and personalisation."""
    return hashlib.blake2b(b"", digest_size=length, key=key,
                           salt=subkey_id.to_bytes(8, "little") + bytes(8),
                           person=context + bytes(8)).digest()


def b2b(data, length=32, key=b""):
    return hashlib.blake2b(data, digest_size=length, key=key).digest()


def lv(field):
    return len(field).to_bytes(4, "little") + field


def digit_groups(data, groups):
    return " ".join("%05d" % (int.from_bytes(data[5 * g:5 * g + 5], "big") % 100000)
                    for g in range(groups))


words_cpp = pathlib.Path(__file__).resolve().parents[1] / "src" / "sas_words.cpp"
WORDS = re.findall(r'"([a-z]+)"', words_cpp.read_text())
assert len(WORDS) == 256, len(WORDS)

# --- KDF
check("kdf_sas", kdf(seq(0, 32), 1, b"mendSAS_").hex())
check("kdf_msg", kdf(seq(0, 32), 7, b"mendmsg_").hex())

# --- Envelope: the header is protobuf, encoded here by hand.
def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out

header = (b"\x0a" + varint(16) + b"\x11" * 16 + b"\x12" + varint(16) + b"\x22" * 16 +
          b"\x18" + varint(7) + b"\x20" + varint(1) + b"\x28" + varint(1) +
          b"\x32" + varint(16) + b"\x33" * 16 + b"\x38" + varint(256) +
          b"\x42" + varint(32) + b"\x44" * 32 + b"\x48" + varint(1))
check("header", header.hex())
epoch_key = seq(0x80, 32)
mk = kdf(epoch_key, 7, b"mendmsg_")
check("message_key", mk.hex())
ciphertext = bytes.fromhex(CIPHERTEXT)
if sodium:
    nonce = seq(0, 24)
    padded = sodium.sodium_pad(b"hello, partner", 256)
    assert len(padded) == 256
    ct = nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, header, nonce, mk)
    EXPECTED["ciphertext"] = CIPHERTEXT
    check("ciphertext", ct.hex())
check("envelope_hash", b2b(header + ciphertext).hex())

# --- Pairing
code = b"7-amber-lantern"
esk_a, esk_b, n_a, n_b = seq(0x50, 32), seq(0x70, 32), seq(0x90, 32), seq(0xB0, 32)
if sodium:
    ik_a = sodium.crypto_sign_seed_keypair(seq(0x10, 32))[0]
    ik_b = sodium.crypto_sign_seed_keypair(seq(0x30, 32))[0]
    epk_a = sodium.crypto_scalarmult_base(esk_a)
    epk_b = sodium.crypto_scalarmult_base(esk_b)
    for name, v in (("ik_a", ik_a), ("ik_b", ik_b), ("epk_a", epk_a), ("epk_b", epk_b)):
        check(name, v.hex())
else:
    ik_a, ik_b, epk_a, epk_b = (bytes.fromhex(EXPECTED[k]) for k in ("ik_a", "ik_b", "epk_a", "epk_b"))
C = b2b(b"mend-pair-commit" + epk_b + n_b + ik_b)
check("commitment", C.hex())
transcript = b"".join(lv(f) for f in (b"mend-pair-transcript-v1", code, C,
                                      epk_a, n_a, ik_a, epk_b, n_b, ik_b))
T = b2b(transcript)
check("T", T.hex())
if sodium:
    S = sodium.crypto_scalarmult(esk_a, epk_b)
    assert S == sodium.crypto_scalarmult(esk_b, epk_a)
    check("S", S.hex())
else:
    S = bytes.fromhex(EXPECTED["S"])
K = b2b(T, key=S)
check("K", K.hex())
sas = kdf(K, 1, b"mendSAS_")
check("sas_key", sas.hex())
check("sas_words", " ".join(WORDS[b] for b in sas[:5]))
check("sas_digits", digit_groups(sas, 3))
check("confirmation_key", kdf(K, 2, b"mendconf").hex())
check("pair_root_key", kdf(K, 3, b"mendroot").hex())
# In person: the link's secret P = seq(60, 32) joins T.
K_in_person = b2b(T + seq(0x60, 32), key=S)
check("in_person_K", K_in_person.hex())
check("in_person_confirmation_key", kdf(K_in_person, 2, b"mendconf").hex())
check("in_person_pair_root_key", kdf(K_in_person, 3, b"mendroot").hex())

# --- Couple safety number
lo, hi = sorted((ik_a, ik_b))
h = b2b(b"mend-safety-number-v1" + lo + hi, 64)
for _ in range(2, 5201):
    h = b2b(h + lo + hi, 64)
check("safety_number", digit_groups(h, 12))

# --- Keystore passphrase keys (Argon2id v1.3, INTERACTIVE: 2 passes, 64 MiB)
if sodium:
    master = sodium.crypto_pwhash_alg(32, b"correct horse battery staple", seq(0, 16), 2,
                                      67108864, sodium.crypto_pwhash_ALG_ARGON2ID13)
    check("keystore_file_key", kdf(master, 1, b"mendkeys").hex())
    check("keystore_check", kdf(master, 2, b"mendkeys", 16).hex())

# --- Recovery code and key backup (Argon2id v1.3, MODERATE: 3 passes, 256 MiB)
entropy = seq(0, 16)
checksum = b2b(entropy)[:2]
check("recovery_checksum", checksum.hex())
check("recovery_words", " ".join(WORDS[b] for b in entropy + checksum))
salt = b2b(b"mend recovery v1", 16, key=entropy)
check("recovery_salt", salt.hex())


def argon2id_moderate(password, salt16):
    if sodium:
        return sodium.crypto_pwhash_alg(32, password, salt16, 3, 268435456,
                                        sodium.crypto_pwhash_ALG_ARGON2ID13)
    try:  # OpenSSL's Argon2id through the `cryptography` package (>= 44)
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
        return Argon2id(salt=salt16, length=32, iterations=3, lanes=1,
                        memory_cost=262144).derive(password)
    except ImportError:
        return None


def hchacha20(key, nonce16):
    def rotl(v, c):
        return ((v << c) & 0xffffffff) | (v >> (32 - c))

    def qr(s, a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        qr(s, 0, 4, 8, 12); qr(s, 1, 5, 9, 13); qr(s, 2, 6, 10, 14); qr(s, 3, 7, 11, 15)
        qr(s, 0, 5, 10, 15); qr(s, 1, 6, 11, 12); qr(s, 2, 7, 8, 13); qr(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


M = argon2id_moderate(entropy, salt)
if M is not None:
    backup_id = kdf(M, 1, b"mendbkup")
    wrapping_key = kdf(M, 2, b"mendbkup")
    check("backup_id", backup_id.hex())
    check("backup_wrapping_key", wrapping_key.hex())
    contents = (b"\x08\x01" + b"\x12\x10" + b"\x11" * 16 + b"\x1a\x10" + b"\x22" * 16 +
                b"\x32\x20" + seq(0x80, 32) + b"\x3a\x24\x08\x01\x12\x20" + seq(0xa0, 32) +
                b"\x40\x01")
    nonce = seq(0x40, 24)
    try:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        sealed = ChaCha20Poly1305(hchacha20(wrapping_key, nonce[:16])).encrypt(
            b"\0" * 4 + nonce[16:], contents, b"mend backup v1" + backup_id)
        check("backup_blob", (b"\x01" + nonce + sealed).hex())
    except ImportError:
        print("note: `cryptography` not installed; backup blob skipped")
else:
    print("note: no Argon2id (PyNaCl or cryptography); backup keys skipped")

if not sodium:
    print("note: PyNaCl not installed; X25519, Ed25519, XChaCha20 and Argon2id parts skipped")
print("all vectors match" if failures == 0 else f"{failures} MISMATCH(ES)")
sys.exit(1 if failures else 0)
