"""Changes made to a sandbox company through its mutation API, as QBO users would make them."""

from __future__ import annotations

import random
from decimal import Decimal

from qbo_sandbox.store import RealmStore

PAYMENT_LINKS = ("BillPaymentCheck", "BillPaymentCreditCard", "Payment")


def _paid(row: dict) -> bool:
    return any(link.get("TxnType") in PAYMENT_LINKS for link in row.get("LinkedTxn", []))


def _open_unpaid(realm: RealmStore, entity: str) -> list[dict]:
    """Documents with a balance and no payment applied (deletable, voidable, payable)."""
    return [row for row in realm.rows(entity)
            if row["Balance"] > 0 and not _paid(row) and row.get("PrivateNote") != "Voided"]


def account_id(realm: RealmStore, account_type: str) -> str:
    return next(row["Id"] for row in realm.rows("Account") if row["AccountType"] == account_type and row["Active"])


def create_bill(realm: RealmStore, vendor_id: str | None = None, amount: str = "120.50") -> dict:
    vendor_id = vendor_id or next(row["Id"] for row in realm.rows("Vendor") if row["Active"])
    return realm.create("Bill", {
        "VendorRef": {"value": vendor_id}, "TxnDate": "2026-11-18", "DueDate": "2026-12-18",
        "Line": [{"Amount": Decimal(amount), "DetailType": "AccountBasedExpenseLineDetail",
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id(realm, "Expense")}}}]})


