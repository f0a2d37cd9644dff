"""Parity of loans by the owner's sex in a sampled berka_person folder: python benches/berka_person_spd.py DIR."""
import sys, pyarrow.parquet as pq
d = sys.argv[1]
c = pq.read_table(f"{d}/client.parquet").to_pandas(); a = pq.read_table(f"{d}/account.parquet").to_pandas(); l = pq.read_table(f"{d}/loan.parquet").to_pandas()
x = l.merge(a[["account_id", "client_id"]], on="account_id").merge(c[["client_id", "sex"]], on="client_id")
r = x.groupby("sex")["good"].apply(lambda s: (s == "yes").mean()); n = x.groupby("sex").size()
print(f"{d}: loans {len(x)}; good F {r['F']:.4f} ({n['F']}), M {r['M']:.4f} ({n['M']}), SPD(F-M) {r['F']-r['M']:+.4f}, DI {r.min()/r.max():.4f}")
