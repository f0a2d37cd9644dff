# Makes the seed corpus of the key_material fuzz target (fuzz/corpus/key_material/): PKMT1 key
# material wrapped with the target's master keys (k1: 16 bytes of 1, k2: 32 bytes of 2), data key
# 0..15, fixed nonces. Needs the `cryptography` package. Synthetic; no third-party data.
import base64, os, json
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import pathlib
d=str(pathlib.Path(__file__).resolve().parents[1] / 'corpus' / 'key_material') + '/'
def wrap(key, mk, mkid):
    n=bytes(range(12)); return base64.b64encode(n+AESGCM(mk).encrypt(n,key,mkid.encode())).decode()
dek=bytes(range(16))
single={"keyMaterialType":"PKMT1","internalStorage":True,"isFooterKey":False,"masterKeyID":"k1","wrappedDEK":wrap(dek,bytes([1]*16),"k1"),"doubleWrapping":False}
footer=dict(single,isFooterKey=True,kmsInstanceID="DEFAULT",kmsInstanceURL="DEFAULT",masterKeyID="k2",wrappedDEK=wrap(dek,bytes([2]*32),"k2"))
kek=bytes(range(32,48)); kekid=base64.b64encode(bytes(range(60,76))).decode()
n=bytes(range(12))
double={"keyMaterialType":"PKMT1","internalStorage":True,"isFooterKey":False,"masterKeyID":"k1","doubleWrapping":True,"keyEncryptionKeyID":kekid,"wrappedKEK":wrap(kek,bytes([1]*16),"k1"),"wrappedDEK":base64.b64encode(n+AESGCM(kek).encrypt(n,dek,base64.b64decode(kekid))).decode()}
strings={k:(str(v).lower() if isinstance(v,bool) else v) for k,v in single.items()}
wrong=dict(single,masterKeyID="k2")
short=dict(single,masterKeyID="short")
missing=dict(single,masterKeyID="nobody")
external={"keyMaterialType":"PKMT1","internalStorage":False,"keyReference":"ref"}
for name,obj in [("single",single),("footer",footer),("double",double),("string_booleans",strings),("wrong_master_key",wrong),("short_master_key",short),("missing_master_key",missing),("external_storage",external)]:
    open(d+name+".json","w").write(json.dumps(obj))
open(d+"truncated.json","w").write(json.dumps(single)[:50])
open(d+"not_json.bin","wb").write(b"kf\xff\x00")
