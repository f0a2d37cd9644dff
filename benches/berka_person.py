"""Berka clients as persons: sex from birth_number (month + 50 for women), the account each
client owns (disp type OWNER) hanging from its owner, loans from accounts; `good` = status A/C.

Usage: python3 benches/berka_person.py ../shared/data/relational/berka OUT_DIR
(then fit OUT_DIR with benches/berka_person.yaml). Prints the real parity of `good` by sex."""
import csv, sys
src, out = sys.argv[1], sys.argv[2]
rd = lambda f: list(csv.DictReader(open(f"{src}/{f}.csv")))
clients = rd("client"); disp = rd("disp"); accounts = rd("account"); loans = rd("loan")
owner = {d["account_id"]: d["client_id"] for d in disp if d["type"] == "OWNER"}
with open(f"{out}/client.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["client_id", "sex", "birth_year"])
    for c in clients:
        b = c["birth_number"]; month = int(b[2:4])
        w.writerow([c["client_id"], "F" if month > 50 else "M", 1900 + int(b[:2])])
with open(f"{out}/account.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["account_id", "client_id", "frequency", "date"])
    for a in accounts:
        w.writerow([a["account_id"], owner[a["account_id"]], a["frequency"], a["date"]])
with open(f"{out}/loan.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["loan_id", "account_id", "date", "amount", "duration", "payments", "good"])
    for l in loans:
        w.writerow([l["loan_id"], l["account_id"], l["date"], l["amount"], l["duration"], l["payments"], "yes" if l["status"] in "AC" else "no"])
# The real parity at the person.
sex = {}
for c in clients:
    sex[c["client_id"]] = "F" if int(c["birth_number"][2:4]) > 50 else "M"
n = {"F": [0, 0], "M": [0, 0]}
for l in loans:
    s = sex[owner[l["account_id"]]]; n[s][0] += 1; n[s][1] += l["status"] in "AC"
r = {s: k / t for s, (t, k) in n.items()}
print(f"loans {sum(t for t, _ in n.values())}: good F {r['F']:.4f} ({n['F'][0]}), M {r['M']:.4f} ({n['M'][0]}), SPD(F-M) {r['F']-r['M']:+.4f}, DI {min(r.values())/max(r.values()):.4f}")