def pay_bill(realm: RealmStore, bill: dict, amount: Decimal) -> dict:
    return realm.create("BillPayment", {
        "VendorRef": {"value": bill["VendorRef"]["value"]}, "PayType": "Check",
        "CheckPayment": {"BankAccountRef": {"value": account_id(realm, "Bank")}}, "TotalAmt": amount,
        "TxnDate": "2026-11-19", "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})


def pay_invoice(realm: RealmStore, invoice: dict, amount: Decimal) -> dict:
    return realm.create("Payment", {
        "CustomerRef": {"value": invoice["CustomerRef"]["value"]}, "TotalAmt": amount, "TxnDate": "2026-11-19",
        "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})


def mixed_changes(realm: RealmStore, rng: random.Random | None = None) -> dict[str, list[str]]:
    """Creates, updates, deletes and voids across every entity; returns what was done, by kind."""
    rng = rng or random.Random(0)
    done: dict[str, list[str]] = {"created": [], "updated": [], "deleted": [], "voided": []}

    open_bills = _open_unpaid(realm, "Bill")  # chosen before the create: the new bill is not touched again
    rng.shuffle(open_bills)
    bill = create_bill(realm)
    done["created"].append(f"Bill {bill['Id']}")
    target = open_bills.pop()
    payment = pay_bill(realm, target, (target["Balance"] / 2).quantize(Decimal("0.01")))
    done["created"].append(f"BillPayment {payment['Id']} (pays Bill {target['Id']})")
    doomed = open_bills.pop()
    realm.delete("Bill", doomed["Id"])
    done["deleted"].append(f"Bill {doomed['Id']}")
    changed = open_bills.pop()
    realm.update("Bill", {"Id": changed["Id"], "sparse": True, "PrivateNote": "Reviewed by the advisor",
                          "DueDate": "2026-12-31"})
    done["updated"].append(f"Bill {changed['Id']}")

    open_invoices = _open_unpaid(realm, "Invoice")
    rng.shuffle(open_invoices)
    open_invoices.sort(key=lambda row: bool((row.get("BillEmail") or {}).get("Address")))
    voided = open_invoices.pop()
    realm.void("Invoice", voided["Id"])
    done["voided"].append(f"Invoice {voided['Id']}")
    paid = open_invoices.pop()
    received = pay_invoice(realm, paid, paid["Balance"])
    done["created"].append(f"Payment {received['Id']} (pays Invoice {paid['Id']})")
    sent = open_invoices[0] if (open_invoices[0].get("BillEmail") or {}).get("Address") else open_invoices[-1]
    realm.send_invoice(sent["Id"])
    done["updated"].append(f"Invoice {sent['Id']} (sent)")

    bill_payments = [row for row in realm.rows("BillPayment") if row.get("PrivateNote") != "Voided" and row["Line"]]
    voided_payment = rng.choice(bill_payments)
    realm.void("BillPayment", voided_payment["Id"])
    done["voided"].append(f"BillPayment {voided_payment['Id']}")
    payments = [row for row in realm.rows("Payment") if row["Id"] != received["Id"] and row["Line"]]
    deleted_payment = rng.choice(payments)
    realm.delete("Payment", deleted_payment["Id"])
    done["deleted"].append(f"Payment {deleted_payment['Id']}")

    vendor = rng.choice([row for row in realm.rows("Vendor") if row["Active"]])
    realm.update("Vendor", {"Id": vendor["Id"], "sparse": True, "CompanyName": "Renamed Supplies Inc",
                            "PrimaryEmailAddr": {"Address": "ap@renamed.example"}})
    done["updated"].append(f"Vendor {vendor['Id']}")
    customer = rng.choice([row for row in realm.rows("Customer") if row["Active"] and row["Balance"] == 0]
                          or [row for row in realm.rows("Customer") if row["Active"]])
    realm.update("Customer", {"Id": customer["Id"], "sparse": True, "Active": False})
    done["updated"].append(f"Customer {customer['Id']} (inactive)")
    account = next(row for row in realm.rows("Account") if row["AccountType"] == "Expense")
    realm.update("Account", {"Id": account["Id"], "sparse": True, "Name": "Renamed Expense Account"})
    done["updated"].append(f"Account {account['Id']}")
    return done


def random_changes(realm: RealmStore, rng: random.Random, count: int) -> int:
    """``count`` random changes (those QBO refuses are skipped); returns how many were made."""
    made = 0
    for _ in range(count):
        kind = rng.choice(("create_bill", "pay_bill", "pay_invoice", "delete_bill", "void_invoice", "update_bill",
                           "update_vendor", "void_bill_payment", "delete_payment", "update_customer"))
        try:
            if kind == "create_bill":
                create_bill(realm, amount=f"{rng.randint(1, 5000)}.{rng.randint(0, 99):02d}")
            elif kind in ("pay_bill", "delete_bill", "update_bill"):
                bills = _open_unpaid(realm, "Bill")
                if not bills:
                    continue
                bill = rng.choice(bills)
                if kind == "pay_bill":
                    pay_bill(realm, bill, (bill["Balance"] / rng.choice((1, 2, 3))).quantize(Decimal("0.01")))
                elif kind == "delete_bill":
                    realm.delete("Bill", bill["Id"])
                else:
                    realm.update("Bill", {"Id": bill["Id"], "sparse": True, "PrivateNote": f"note {rng.random():.6f}"})
            elif kind in ("pay_invoice", "void_invoice"):
                invoices = _open_unpaid(realm, "Invoice")
                if not invoices:
                    continue
                invoice = rng.choice(invoices)
                if kind == "pay_invoice":
                    pay_invoice(realm, invoice, invoice["Balance"])
                else:
                    realm.void("Invoice", invoice["Id"])
            elif kind == "update_vendor":
                vendor = rng.choice(realm.rows("Vendor"))
                name = f"Co {rng.randint(1, 10**6)}"
                realm.update("Vendor", {"Id": vendor["Id"], "sparse": True, "CompanyName": name})
            elif kind == "update_customer":
                customer = rng.choice(realm.rows("Customer"))
                realm.update("Customer", {"Id": customer["Id"], "sparse": True, "Active": not customer["Active"]})
            elif kind == "void_bill_payment":
                rows = [row for row in realm.rows("BillPayment") if row.get("PrivateNote") != "Voided" and row["Line"]]
                if rows:
                    realm.void("BillPayment", rng.choice(rows)["Id"])
            elif kind == "delete_payment":
                rows = realm.rows("Payment")
                if rows:
                    realm.delete("Payment", rng.choice(rows)["Id"])
            made += 1
        except Exception as exc:  # a change QBO refuses (e.g. a duplicate name) is simply not made
            if type(exc).__name__ != "QboFault":
                raise
    return made
