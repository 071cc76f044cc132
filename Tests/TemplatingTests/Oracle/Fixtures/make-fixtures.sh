#!/usr/bin/env bash
# Makes the fixtures of the ESO-only template functions (PKCS #12, PEM chains, JWK, RSA-OAEP)
# with OpenSSL 3, and the JWK files from the same keys with Python's `cryptography`.
# The keys are throwaway test keys. Usage, from this directory: ./make-fixtures.sh
# (regenerating makes new keys: the tests read their expectations from the files made here).
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C

days=36500
ext=$(mktemp)
trap 'rm -f "$ext"' EXIT

# A three-level chain: RSA root, P-384 intermediate, P-256 leaf with every kind of SAN.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out root-ca.key 2>/dev/null
openssl req -x509 -new -key root-ca.key -subj "/CN=Templating Test Root CA" -days $days -sha256 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out root-ca.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out intermediate-ca.key
printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign" \
  "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$ext"
openssl req -new -key intermediate-ca.key -subj "/CN=Templating Test Intermediate CA" |
  openssl x509 -req -CA root-ca.crt -CAkey root-ca.key -set_serial 2 -days $days -sha256 -extfile "$ext" \
    -out intermediate-ca.crt 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" \
  "subjectAltName=DNS:leaf.example.com,DNS:www.leaf.example.com,IP:192.0.2.10,IP:2001:db8::1,email:ops@leaf.example.com,URI:spiffe://cluster.local/ns/default/sa/leaf" \
  > "$ext"
openssl req -new -key leaf.key -subj "/CN=leaf.example.com" |
  openssl x509 -req -CA intermediate-ca.crt -CAkey intermediate-ca.key -set_serial 3 -days $days -sha256 \
    -extfile "$ext" -out leaf.crt 2>/dev/null
# An unrelated self-signed certificate without key identifiers.
openssl genpkey -algorithm ED25519 -out other.key
openssl req -x509 -new -key other.key -subj "/CN=other" -days $days -addext "subjectKeyIdentifier=none" -addext "authorityKeyIdentifier=none" \
  -out other.crt

cat leaf.crt intermediate-ca.crt root-ca.crt > chain.pem
{ echo "junk before the first block"; cat intermediate-ca.crt root-ca.crt leaf.crt; } > chain-shuffled.pem
cat leaf.crt intermediate-ca.crt other.crt > disjunct.pem
{ cat leaf.key; echo "comment between blocks"; cat leaf.crt intermediate-ca.crt; } > mixed.pem

# PKCS #12: OpenSSL 3's defaults (PBES2, PBKDF2-HMAC-SHA-256, AES-256-CBC, HMAC-SHA-256 MAC),
# with and without a password; without any encryption or MAC; and the legacy 3DES/RC2 form.
cat intermediate-ca.crt root-ca.crt > "$ext"
openssl pkcs12 -export -inkey leaf.key -in leaf.crt -certfile "$ext" -passout pass: -out leaf-nopass.p12
openssl pkcs12 -export -inkey leaf.key -in leaf.crt -certfile "$ext" -passout pass:s3cr3t -out leaf-pass.p12
openssl pkcs12 -export -inkey root-ca.key -in root-ca.crt -passout pass:s3cr3t -certpbe AES-128-CBC \
  -keypbe AES-192-CBC -macalg sha1 -out root-aes128.p12
openssl pkcs12 -export -inkey leaf.key -in leaf.crt -keypbe NONE -certpbe NONE -nomac -passout pass: \
  -out leaf-plain.p12
openssl pkcs12 -export -inkey leaf.key -in leaf.crt -legacy -passout pass:s3cr3t -out leaf-legacy.p12

# What ESO returns for them: the key as PKCS #8, the chain leaf first.
openssl pkey -in leaf.key -out leaf.pkcs8.pem
openssl pkey -in root-ca.key -out root-ca.pkcs8.pem

# RSA-OAEP ciphertexts for rsaDecrypt (label empty, MGF1 with the same hash).
printf 'top secret from openssl' > oaep-plaintext.txt
for md in sha1 sha256 sha512; do
  openssl pkeyutl -encrypt -pubin -inkey <(openssl pkey -in root-ca.key -pubout) -in oaep-plaintext.txt \
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:$md -pkeyopt rsa_mgf1_md:$md -out "oaep-$md.bin"
done

# JWKs of the root (RSA), leaf (P-256) and other (Ed25519) keys, and their PEM forms.
python3 - <<'PY'
import base64, json
from cryptography.hazmat.primitives import serialization
def b64(n, size=None):
    raw = n if isinstance(n, bytes) else n.to_bytes(size or (n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
def load(name):
    return serialization.load_pem_private_key(open(name, "rb").read(), password=None)
rsa = load("root-ca.key").private_numbers()
pub = {"kty": "RSA", "kid": "root", "use": "enc", "n": b64(rsa.public_numbers.n), "e": b64(rsa.public_numbers.e)}
priv = dict(pub, d=b64(rsa.d), p=b64(rsa.p), q=b64(rsa.q), dp=b64(rsa.dmp1), dq=b64(rsa.dmq1), qi=b64(rsa.iqmp))
ec = load("leaf.key").private_numbers()
ecpub = {"kty": "EC", "crv": "P-256", "x": b64(ec.public_numbers.x, 32), "y": b64(ec.public_numbers.y, 32)}
ecpriv = dict(ecpub, d=b64(ec.private_value, 32))
ed = load("other.key")
raw = lambda k: k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
edpub = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw(ed.public_key()))}
edpriv = dict(edpub, d=b64(ed.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())))
for name, jwk in [("jwk-rsa-public", pub), ("jwk-rsa-private", priv), ("jwk-ec-public", ecpub),
                  ("jwk-ec-private", ecpriv), ("jwk-ed25519-public", edpub), ("jwk-ed25519-private", edpriv)]:
    open(name + ".json", "w").write(json.dumps(jwk, indent=2) + "\n")
PY
openssl pkey -in root-ca.key -pubout -out root-ca.pub.pem
openssl pkey -in leaf.key -pubout -out leaf.pub.pem
openssl pkey -in other.key -out other.pkcs8.pem
openssl pkey -in other.key -pubout -out other.pub.pem
