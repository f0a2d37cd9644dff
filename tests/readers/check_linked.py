#!/usr/bin/env python3
"""Checks a folder written by `fairsynth synth --schema schemas/shop.yaml` with independent readers.

Usage: check_linked.py FOLDER
pyarrow, polars and DuckDB read every table; each file's Arrow schema metadata carries its
provenance (table, primary key, foreign keys); DuckDB checks that every foreign key resolves,
that a query joining every table returns the counts the schema implies, and that the schema's
rules hold on every row. Exits non-zero with a message on the first failure. Run by .ci/run.
"""
import json
import os
import sys

import duckdb
import polars as pl
import pyarrow.parquet as pq

folder = sys.argv[1]
TABLES = ["customers", "products", "orders", "order_lines", "campaigns", "campaign_products", "contacts"]


def fail(msg):
    print(f"check_linked: {msg}", file=sys.stderr)
    sys.exit(1)


prov = {}
for t in TABLES:
    path = os.path.join(folder, f"{t}.parquet")
    meta = pq.read_table(path).schema.metadata or {}
    if b"fairsynth" not in meta:
        fail(f"{t}: no fairsynth provenance in the Arrow schema metadata")
    p = json.loads(meta[b"fairsynth"])
    if p.get("table") != t:
        fail(f"{t}: provenance names table {p.get('table')!r}")
    prov[t] = p
    if pl.read_parquet(path).height != pq.read_metadata(path).num_rows:
        fail(f"{t}: polars and pyarrow disagree on the row count")

con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
for t in TABLES:
    con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{os.path.join(folder, t + '.parquet')}')")


def one(sql):
    return con.execute(sql).fetchone()[0]


# Primary keys unique and non-null, foreign keys resolve (from the provenance itself).
for t, p in prov.items():
    pk = p["primary_key"]
    if one(f"SELECT count(*) - count(DISTINCT {pk}) FROM {t}") != 0:
        fail(f"{t}.{pk} repeats")
    for fk in p["foreign_keys"]:
        ref = fk["references"]
        dangling = one(
            f"SELECT count(*) FROM {t} c LEFT JOIN {ref['table']} r ON c.{fk['column']} = r.{ref['column']} "
            f"WHERE c.{fk['column']} IS NOT NULL AND r.{ref['column']} IS NULL"
        )
        if dangling:
            fail(f"{t}.{fk['column']}: {dangling} keys do not resolve in {ref['table']}")

# A join over every table returns the counts the schema implies.
joined = one("""
    SELECT count(*) FROM order_lines l
    JOIN orders o USING (order_id) JOIN customers c USING (customer_id)
    JOIN products p ON l.product_id = p.product_id""")
if joined != one("SELECT count(*) FROM order_lines"):
    fail("joining order lines to orders, customers and products loses rows")
contacts_joined = one("""
    SELECT count(*) FROM contacts k JOIN customers c USING (customer_id)
    JOIN campaigns m USING (campaign_id) JOIN campaign_products cp USING (campaign_id)""")
expected = one("""
    SELECT sum(n) FROM contacts k JOIN (SELECT campaign_id, count(*) n FROM campaign_products GROUP BY 1) USING (campaign_id)""")
if contacts_joined != expected:
    fail(f"contacts x campaign products: {contacts_joined} rows, expected {expected}")

RULES = {
    "orders counted": "SELECT count(*) FROM customers c WHERE orders_placed <> (SELECT count(*) FROM orders o WHERE o.customer_id = c.customer_id)",
    "lifetime value is the sum of orders": "SELECT count(*) FROM customers c WHERE abs(lifetime_value - coalesce((SELECT sum(total) FROM orders o WHERE o.customer_id = c.customer_id), 0)) > 0.005",
    "order total is the sum of its lines": "SELECT count(*) FROM orders o WHERE abs(total - (SELECT sum(line_total) FROM order_lines l WHERE l.order_id = o.order_id)) > 0.005",
    "every order has a line": "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.order_id)",
    "line total = quantity * unit price * (1 - discount)": "SELECT count(*) FROM order_lines WHERE line_total <> round(CAST(quantity * unit_price * (1 - discount) AS DECIMAL(18, 6)), 2)",
    "unit price is the product's list price": "SELECT count(*) FROM order_lines l JOIN products p USING (product_id) WHERE l.unit_price <> p.list_price",
    "a product once per order": "SELECT count(*) FROM (SELECT order_id, product_id FROM order_lines GROUP BY 1, 2 HAVING count(*) > 1)",
    "a product once per campaign": "SELECT count(*) FROM (SELECT campaign_id, product_id FROM campaign_products GROUP BY 1, 2 HAVING count(*) > 1)",
    "ordered after signing up": "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE o.ordered_at < c.signed_up_at",
    "shipped after ordered, within 72 hours": "SELECT count(*) FROM orders WHERE shipped_at < ordered_at OR shipped_at > ordered_at + INTERVAL 72 HOUR",
    "delivered 1 to 5 days after shipping": "SELECT count(*) FROM orders WHERE delivered_at < shipped_at + INTERVAL 1 DAY OR delivered_at > shipped_at + INTERVAL 5 DAY",
    "shipped unless cancelled": "SELECT count(*) FROM orders WHERE (shipped_at IS NULL) <> (status = 'cancelled')",
    "delivered only when delivered or returned": "SELECT count(*) FROM orders WHERE (delivered_at IS NOT NULL) <> (status IN ('delivered', 'returned'))",
    "cancelled_at only when cancelled": "SELECT count(*) FROM orders WHERE (cancelled_at IS NOT NULL) <> (status = 'cancelled')",
    "nobody signs up as a minor": "SELECT count(*) FROM customers WHERE signed_up_at < birth_date + INTERVAL 18 YEAR",
    "tenure follows the sign-up date": "SELECT count(*) FROM customers WHERE tenure_months <> 12 * (2026 - year(signed_up_at)) + 1 - month(signed_up_at) - CASE WHEN day(signed_up_at) > 1 OR epoch_us(signed_up_at) % 86400000000 > 0 THEN 1 ELSE 0 END",
    "referrer signed up earlier": "SELECT count(*) FROM customers c JOIN customers r ON c.referred_by = r.customer_id WHERE r.customer_id >= c.customer_id",
    "no contact without consent": "SELECT count(*) FROM contacts JOIN customers USING (customer_id) WHERE NOT consent_marketing",
    "contacted after signing up": "SELECT count(*) FROM contacts k JOIN customers c USING (customer_id) WHERE k.contacted_at < c.signed_up_at",
    "campaign ends 7 to 60 days after it starts": "SELECT count(*) FROM campaigns WHERE ended_at < started_at + 7 OR ended_at > started_at + 60",
}
for name, sql in RULES.items():
    n = one(sql)
    if n:
        fail(f"rule '{name}' broken on {n} rows")
print(f"check_linked: {len(TABLES)} tables read by pyarrow, polars and DuckDB; keys resolve; {len(RULES)} rules hold on every row")
