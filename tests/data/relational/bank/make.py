"""Writes the small bank of this folder: 1,500 clients, an account each, 0 to 2 loans per
account. Every value is synthetic (drawn here with a fixed seed). A loan is repaid ("good")
for 45 % of women's loans and 75 % of men's, 20 points more when the account's balance is high;
an account is overdrawn for 30 % of women and 60 % of men. Run: python3 make.py"""
import csv
import random

rng = random.Random(24)
clients, accounts, loans = [], [], []
for c in range(1, 1501):
    woman = rng.random() < 0.5
    high = rng.random() < 0.5
    balance = 5000 + 5000 * rng.random() if high else 200 + 800 * rng.random()
    overdraft = rng.random() < (0.3 if woman else 0.6)
    clients.append([c, "F" if woman else "M", rng.randint(1940, 2000)])
    accounts.append([c, c, f"{balance:.2f}", "yes" if overdraft else "no"])
    for _ in range(rng.randint(0, 2)):
        good = rng.random() < (0.45 if woman else 0.75) + (0.2 if high else 0.0)
        loans.append([len(loans) + 1, c, rng.randint(10, 90) * 100, "good" if good else "bad"])
for name, header, rows in [
    ("client", ["client_id", "sex", "birth_year"], clients),
    ("account", ["account_id", "client_id", "balance", "overdraft"], accounts),
    ("loan", ["loan_id", "account_id", "amount", "status"], loans),
]:
    with open(f"{name}.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
