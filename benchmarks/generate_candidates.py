#!/usr/bin/env python3
"""Writes N deterministic candidates in the columns the bundled recruiting campaign uses.

Usage: generate_candidates.py N OUT.csv
Names include accents and apostrophes, and every tenth row has no first name (the templates' fallback covers it),
so both tools exercise the same encodings and branches.
"""
import csv
import random
import sys

FIRST = ["Ana", "Zoë", "Jürgen", "Kim", "Sam", "Łukasz", "Siobhán", "Mei", "Oluwaseun", "François", "Priya", "José"]
LAST = ["Ruiz", "O'Connor", "Müller", "Nguyen", "Taylor", "Kowalski", "Ní Bhriain", "Chen", "Adeyemi", "Dupont"]
COMPANIES = ["Fabrikam", "Contoso, Ltd.", "Northwind Traders", "Adventure Works", "Wide World Importers", "Tailspin Toys"]
ZONES = ["Europe/Madrid", "Europe/Dublin", "Europe/Berlin", "", "Europe/London", "America/New_York"]


def main() -> None:
    count, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261128)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "firstName", "lastName", "company", "role", "timezone"])
        for index in range(count):
            first = "" if index % 10 == 9 else rng.choice(FIRST)
            writer.writerow([
                f"person{index}@example{index % 97}.org", first, rng.choice(LAST), rng.choice(COMPANIES),
                "Senior Engineer", rng.choice(ZONES),
            ])


if __name__ == "__main__":
    main()
